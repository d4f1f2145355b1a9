package udp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/scanfw/scanfw/sdk"
)

// Payload is one datagram body and the destination ports it is sent to.
type Payload struct {
	Name  string
	Ports []sdk.PortRange
	Data  []byte
}

// ParseOwn reads the scanfw-payloads format (described at the top of
// data/scanfw-payloads): "payload NAME PORTS" starts a payload, "hex" and
// "text" lines append bytes. name is the source's name for errors.
func ParseOwn(name string, src []byte) ([]Payload, error) {
	var out []Payload
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch kw {
		case "payload":
			f := strings.Fields(rest)
			if len(f) != 2 {
				return nil, fmt.Errorf("%s:%d: want \"payload NAME PORTS\"", name, n)
			}
			ports, err := ParsePorts(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
			out = append(out, Payload{Name: f[0], Ports: ports})
			continue
		case "hex", "text":
		default:
			return nil, fmt.Errorf("%s:%d: unknown keyword %q (payload, hex, text)", name, n, kw)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s:%d: %s before any payload line", name, n, kw)
		}
		p := &out[len(out)-1]
		if kw == "hex" {
			b, err := hex.DecodeString(strings.Join(strings.Fields(rest), ""))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: hex: %w", name, n, err)
			}
			p.Data = append(p.Data, b...)
			continue
		}
		s, err := strconv.Unquote(rest)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: text wants one Go-quoted string: %w", name, n, err)
		}
		p.Data = append(p.Data, s...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// ParseNmap reads Nmap's nmap-payloads format: "udp PORTS" followed by one
// or more C-quoted strings (on the same or following lines) that are
// concatenated, an optional "source PORT" (ignored: every probe leaves from
// its cookie port), and # comments.
func ParseNmap(name string, src []byte) ([]Payload, error) {
	var out []Payload
	l := lexer{src: src, line: 1}
	for {
		tok, quoted, err := l.next()
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, l.line, err)
		}
		switch {
		case tok == "" && !quoted:
			return out, nil
		case quoted:
			if len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: a string before any \"udp\" line", name, l.line)
			}
			out[len(out)-1].Data = append(out[len(out)-1].Data, tok...)
		case tok == "udp":
			ps, _, err := l.next()
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, l.line, err)
			}
			ports, err := ParsePorts(ps)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, l.line, err)
			}
			out = append(out, Payload{Name: "nmap-payloads:" + strconv.Itoa(l.line), Ports: ports})
		case tok == "source":
			if _, _, err := l.next(); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, l.line, err)
			}
		default:
			return nil, fmt.Errorf("%s:%d: unexpected %q (udp, source or a quoted string)", name, l.line, tok)
		}
	}
}

// lexer splits nmap-payloads into words and C-quoted strings.
type lexer struct {
	src  []byte
	pos  int
	line int
}

// next returns the next word, or the decoded body of a quoted string with
// quoted set; an empty word without quoted is the end.
func (l *lexer) next() (string, bool, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r':
			l.pos++
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '"':
			return l.quoted()
		default:
			start := l.pos
			for l.pos < len(l.src) && !strings.ContainsRune(" \t\r\n\"#", rune(l.src[l.pos])) {
				l.pos++
			}
			return string(l.src[start:l.pos]), false, nil
		}
	}
	return "", false, nil
}

func (l *lexer) quoted() (string, bool, error) {
	var b []byte
	l.pos++ // the opening quote
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		l.pos++
		switch c {
		case '"':
			return string(b), true, nil
		case '\n':
			return "", false, fmt.Errorf("string not closed on its line")
		case '\\':
			if l.pos >= len(l.src) {
				return "", false, fmt.Errorf("a backslash at the end of the file")
			}
			e := l.src[l.pos]
			l.pos++
			switch e {
			case 'x':
				if l.pos+2 > len(l.src) {
					return "", false, fmt.Errorf("\\x needs two hex digits")
				}
				v, err := strconv.ParseUint(string(l.src[l.pos:l.pos+2]), 16, 8)
				if err != nil {
					return "", false, fmt.Errorf("\\x%s: not two hex digits", l.src[l.pos:l.pos+2])
				}
				b = append(b, byte(v))
				l.pos += 2
			case 'r':
				b = append(b, '\r')
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, 7)
			case 'b':
				b = append(b, 8)
			case 'f':
				b = append(b, 12)
			case 'v':
				b = append(b, 11)
			default:
				b = append(b, e) // \\ \" and any other escaped character stand for themselves
			}
		default:
			b = append(b, c)
		}
	}
	return "", false, fmt.Errorf("string not closed")
}

// ParsePorts reads "53,5353,32768-65535".
func ParsePorts(s string) ([]sdk.PortRange, error) {
	var out []sdk.PortRange
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port list %q: %q is not a port", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("port list %q: %q is not a port", s, hi)
			}
		}
		if b < a {
			return nil, fmt.Errorf("port list %q: range %s runs backwards", s, part)
		}
		out = append(out, sdk.PortRange{Lo: uint16(a), Hi: uint16(b)})
	}
	return out, nil
}
