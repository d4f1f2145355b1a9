package rdns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// ReverseName is the PTR owner name of a: "4.3.2.1.in-addr.arpa." or the
// 32 nibbles of an IPv6 address under "ip6.arpa.".
func ReverseName(a netip.Addr) (string, error) {
	a = a.Unmap()
	var b strings.Builder
	switch {
	case a.Is4():
		v := a.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.in-addr.arpa.", v[3], v[2], v[1], v[0])
	case a.Is6():
		v := a.As16()
		const hex = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[v[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[v[i]>>4])
			b.WriteByte('.')
		}
		b.WriteString("ip6.arpa.")
	default:
		return "", fmt.Errorf("reverse name of invalid address %v", a)
	}
	return b.String(), nil
}

// query builds one PTR query for name with id, recursion desired.
func query(id uint16, name dnsmessage.Name) ([]byte, error) {
	m := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: name, Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET}},
	}
	return m.AppendPack(make([]byte, 0, 64))
}

// outcome is what one answer means for its request.
type outcome int

const (
	answered  outcome = iota // final: the name, or no name (NXDOMAIN, no PTR)
	truncated                // ask again over TCP
	refused                  // this server cannot answer (SERVFAIL, REFUSED, ...): try the next
)

var errNotOurs = errors.New("answer does not match the question")

// parseAnswer reads an answer to a PTR query for want: its ID, what it
// means and the name it gives ("" for none). Answers to other questions are
// errNotOurs, so a stray or spoofed packet cannot name a host.
func parseAnswer(b []byte, want func(id uint16) (dnsmessage.Name, bool)) (uint16, outcome, string, error) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil {
		return 0, 0, "", fmt.Errorf("dns answer: %w", err)
	}
	if !h.Response {
		return h.ID, 0, "", errNotOurs
	}
	name, ok := want(h.ID)
	if !ok {
		return h.ID, 0, "", errNotOurs
	}
	q, err := p.Question()
	if err != nil {
		return h.ID, 0, "", fmt.Errorf("dns answer %d: question: %w", h.ID, err)
	}
	if q.Type != dnsmessage.TypePTR || !strings.EqualFold(q.Name.String(), name.String()) {
		return h.ID, 0, "", errNotOurs
	}
	if _, err := p.Question(); !errors.Is(err, dnsmessage.ErrSectionDone) {
		return h.ID, 0, "", errNotOurs
	}
	if h.Truncated {
		return h.ID, truncated, "", nil
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return h.ID, answered, "", nil
	default:
		return h.ID, refused, "", nil
	}
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return h.ID, answered, "", nil
		}
		if err != nil {
			return h.ID, 0, "", fmt.Errorf("dns answer %d: %w", h.ID, err)
		}
		if rh.Type != dnsmessage.TypePTR || rh.Class != dnsmessage.ClassINET {
			// A CNAME of a classless delegation leads to the PTR record.
			if err := p.SkipAnswer(); err != nil {
				return h.ID, 0, "", fmt.Errorf("dns answer %d: %w", h.ID, err)
			}
			continue
		}
		ptr, err := p.PTRResource()
		if err != nil {
			return h.ID, 0, "", fmt.Errorf("dns answer %d: PTR: %w", h.ID, err)
		}
		return h.ID, answered, strings.TrimSuffix(ptr.PTR.String(), "."), nil
	}
}
