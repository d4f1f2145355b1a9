// Package probefile parses the nmap-service-probes format: Exclude, Probe
// blocks with their settings, and the match and softmatch rules under each
// probe. It only reads text; compiling and running the regexes is the job
// of the matcher that uses it.
//
// The parser never stops at a bad line: it records an Error naming
// file:line:column and goes on, so one typo in a 12,000-line file costs one
// rule, not the whole database. A directive that belongs to a probe but
// appears before any Probe line is an error, as in Nmap.
//
// Pitfalls the format hides:
//   - delimiters (the q, m and template delimiters) cannot be escaped: the
//     next occurrence of the delimiter character ends the field;
//   - the payload knows only the escapes of Nmap's cstring_unescape
//     (\\ \0 \a \b \f \n \r \t \v \xHH); regexes keep their escapes for
//     the regex engine;
//   - lines are bytes, not UTF-8: payloads and patterns carry raw bytes.
package probefile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// File is one parsed probe file.
type File struct {
	Name    string
	Exclude string // port spec of the Exclude directive, "" when absent
	Probes  []*Probe
}

// Probe is one Probe block.
type Probe struct {
	File      string
	Line      int
	Proto     string // "TCP" or "UDP"
	Name      string
	Payload   []byte
	NoPayload bool
	Ports     string // as written, validated
	SSLPorts  string
	// Rarity is 1-9, or 0 when the file gives none (Nmap then uses 5).
	Rarity int
	// TotalWaitMS and TCPWrappedMS are 0 when the file gives none.
	TotalWaitMS  int
	TCPWrappedMS int
	Fallback     []string
	Rules        []*Rule
}

// Rule is one match or softmatch line.
type Rule struct {
	File    string
	Line    int
	Soft    bool
	Service string
	Pattern []byte // the regex as written between its delimiters
	// CaseInsensitive and DotAll are the i and s flags.
	CaseInsensitive bool
	DotAll          bool
	// Templates of the version fields, raw (with $1, $P(), ... unexpanded);
	// "" when the line has none.
	Product, Version, Info, Hostname, OSType, DeviceType string
	// CPE templates without the "cpe:/" prefix and closing delimiter,
	// e.g. "a:openbsd:openssh:$1", in line order.
	CPE []string
}

// Error is a problem on one line of a probe file.
type Error struct {
	File string
	Line int
	Col  int // 1-based byte column, 0 when the whole line is at fault
	Msg  string
}

func (e *Error) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Limits taken from Nmap's parser (service_scan.cc).
const (
	maxLine     = 8191
	minWaitMS   = 100
	maxWaitMS   = 300000
	maxFallback = 20
)

// Parse reads a whole probe file. It returns everything that parsed and an
// Error for each line that did not.
func Parse(name string, data []byte) (*File, []error) {
	p := &parser{f: &File{Name: name}}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		p.line = lineNo
		if len(line) > maxLine {
			p.errf(0, "line longer than %d bytes", maxLine)
			continue
		}
		p.parseLine(line)
	}
	return p.f, p.errs
}

type parser struct {
	f       *File
	errs    []error
	line    int
	cur     *Probe
	exclude int // line of the Exclude directive, 0 when none yet
}

func (p *parser) errf(col int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.f.Name, Line: p.line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parseLine(line []byte) {
	if len(bytes.TrimLeft(line, " \t")) == 0 || line[0] == '#' {
		return
	}
	if line[0] == ' ' || line[0] == '\t' {
		p.errf(1, "directive must start in column 1")
		return
	}
	word, rest := line, []byte(nil)
	if i := bytes.IndexAny(line, " \t"); i >= 0 {
		word, rest = line[:i], line[i+1:]
	}
	argCol := len(word) + 2
	switch string(word) {
	case "Exclude":
		p.parseExclude(rest, argCol)
	case "Probe":
		p.parseProbe(rest, argCol)
	case "match", "softmatch":
		if p.needProbe(string(word)) {
			p.parseRule(word[0] == 's', rest, argCol)
		}
	case "ports", "sslports":
		if p.needProbe(string(word)) {
			p.parsePorts(string(word), rest, argCol)
		}
	case "totalwaitms", "tcpwrappedms":
		if p.needProbe(string(word)) {
			p.parseWait(string(word), rest, argCol)
		}
	case "rarity":
		if p.needProbe("rarity") {
			p.parseRarity(rest, argCol)
		}
	case "fallback":
		if p.needProbe("fallback") {
			p.parseFallback(rest, argCol)
		}
	default:
		p.errf(1, "unknown directive %q", truncate(word))
	}
}

func (p *parser) needProbe(directive string) bool {
	if p.cur == nil {
		p.errf(1, "%s before any Probe line", directive)
		return false
	}
	return true
}

func (p *parser) parseExclude(rest []byte, col int) {
	if p.exclude != 0 {
		p.errf(1, "second Exclude directive (the first is on line %d)", p.exclude)
		return
	}
	if len(p.f.Probes) > 0 {
		p.errf(1, "Exclude after the first Probe line")
		return
	}
	spec := strings.TrimSpace(string(rest))
	if err := ValidatePortSpec(spec, true); err != nil {
		p.errf(col, "Exclude: %v", err)
		return
	}
	p.exclude = p.line
	p.f.Exclude = spec
}

func (p *parser) parseProbe(rest []byte, col int) {
	// A probe whose line is bad still opens a block, so that its rules are
	// attached to a probe nobody selects instead of to the previous one.
	bad := &Probe{File: p.f.Name, Line: p.line}
	fields := bytes.SplitN(rest, []byte(" "), 3)
	if len(fields) < 3 {
		p.cur = bad
		p.errf(col, "Probe needs a protocol, a name and q<d>payload<d>")
		return
	}
	proto, name, payload := string(fields[0]), string(fields[1]), fields[2]
	if proto != "TCP" && proto != "UDP" {
		p.cur = bad
		p.errf(col, "Probe protocol %q is neither TCP nor UDP", truncate(fields[0]))
		return
	}
	col += len(proto) + 1
	if !validName(name) {
		p.cur = bad
		p.errf(col, "Probe name %q must start with a letter or digit and hold no control characters", truncate(fields[1]))
		return
	}
	col += len(name) + 1
	if len(payload) < 3 || payload[0] != 'q' {
		p.cur = bad
		p.errf(col, "Probe payload must be q<delimiter>string<delimiter>")
		return
	}
	delim := payload[1]
	end := bytes.IndexByte(payload[2:], delim)
	if end < 0 {
		p.cur = bad
		p.errf(col+1, "Probe payload has no closing %q", delim)
		return
	}
	raw := payload[2 : 2+end]
	data, ecol, err := Unescape(raw)
	if err != nil {
		p.cur = bad
		p.errf(col+2+ecol, "Probe payload: %v", err)
		return
	}
	pr := &Probe{File: p.f.Name, Line: p.line, Proto: proto, Name: name, Payload: data}
	tail := strings.TrimSpace(string(payload[3+end:]))
	switch tail {
	case "":
	case "no-payload":
		pr.NoPayload = true
	default:
		p.errf(col+3+end, "unexpected %q after the Probe payload", truncate([]byte(tail)))
	}
	for _, other := range p.f.Probes {
		if other.Proto == proto && other.Name == name {
			p.errf(col-len(name)-1, "Probe %s %s already defined on line %d", proto, name, other.Line)
		}
	}
	p.cur = pr
	p.f.Probes = append(p.f.Probes, pr)
}

func validName(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Unescape decodes a probe payload as Nmap's cstring_unescape does. On
// error it also returns the 0-based offset of the bad escape.
func Unescape(s []byte) ([]byte, int, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, i, fmt.Errorf("lone backslash at the end")
		}
		i++
		switch s[i] {
		case '\\':
			out = append(out, '\\')
		case '0':
			out = append(out, 0)
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			if i+2 >= len(s) {
				return nil, i - 1, fmt.Errorf(`\x needs two hex digits`)
			}
			v, err := strconv.ParseUint(string(s[i+1:i+3]), 16, 8)
			if err != nil {
				return nil, i - 1, fmt.Errorf(`\x needs two hex digits, got %q`, s[i+1:i+3])
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, i - 1, fmt.Errorf(`unknown escape \%c`, s[i])
		}
	}
	return out, 0, nil
}

func (p *parser) parseRule(soft bool, rest []byte, col int) {
	kind := "match"
	if soft {
		kind = "softmatch"
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		p.errf(col, "%s needs a service name and m<d>regex<d>", kind)
		return
	}
	r := &Rule{File: p.f.Name, Line: p.line, Soft: soft, Service: string(rest[:sp])}
	if !validName(r.Service) {
		p.errf(col, "%s service name %q is not valid", kind, truncate(rest[:sp]))
		return
	}
	col += sp + 1
	rest = rest[sp+1:]
	if len(rest) < 3 || rest[0] != 'm' {
		p.errf(col, "%s regex must be m<delimiter>regex<delimiter>", kind)
		return
	}
	delim := rest[1]
	end := bytes.IndexByte(rest[2:], delim)
	if end < 0 {
		p.errf(col+1, "%s regex has no closing %q", kind, delim)
		return
	}
	r.Pattern = rest[2 : 2+end]
	if len(r.Pattern) == 0 {
		p.errf(col+2, "%s regex is empty", kind)
		return
	}
	i := 3 + end
	for ; i < len(rest) && rest[i] != ' '; i++ {
		switch rest[i] {
		case 'i':
			r.CaseInsensitive = true
		case 's':
			r.DotAll = true
		default:
			p.errf(col+i, "%s regex flag %q is neither i nor s", kind, rest[i])
			return
		}
	}
	if !p.parseTemplates(r, rest[i:], col+i) {
		return
	}
	p.cur.Rules = append(p.cur.Rules, r)
}

// parseTemplates reads the version fields after a regex. It reports the
// first problem and returns false, dropping the rule: a rule with a
// half-read template would report wrong versions.
func (p *parser) parseTemplates(r *Rule, s []byte, col int) bool {
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return true
		}
		start := i
		isCPE := bytes.HasPrefix(s[i:], []byte("cpe:"))
		var field byte
		if isCPE {
			i += 4
		} else {
			field = s[i]
			i++
		}
		if i >= len(s) {
			p.errf(col+start, "template has no delimiter")
			return false
		}
		delim := s[i]
		end := bytes.IndexByte(s[i+1:], delim)
		if end < 0 {
			p.errf(col+i, "template has no closing %q", delim)
			return false
		}
		val := string(s[i+1 : i+1+end])
		i += end + 2
		if isCPE {
			// Letters after the closing delimiter are flags Nmap ignores
			// ("a" is conventional).
			for i < len(s) && (s[i] >= 'a' && s[i] <= 'z') {
				i++
			}
			if val == "" || strings.IndexByte("aho", val[0]) < 0 || len(val) > 1 && val[1] != ':' {
				p.errf(col+start, "CPE %q must start with a:, h: or o:", truncate([]byte(val)))
				return false
			}
			r.CPE = append(r.CPE, val)
		} else {
			switch field {
			case 'p':
				r.Product = val
			case 'v':
				r.Version = val
			case 'i':
				r.Info = val
			case 'h':
				r.Hostname = val
			case 'o':
				r.OSType = val
			case 'd':
				r.DeviceType = val
			default:
				p.errf(col+start, "unknown template field %q (want p, v, i, h, o, d or cpe:)", field)
				return false
			}
		}
		if i < len(s) && s[i] != ' ' && s[i] != '\t' {
			p.errf(col+i, "template must be followed by a space, got %q", s[i])
			return false
		}
	}
}

func (p *parser) parsePorts(which string, rest []byte, col int) {
	spec := strings.TrimSpace(string(rest))
	if err := ValidatePortSpec(spec, false); err != nil {
		p.errf(col, "%s: %v", which, err)
		return
	}
	if which == "ports" {
		p.cur.Ports = spec
	} else {
		p.cur.SSLPorts = spec
	}
}

func (p *parser) parseWait(which string, rest []byte, col int) {
	v, err := strconv.Atoi(strings.TrimSpace(string(rest)))
	if err != nil || v < minWaitMS || v > maxWaitMS {
		p.errf(col, "%s must be a number of milliseconds from %d to %d", which, minWaitMS, maxWaitMS)
		return
	}
	if which == "totalwaitms" {
		p.cur.TotalWaitMS = v
	} else {
		p.cur.TCPWrappedMS = v
	}
}

func (p *parser) parseRarity(rest []byte, col int) {
	v, err := strconv.Atoi(strings.TrimSpace(string(rest)))
	if err != nil || v < 1 || v > 9 {
		p.errf(col, "rarity must be a number from 1 to 9")
		return
	}
	p.cur.Rarity = v
}

func (p *parser) parseFallback(rest []byte, col int) {
	var names []string
	for _, n := range strings.Split(string(rest), ",") {
		n = strings.TrimSpace(n)
		if !validName(n) {
			p.errf(col, "fallback name %q is not valid", truncate([]byte(n)))
			return
		}
		names = append(names, n)
	}
	if len(names) > maxFallback {
		p.errf(col, "fallback lists %d probes, at most %d allowed", len(names), maxFallback)
		return
	}
	p.cur.Fallback = names
}

// ValidatePortSpec checks a comma list of ports and ranges a-b within
// 0-65535. With protoPrefixes, the T:, U: and S: prefixes of -p are
// accepted too (for Exclude).
func ValidatePortSpec(spec string, protoPrefixes bool) error {
	if spec == "" {
		return fmt.Errorf("empty port list")
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if protoPrefixes && len(item) > 2 && item[1] == ':' && strings.IndexByte("TUS", item[0]) >= 0 {
			item = item[2:]
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parsePort(lo)
		if err != nil {
			return err
		}
		if isRange {
			b, err := parsePort(hi)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %q runs backwards", item)
			}
		}
	}
	return nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 65535 {
		return 0, fmt.Errorf("%q is not a port number 0-65535", s)
	}
	return v, nil
}

// truncate keeps error messages about garbage lines short.
func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
