package ports

import (
	"fmt"
	"strconv"
)

// SpecError is a syntax or range error in a port specification. Col is the
// 1-based byte column of the offending item.
type SpecError struct {
	Spec string
	Col  int
	Msg  string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("port specification %q, column %d: %s", e.Spec, e.Col, e.Msg)
}

// item is one comma-separated element of a -p expression.
type item struct {
	proto  Proto // 0: applies to every scanned protocol
	name   string
	lo, hi int  // hi < 0: open-ended, up to the protocol's maximum
	known  bool // inside [...]: only ports the catalogue lists
	col    int
}

// Spec is a parsed -p or --exclude-ports expression. It holds syntax only;
// Select binds it to the scanned protocols and the services catalogue.
type Spec struct {
	text  string
	items []item
}

// String returns the expression as given.
func (s *Spec) String() string { return s.text }

// ParseSpec parses Nmap's port syntax: numbers and ranges ("22", "1-1024",
// "-100", "60000-", "-"), service names with '*'/'?' wildcards ("http*"),
// protocol prefixes that hold until the next one ("U:53,T:21-25,80") and
// brackets keeping only catalogued ports ("[1-1024]").
func ParseSpec(text string) (*Spec, error) {
	p := specParser{s: text}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return &Spec{text: text, items: p.items}, nil
}

type specParser struct {
	s     string
	i     int
	proto Proto
	items []item
}

func (p *specParser) fail(col int, format string, args ...any) error {
	return &SpecError{Spec: p.s, Col: col + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *specParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *specParser) parse() error {
	if p.s == "" {
		return p.fail(0, "empty port specification")
	}
	for {
		if err := p.element(); err != nil {
			return err
		}
		if p.i == len(p.s) {
			return nil
		}
		if p.peek() != ',' {
			return p.fail(p.i, "unexpected %q, want ',' between items", p.peek())
		}
		p.i++
	}
}

// element parses an optional protocol prefix and then one item or a
// bracketed list of items.
func (p *specParser) element() error {
	if p.i+1 < len(p.s) && p.s[p.i+1] == ':' {
		switch p.s[p.i] {
		case 'T', 't':
			p.proto = TCP
		case 'U', 'u':
			p.proto = UDP
		case 'S', 's':
			p.proto = SCTP
		case 'P', 'p':
			p.proto = IP
		default:
			return p.fail(p.i, "unknown protocol prefix %q (want T:, U:, S: or P:)", p.s[p.i:p.i+2])
		}
		p.i += 2
	}
	if p.peek() != '[' {
		return p.item(false)
	}
	open := p.i
	p.i++
	for {
		if err := p.item(true); err != nil {
			return err
		}
		switch p.peek() {
		case ']':
			p.i++
			return nil
		case ',':
			p.i++
		default:
			return p.fail(open, "'[' is not closed by ']'")
		}
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == '?' ||
		c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '+' || c == '/'
}

func (p *specParser) item(known bool) error {
	start := p.i
	c := p.peek()
	switch {
	case c == 0 || c == ',' || c == ']':
		return p.fail(start, "empty item")
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == '?':
		for p.i < len(p.s) && isNameByte(p.s[p.i]) {
			p.i++
		}
		p.items = append(p.items, item{proto: p.proto, name: p.s[start:p.i], known: known, col: start + 1})
		return nil
	}
	it := item{proto: p.proto, known: known, col: start + 1, lo: -1, hi: -1}
	if c != '-' {
		n, err := p.number()
		if err != nil {
			return err
		}
		it.lo, it.hi = n, n
	}
	if p.peek() == '-' {
		p.i++
		it.hi = -1
		if c := p.peek(); c >= '0' && c <= '9' {
			n, err := p.number()
			if err != nil {
				return err
			}
			it.hi = n
		}
	}
	if it.lo < 0 {
		it.lo = 1 // "-100" and "-" start at 1; port 0 only when named
		if p.proto == IP {
			it.lo = 0
		}
	}
	if it.hi >= 0 && it.hi < it.lo {
		return p.fail(start, "port range %d-%d is backwards; did you mean %d-%d?", it.lo, it.hi, it.hi, it.lo)
	}
	p.items = append(p.items, it)
	return nil
}

func (p *specParser) number() (int, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if start == p.i {
		return 0, p.fail(start, "expected a port number, got %q", p.peek())
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil || n > 65535 {
		return 0, p.fail(start, "port %s out of range (0-65535)", p.s[start:p.i])
	}
	return n, nil
}
