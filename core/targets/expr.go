package targets

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// ParseError is a malformed target expression; Col is the 1-based byte
// column where the problem starts.
type ParseError struct {
	Expr string
	Col  int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("target %q, column %d: %s", e.Expr, e.Col, e.Msg)
}

// octets is the set of values one IPv4 octet takes, as a 256-bit bitmap.
type octets [4]uint64

func (o *octets) add(v int)        { o[v>>6] |= 1 << (v & 63) }
func (o *octets) has(v uint8) bool { return o[v>>6]&(1<<(v&63)) != 0 }

// next returns the smallest member >= v, or -1.
func (o *octets) next(v int) int {
	for ; v < 256; v++ {
		if w := o[v>>6] >> (v & 63); w == 0 {
			v |= 63 // skip the rest of this word
		} else if w&1 != 0 {
			return v
		}
	}
	return -1
}

func (o *octets) count() int {
	n := 0
	for v := 0; v < 256; v++ {
		if o.has(uint8(v)) {
			n++
		}
	}
	return n
}

// block is a set of addresses that needs no DNS: IPv4 octet sets (CIDR
// blocks are octet sets too), an IPv6 prefix, or one zoned IPv6 address.
type block struct {
	kind int // kindV4, kindV6, kindZoned
	v4   [4]octets
	v6   netip.Prefix
	addr netip.Addr
}

const (
	kindV4 = iota + 1
	kindV6
	kindZoned
)

func (b *block) contains(a netip.Addr) bool {
	switch b.kind {
	case kindV4:
		if !a.Is4() {
			return false
		}
		x := a.As4()
		return b.v4[0].has(x[0]) && b.v4[1].has(x[1]) && b.v4[2].has(x[2]) && b.v4[3].has(x[3])
	case kindV6:
		return b.v6.Contains(a.WithZone(""))
	}
	return b.addr == a
}

func (b *block) size() *big.Int {
	switch b.kind {
	case kindV4:
		n := big.NewInt(1)
		for i := range b.v4 {
			n.Mul(n, big.NewInt(int64(b.v4[i].count())))
		}
		return n
	case kindV6:
		return new(big.Int).Lsh(big.NewInt(1), uint(128-b.v6.Bits()))
	}
	return big.NewInt(1)
}

// blockAround is the CIDR block of bits around a (bits < 0: a alone).
func blockAround(a netip.Addr, bits int) block {
	if a.Is4() {
		var b block
		b.kind = kindV4
		x := a.As4()
		for i := range b.v4 {
			b.v4[i].add(int(x[i]))
		}
		if bits >= 0 {
			b.mask(bits)
		}
		return b
	}
	if a.Zone() != "" && bits < 0 {
		return block{kind: kindZoned, addr: a}
	}
	if bits < 0 {
		bits = 128
	}
	return block{kind: kindV6, v6: netip.PrefixFrom(a.WithZone(""), bits).Masked()}
}

// mask widens each IPv4 octet set to every value sharing a member's network
// bits, which is how Nmap combines a netmask with octet ranges
// ("198.18.1-2.0/31" is .1.0, .1.1, .2.0, .2.1).
func (b *block) mask(bits int) {
	for i := range b.v4 {
		nb := min(max(bits-8*i, 0), 8)
		if nb == 8 {
			continue
		}
		host := 0xff >> nb
		var out octets
		for v := 0; v < 256; v++ {
			if b.v4[i].has(uint8(v)) {
				for h := v &^ host; h <= v|host; h++ {
					out.add(h)
				}
			}
		}
		b.v4[i] = out
	}
}

// Expr is one parsed target expression. Literal addresses and ranges are
// compiled to a block; hostnames wait for the Iterator to resolve them.
type Expr struct {
	Text string
	host string // hostname to resolve, "" for literals
	bits int    // netmask after a hostname, -1 for none
	blk  block
}

// IsHostname reports whether the expression needs DNS.
func (e Expr) IsHostname() bool { return e.host != "" }

// Sample is one address the expression holds (its lowest), found without
// DNS, for a caller that wants to know where the targets lie before
// iterating them; false for a hostname.
func (e Expr) Sample() (netip.Addr, bool) {
	if e.host != "" {
		return netip.Addr{}, false
	}
	switch e.blk.kind {
	case kindV4:
		var x [4]byte
		for i := range x {
			v := e.blk.v4[i].next(0)
			if v < 0 {
				return netip.Addr{}, false
			}
			x[i] = byte(v)
		}
		return netip.AddrFrom4(x), true
	case kindV6:
		return e.blk.v6.Addr(), true
	case kindZoned:
		return e.blk.addr, true
	}
	return netip.Addr{}, false
}

// Parse checks the syntax of one target expression without any DNS:
// IPv4 and IPv6 addresses and CIDR blocks ("198.18.0.0/16",
// "2001:db8::/120", "[2001:db8::1]"), IPv4 octet ranges and lists
// ("198.18.1-2.10-20", "198.18.1.1,3,5-7", "198.18.1.*", "198.18.-.1") with
// an optional netmask, and hostnames with an optional netmask.
func Parse(text string) (Expr, error) {
	fail := func(col int, format string, args ...any) (Expr, error) {
		return Expr{}, &ParseError{Expr: text, Col: col + 1, Msg: fmt.Sprintf(format, args...)}
	}
	if text == "" {
		return fail(0, "empty target")
	}
	body, bits, maskCol := text, -1, -1
	if i := strings.LastIndexByte(text, '/'); i >= 0 {
		body, maskCol = text[:i], i+1
		n, err := strconv.Atoi(text[i+1:])
		if err != nil || n < 0 || text[i+1:] == "" || text[i+1] == '+' {
			return fail(maskCol, "netmask %q is not a number", text[i+1:])
		}
		bits = n
	}
	bracket := strings.HasPrefix(body, "[")
	if bracket {
		if !strings.HasSuffix(body, "]") {
			return fail(0, "'[' is not closed by ']'")
		}
		body = body[1 : len(body)-1]
	}
	e := Expr{Text: text, bits: -1}
	switch {
	case strings.Contains(body, ":"):
		a, err := netip.ParseAddr(body)
		if err != nil || !a.Is6() {
			return fail(btoi(bracket), "not an IPv6 address: %q", body)
		}
		if bits > 128 {
			return fail(maskCol, "IPv6 netmask /%d is larger than /128", bits)
		}
		if bits >= 0 && a.Zone() != "" {
			return fail(maskCol, "a zoned IPv6 address takes no netmask")
		}
		e.blk = blockAround(a, bits)
		return e, nil
	case bracket:
		return fail(1, "brackets are only for IPv6 addresses")
	case isV4Pattern(body):
		if bits > 32 {
			return fail(maskCol, "IPv4 netmask /%d is larger than /32", bits)
		}
		blk, col, msg := parseV4(body)
		if msg != "" {
			return fail(col, "%s", msg)
		}
		if bits >= 0 {
			blk.mask(bits)
		}
		e.blk = blk
		return e, nil
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fail(i, "%q is not valid in a hostname", c)
		}
	}
	if bits > 128 {
		return fail(maskCol, "netmask /%d is larger than /128", bits)
	}
	e.host, e.bits = body, bits
	return e, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isV4Pattern: only digits, dots and range characters. Such a string is
// never a hostname worth resolving ("198.18.1" is a typo, not a name).
func isV4Pattern(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ',' || c == '-' || c == '*') {
			return false
		}
	}
	return true
}

// parseV4 parses four dot-separated octet specs; on error it returns the
// column (0-based) and a message.
func parseV4(s string) (block, int, string) {
	b := block{kind: kindV4}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return b, 0, fmt.Sprintf("an IPv4 address has 4 octets, got %d", len(parts))
	}
	col := 0
	for i, p := range parts {
		if c, msg := parseOctet(p, &b.v4[i]); msg != "" {
			return b, col + c, msg
		}
		col += len(p) + 1
	}
	return b, 0, ""
}

func parseOctet(s string, o *octets) (int, string) {
	if s == "" {
		return 0, "empty octet"
	}
	col := 0
	for _, item := range strings.Split(s, ",") {
		lo, hi := 0, 255
		switch {
		case item == "":
			return col, "empty item in octet list"
		case item == "*" || item == "-":
		default:
			a, b, isRange := strings.Cut(item, "-")
			var msg string
			if a != "" {
				if lo, msg = octetValue(a); msg != "" {
					return col, msg
				}
			}
			if !isRange {
				hi = lo
			} else if b != "" {
				if hi, msg = octetValue(b); msg != "" {
					return col + len(a) + 1, msg
				}
			}
			if lo > hi {
				return col, fmt.Sprintf("octet range %d-%d is backwards", lo, hi)
			}
		}
		for v := lo; v <= hi; v++ {
			o.add(v)
		}
		col += len(item) + 1
	}
	return 0, ""
}

func octetValue(s string) (int, string) {
	n, err := strconv.Atoi(s)
	if err != nil || s[0] == '+' {
		return 0, fmt.Sprintf("%q is not an octet value", s)
	}
	if n > 255 {
		return 0, fmt.Sprintf("octet %d is larger than 255", n)
	}
	return n, ""
}
