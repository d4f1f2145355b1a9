// Package bytere runs PCRE patterns from nmap-service-probes over raw bytes
// with the regexp2 backtracking engine.
//
// regexp2 is a port of .NET's engine and works on runes. PCRE, as Nmap
// uses it, works on bytes. The bridge is Latin-1: every byte b of the
// subject becomes rune(b), and every byte of the pattern (a literal byte
// 0xFF or an escape \xFF) means the same rune, so each byte 0x00-0xFF
// matches exactly itself and '.' matches any one byte. Group offsets in
// runes are then byte offsets.
//
// Translate rewrites what .NET reads differently from PCRE:
//   - \d \w \s (and their negations) become ASCII classes: .NET's are
//     Unicode and would let bytes such as 0xE9 or 0xA0 match;
//   - possessive quantifiers x*+ x++ x?+ x{n,m}+, unknown to .NET, become
//     atomic groups (?>x*);
//   - \0 and octal escapes and one-digit \xH become \xHH;
//   - '[' inside a class is escaped, since .NET reads "-[" as class
//     subtraction.
//
// Left as they are because .NET and PCRE agree: $ (end or before a final
// newline, without the Multiline option), lookarounds, backreferences,
// atomic groups, lazy quantifiers, bounds above 1000. Remaining
// differences: with the i flag .NET also folds Latin-1 letters (0xC9 and
// 0xE9) where PCRE folds ASCII only, and \b, \W, \S, \D inside a class
// use .NET's Unicode word and space sets.
package bytere

import (
	"fmt"
	"time"

	"github.com/dlclark/regexp2"
)

// Regexp is a compiled pattern.
type Regexp struct {
	re *regexp2.Regexp
}

// Compile translates and compiles a pattern. timeout bounds one match
// (0 means none); a match that runs out returns an error.
func Compile(pattern []byte, caseInsensitive, dotAll bool, timeout time.Duration) (*Regexp, error) {
	src, err := Translate(pattern)
	if err != nil {
		return nil, err
	}
	opts := regexp2.None
	if caseInsensitive {
		opts |= regexp2.IgnoreCase
	}
	if dotAll {
		opts |= regexp2.Singleline
	}
	re, err := regexp2.Compile(src, opts)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	if timeout > 0 {
		re.MatchTimeout = timeout
	}
	return &Regexp{re: re}, nil
}

// Subject is a response prepared for matching: one rune per byte. Convert
// once and match many patterns against it.
type Subject []rune

// NewSubject maps each byte to the rune of the same value.
func NewSubject(b []byte) Subject {
	s := make(Subject, len(b))
	for i, c := range b {
		s[i] = rune(c)
	}
	return s
}

// Bytes converts a piece of a subject back to bytes.
func (s Subject) Bytes(start, end int) []byte {
	b := make([]byte, end-start)
	for i, r := range s[start:end] {
		b[i] = byte(r)
	}
	return b
}

// Span is where a group matched; Set is false for a group that took no
// part in the match.
type Span struct {
	Start, End int
	Set        bool
}

// Match looks for the pattern anywhere in s (patterns anchor themselves
// with ^). It returns nil when there is no match, else the spans of group
// 0 and every capture group. A timeout is returned as an error.
func (r *Regexp) Match(s Subject) ([]Span, error) {
	m, err := r.re.FindRunesMatch(s)
	if err != nil || m == nil {
		return nil, err
	}
	groups := m.Groups()
	spans := make([]Span, len(groups))
	for i := range groups {
		g := &groups[i]
		if len(g.Captures) == 0 {
			continue
		}
		spans[i] = Span{Start: g.Index, End: g.Index + g.Length, Set: true}
	}
	return spans, nil
}

// ASCII classes with PCRE's meaning (PCRE2 \s includes VT since 8.34).
const (
	digit = `0-9`
	word  = `0-9A-Za-z_`
	space = `\t\n\x0B\f\r `
)

// Translate rewrites a PCRE pattern into the regexp2 (.NET) syntax with the
// same meaning over Latin-1 runes.
func Translate(p []byte) (string, error) {
	t := translator{p: p}
	if err := t.run(); err != nil {
		return "", err
	}
	return string(t.out), nil
}

type translator struct {
	p   []byte
	i   int
	out []rune
	// groups holds the output offset of each open '('; lastAtom is the
	// output offset where the atom before a quantifier starts, -1 if none.
	groups   []int
	lastAtom int
}

func (t *translator) run() error {
	t.lastAtom = -1
	for t.i < len(t.p) {
		c := t.p[t.i]
		start := len(t.out)
		switch c {
		case '\\':
			if err := t.escape(false); err != nil {
				return err
			}
			t.lastAtom = start
		case '[':
			if err := t.class(); err != nil {
				return err
			}
			t.lastAtom = start
		case '(':
			t.groups = append(t.groups, start)
			t.out = append(t.out, '(')
			t.i++
			t.lastAtom = -1
		case ')':
			if len(t.groups) == 0 {
				return fmt.Errorf("unmatched ) at offset %d", t.i)
			}
			t.lastAtom = t.groups[len(t.groups)-1]
			t.groups = t.groups[:len(t.groups)-1]
			t.out = append(t.out, ')')
			t.i++
		case '*', '+', '?':
			t.out = append(t.out, rune(c))
			t.i++
			t.quantifierSuffix()
		case '{':
			if n := quantifierLen(t.p[t.i:]); n > 0 {
				for _, b := range t.p[t.i : t.i+n] {
					t.out = append(t.out, rune(b))
				}
				t.i += n
				t.quantifierSuffix()
			} else {
				t.out = append(t.out, '\\', '{')
				t.i++
				t.lastAtom = start
			}
		case '|', '^', '$':
			t.out = append(t.out, rune(c))
			t.i++
			t.lastAtom = -1
		default:
			t.out = append(t.out, rune(c))
			t.i++
			t.lastAtom = start
		}
	}
	if len(t.groups) > 0 {
		return fmt.Errorf("unclosed ( at offset %d", t.groups[len(t.groups)-1])
	}
	return nil
}

// quantifierSuffix handles what may follow a quantifier just written: '?'
// (lazy, .NET knows it) or '+' (possessive, rewritten as an atomic group
// around the atom and its quantifier).
func (t *translator) quantifierSuffix() {
	if t.i >= len(t.p) {
		return
	}
	switch t.p[t.i] {
	case '?':
		t.out = append(t.out, '?')
		t.i++
	case '+':
		t.i++
		if t.lastAtom >= 0 {
			tail := append([]rune("(?>"), t.out[t.lastAtom:]...)
			t.out = append(t.out[:t.lastAtom], append(tail, ')')...)
		}
	}
	// A quantified atom cannot be quantified again.
	t.lastAtom = -1
}

// quantifierLen returns the length of a {n}, {n,} or {n,m} at the start of
// b, or 0 when '{' is a literal there (as PCRE reads it).
func quantifierLen(b []byte) int {
	i := 1
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return 0
	}
	if i < len(b) && b[i] == ',' {
		i++
		digits()
	}
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	return 0
}

// escape translates the escape at t.i. Inside a class the ASCII sets are
// written without brackets.
func (t *translator) escape(inClass bool) error {
	if t.i+1 >= len(t.p) {
		return fmt.Errorf("trailing backslash")
	}
	c := t.p[t.i+1]
	t.i += 2
	set := func(chars string, negate bool) {
		switch {
		case inClass && !negate:
			t.out = append(t.out, []rune(chars)...)
		case inClass:
			// No portable way to put a negated set inside a class; keep
			// .NET's (Unicode) meaning, which agrees on ASCII.
			t.out = append(t.out, '\\', rune(c))
		case negate:
			t.out = append(t.out, []rune("[^"+chars+"]")...)
		default:
			t.out = append(t.out, []rune("["+chars+"]")...)
		}
	}
	switch c {
	case 'd', 'D':
		set(digit, c == 'D')
	case 'w', 'W':
		set(word, c == 'W')
	case 's', 'S':
		set(space, c == 'S')
	case 'x':
		n := 0
		v := 0
		for n < 2 && t.i < len(t.p) && isHex(t.p[t.i]) {
			v = v*16 + hexVal(t.p[t.i])
			t.i++
			n++
		}
		if t.i < len(t.p) && t.p[t.i] == '{' && n == 0 {
			return fmt.Errorf(`\x{...} is not supported`)
		}
		t.hex(v)
	case '0':
		// PCRE: \0 then up to two more octal digits.
		v, n := 0, 0
		for n < 2 && t.i < len(t.p) && t.p[t.i] >= '0' && t.p[t.i] <= '7' {
			v = v*8 + int(t.p[t.i]-'0')
			t.i++
			n++
		}
		t.hex(v)
	default:
		if c >= 0x80 {
			// An escaped raw byte is that byte.
			t.hex(int(c))
			return nil
		}
		t.out = append(t.out, '\\', rune(c))
	}
	return nil
}

func (t *translator) hex(v int) {
	t.out = append(t.out, []rune(fmt.Sprintf(`\x%02X`, v))...)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

// class copies a character class, translating escapes. As in PCRE, a ']'
// right after '[' or '[^' is a literal.
func (t *translator) class() error {
	open := t.i
	t.out = append(t.out, '[')
	t.i++
	if t.i < len(t.p) && t.p[t.i] == '^' {
		t.out = append(t.out, '^')
		t.i++
	}
	first := true
	for t.i < len(t.p) {
		c := t.p[t.i]
		switch {
		case c == ']' && !first:
			t.out = append(t.out, ']')
			t.i++
			return nil
		case c == ']':
			t.out = append(t.out, '\\', ']')
			t.i++
		case c == '\\':
			if err := t.escape(true); err != nil {
				return err
			}
		case c == '[':
			if len(t.p) > t.i+1 && t.p[t.i+1] == ':' {
				return fmt.Errorf("POSIX class at offset %d is not supported", t.i)
			}
			t.out = append(t.out, '\\', '[')
			t.i++
		default:
			t.out = append(t.out, rune(c))
			t.i++
		}
		first = false
	}
	return fmt.Errorf("unclosed [ at offset %d", open)
}
