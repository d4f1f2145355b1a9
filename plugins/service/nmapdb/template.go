package nmapdb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scanfw/scanfw/plugins/service/nmapdb/bytere"
)

// Field sizes of Nmap's result buffers (service_scan.cc). A value that does
// not fit is blanked, as Nmap does, rather than cut.
const (
	maxProduct = 80
	maxInfo    = 256
	maxOSType  = 32
)

var errSubst = errors.New("substitution failed")

// expand fills a version template from the groups of a match: $1..$9,
// $P(n) (non-printables dropped), $SUBST(n,"find","repl") and $I(n,">")
// or $I(n,"<") (up to 8 bytes read as a big- or little-endian number). For
// a CPE template, substituted text is lower-cased and CPE-escaped; the
// literal text is kept as written.
func expand(tmpl string, subj bytere.Subject, spans []bytere.Span, cpe bool) (string, error) {
	var out strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '$' || i+1 >= len(tmpl) {
			out.WriteByte(c)
			continue
		}
		rest := tmpl[i+1:]
		var val []byte
		var n int // bytes of tmpl consumed after '$'
		var err error
		switch {
		case isDigit(rest[0]):
			val, err = group(subj, spans, rest[0])
			n = 1
		case strings.HasPrefix(rest, "P("):
			val, n, err = printableOnly(subj, spans, rest)
		case strings.HasPrefix(rest, "SUBST("):
			val, n, err = subst(subj, spans, rest)
		case strings.HasPrefix(rest, "I("):
			val, n, err = integer(subj, spans, rest)
		default:
			out.WriteByte(c)
			continue
		}
		if err != nil {
			return "", err
		}
		if cpe {
			val = cpeEscape(val)
		}
		out.Write(val)
		i += n
	}
	return strings.TrimRight(out.String(), " ,"), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func group(subj bytere.Subject, spans []bytere.Span, digit byte) ([]byte, error) {
	n := int(digit - '0')
	if n >= len(spans) || !spans[n].Set {
		return nil, fmt.Errorf("%w: group %d did not match", errSubst, n)
	}
	return subj.Bytes(spans[n].Start, spans[n].End), nil
}

// call parses "NAME(d" + args + ")" where each arg is ,"text"; it returns
// the group digit, the args and the bytes consumed.
func call(s string, prefix string, nargs int) (byte, []string, int, error) {
	i := len(prefix)
	if i >= len(s) || !isDigit(s[i]) {
		return 0, nil, 0, fmt.Errorf("%w: %s needs a group digit", errSubst, prefix)
	}
	d := s[i]
	i++
	var args []string
	for range nargs {
		if !strings.HasPrefix(s[i:], `,"`) {
			return 0, nil, 0, fmt.Errorf("%w: %s needs %d quoted arguments", errSubst, prefix, nargs)
		}
		i += 2
		end := strings.IndexByte(s[i:], '"')
		if end < 0 {
			return 0, nil, 0, fmt.Errorf("%w: unterminated argument of %s", errSubst, prefix)
		}
		args = append(args, s[i:i+end])
		i += end + 1
	}
	if i >= len(s) || s[i] != ')' {
		return 0, nil, 0, fmt.Errorf("%w: %s not closed", errSubst, prefix)
	}
	return d, args, i + 1, nil
}

func printableOnly(subj bytere.Subject, spans []bytere.Span, s string) ([]byte, int, error) {
	d, _, n, err := call(s, "P(", 0)
	if err != nil {
		return nil, 0, err
	}
	v, err := group(subj, spans, d)
	if err != nil {
		return nil, 0, err
	}
	out := v[:0]
	for _, c := range v {
		if isPrint(c) {
			out = append(out, c)
		}
	}
	return out, n, nil
}

func subst(subj bytere.Subject, spans []bytere.Span, s string) ([]byte, int, error) {
	d, args, n, err := call(s, "SUBST(", 2)
	if err != nil {
		return nil, 0, err
	}
	v, err := group(subj, spans, d)
	if err != nil {
		return nil, 0, err
	}
	if args[0] == "" {
		return v, n, nil
	}
	return []byte(strings.ReplaceAll(string(v), args[0], args[1])), n, nil
}

func integer(subj bytere.Subject, spans []bytere.Span, s string) ([]byte, int, error) {
	d, args, n, err := call(s, "I(", 1)
	if err != nil {
		return nil, 0, err
	}
	v, err := group(subj, spans, d)
	if err != nil {
		return nil, 0, err
	}
	if len(v) > 8 {
		return nil, 0, fmt.Errorf("%w: $I of %d bytes overflows", errSubst, len(v))
	}
	var x uint64
	switch args[0] {
	case ">":
		for _, c := range v {
			x = x<<8 | uint64(c)
		}
	case "<":
		for i := len(v) - 1; i >= 0; i-- {
			x = x<<8 | uint64(v[i])
		}
	default:
		return nil, 0, fmt.Errorf("%w: $I byte order %q is neither > nor <", errSubst, args[0])
	}
	return []byte(strconv.FormatUint(x, 10)), n, nil
}

func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// cpeEscape lower-cases substituted CPE text, turns whitespace into '_' and
// percent-encodes the characters CPE 2.2 reserves.
func cpeEscape(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for _, c := range v {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			out = append(out, '_')
		case strings.IndexByte(`:/?#[]@!$&'()*+,;=%<>"`, c) >= 0:
			out = append(out, fmt.Sprintf("%%%02x", c)...)
		default:
			out = append(out, c)
		}
	}
	return out
}

// clean makes an expanded field printable and blanks it when it would not
// fit Nmap's buffer (size includes the terminating NUL).
func clean(s string, size int) string {
	if len(s) >= size {
		return ""
	}
	b := []byte(s)
	for i, c := range b {
		if !isPrint(c) {
			b[i] = '.'
		}
	}
	return string(b)
}
