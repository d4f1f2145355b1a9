package rawscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

// An IP protocol scan (-sO, sdk.ProtoIP) probes IP protocol numbers: the
// scanned "port" is the protocol, which the core writes into the IP header.
// A template naming a port (its only protocol) gives that protocol's
// header; every other protocol gets the template naming none, normally an
// empty payload.
//
// Replies are matched without state, as for the port scans. The cookie
// travels where the reply echoes it: the acknowledgement of the TCP probe
// (the reset's sequence number), the identifier and sequence number of the
// ICMP echo (the echo reply's), the initiate tag of the SCTP INIT (the
// verification tag of the answer), the UDP probe's source port, and for ICMP
// errors quoting a bare header the IPv4 identification or IPv6 flow label,
// which carry the try and keyed bits of the same cookie (ipCookie).

// checkIPTemplates accepts an IP protocol scan's templates: each names at
// most its own protocol, and one names none (the default).
func checkIPTemplates(ts []sdk.PacketTemplate) error {
	def := 0
	for _, t := range ts {
		switch {
		case len(t.Ports) == 0:
			def++
		case len(t.Ports) != 1 || t.Ports[0].Lo != t.Ports[0].Hi || t.Ports[0].Lo != uint16(t.IPProtocol):
			return fmt.Errorf("template %q: an IP protocol scan's template names its own protocol %d and no other", t.Name, t.IPProtocol)
		}
	}
	if def != 1 {
		return errors.New("an IP protocol scan needs exactly one template naming no protocol (the default probe)")
	}
	return nil
}

// newIPBuilders gives every scanned protocol its builder. A template may
// lack port slots here: the TCP and UDP probes go to a fixed port.
func newIPBuilders(ts []sdk.PacketTemplate, payload []byte, protos []uint16) (*builder, map[uint16][]*builder, error) {
	var def *sdk.PacketTemplate
	own := map[uint16]*sdk.PacketTemplate{}
	for i, t := range ts {
		if len(t.Ports) == 0 {
			def = &ts[i]
		} else {
			own[t.Ports[0].Lo] = &ts[i]
		}
	}
	byPort := make(map[uint16][]*builder, len(protos))
	var first *builder
	for _, p := range protos {
		if p > 255 {
			return nil, nil, fmt.Errorf("IP protocol %d: protocols are 0 to 255", p)
		}
		t := own[p]
		if t == nil {
			t = def
		}
		b, err := newIPBuilder(*t, uint8(p), payload)
		if err != nil {
			return nil, nil, err
		}
		byPort[p] = []*builder{b}
		if first == nil {
			first = b
		}
	}
	if first == nil {
		return nil, nil, errors.New("no IP protocol to scan")
	}
	return first, byPort, nil
}

func newIPBuilder(t sdk.PacketTemplate, proto uint8, payload []byte) (*builder, error) {
	b, err := templateBuilder(t, proto, payload)
	if err != nil {
		return nil, err
	}
	b.plainSum = proto == 1 || proto == 2
	if proto == 17 && len(b.l4) >= 8 && len(b.l4) <= 0xffff {
		binary.BigEndian.PutUint16(b.l4[4:], uint16(len(b.l4)))
	}
	return b, nil
}

// ipCookie folds a probe's 32-bit cookie (try in the low byte, keyed hash
// above) into the 16-bit IPv4 identification and the 20-bit IPv6 flow
// label: the try stays in the low byte, the hash's top bits fill the rest.
func ipCookie(c uint32) (ipid uint16, flow uint32) {
	try := c & 0xff
	return uint16(c>>24)<<8 | uint16(try), (c>>20)&0xfff<<8 | try
}

// forIPScan turns the receivers of every path into protocol-scan receivers.
func (s *scanner) forIPScan() error {
	for _, p := range s.paths {
		if err := p.recv.ForProtocolScan(p.src); err != nil {
			return fmt.Errorf("raw scan: %w", err)
		}
	}
	return nil
}

// matchIP validates and classifies a reply to an IP protocol scan. An ICMP
// error from the target also proves the target speaks ICMP, so, as Nmap,
// it marks protocol 1 answered too: emit may be called twice.
func (mt *matcher) matchIP(r *rawio.Reply, src netip.Addr, emit func(event)) {
	if r.Dst != src {
		return
	}
	if r.IsICMPErrorType() {
		q := &r.Quoted
		if q.Src != src {
			return
		}
		h, known := mt.hosts[q.Dst]
		if !known {
			return
		}
		try, ok := mt.checkIPCookie(src, q.Dst, q, r.Proto == 58)
		if !ok {
			return
		}
		fromTarget := r.Src == q.Dst
		if rule := mt.cls.classifyIP(r, fromTarget, false); rule >= 0 {
			emit(event{host: h, port: uint16(q.Proto), try: try, ttl: r.TTL, rule: int16(rule)})
		}
		if fromTarget {
			if rule := mt.cls.classifyIP(r, true, true); rule >= 0 {
				emit(event{host: h, port: uint16(r.Proto), try: anyTry, ttl: r.TTL, rule: int16(rule)})
			}
		}
		return
	}
	h, known := mt.hosts[r.Src]
	if !known {
		return
	}
	// On lo our own probes arrive too. Those the protocols below answer
	// carry no cookie where the answer carries it (our ACK's sequence
	// number and our INIT's verification tag are zero, our echo request is
	// no reply) or come from our cookie port (UDP); any other protocol's
	// packet from ourselves to ourselves is our own probe.
	own := r.Src == r.Dst
	try := uint8(anyTry)
	var ok bool
	switch r.Proto {
	case 6:
		// The reset to our ACK probe: its sequence number is our
		// acknowledgement, the cookie.
		if try, ok = mt.m.CheckSeq(src, r.Src, r.DstPort, 6, r.Seq); !ok {
			return
		}
	case 17:
		if _, fromUs := mt.portTry(r.SrcPort); own && fromUs {
			return
		}
		if try, ok = mt.portTry(r.DstPort); !ok {
			return
		}
	case protoSCTP:
		// An INIT-ACK or ABORT carries our INIT's initiate tag, the cookie,
		// as its verification tag.
		if try, ok = mt.m.CheckSeq(src, r.Src, r.DstPort, protoSCTP, r.Seq); !ok {
			return
		}
	case 1, 58:
		// An echo reply returns the identifier and sequence number, the
		// cookie; other ICMP messages say nothing about our probes.
		if (r.Proto == 1 && r.ICMPType != 0) || (r.Proto == 58 && r.ICMPType != 129) {
			return
		}
		t := uint8(r.Seq)
		if try, ok = mt.m.CheckSeq(src, r.Src, mt.m.SrcPort(t), uint16(r.Proto), r.Seq); !ok {
			return
		}
	default:
		// Any other protocol carries nothing of ours to check; Nmap, too,
		// takes any packet of the probed protocol from the target.
		if own {
			return
		}
	}
	if rule := mt.cls.classifyIP(r, true, true); rule >= 0 {
		emit(event{host: h, port: uint16(r.Proto), try: try, ttl: r.TTL, rule: int16(rule)})
	}
}

// checkIPCookie validates the cookie of a quoted probe header and returns
// the probe's try.
func (mt *matcher) checkIPCookie(src, dst netip.Addr, q *rawio.Quoted, v6 bool) (uint8, bool) {
	var try uint8
	if v6 {
		try = uint8(q.FlowLabel)
	} else {
		try = uint8(q.IPID)
	}
	c := mt.m.Seq(src, dst, mt.m.SrcPort(try), uint16(q.Proto), try)
	ipid, flow := ipCookie(c)
	if v6 {
		return try, flow == q.FlowLabel
	}
	return try, ipid == q.IPID
}

// classifyIP applies the rules to a reply of an IP protocol scan. A reply
// in the probed protocol (protoReply) matches only MatchIP rules; an ICMP
// error matches the others. A MatchIP rule naming an ICMP type or code
// matches only such ICMP messages, so a plugin can give an echo reply, or
// an ICMP error proving the target speaks ICMP, its own reason.
func (c *classifier) classifyIP(r *rawio.Reply, fromTarget, protoReply bool) int {
	for i := range c.rules {
		m := &c.rules[i].Match
		var hit bool
		switch {
		case m.Kind == sdk.MatchIP:
			hit = protoReply && (m.FromTarget < 0 || (m.FromTarget == 1) == fromTarget) && icmpFits(m, r)
		case protoReply:
			hit = false
		default:
			hit = matches(m, r, fromTarget)
		}
		if hit {
			if c.rules[i].Verdict.State == sdk.StateUnknown {
				return -1
			}
			return i
		}
	}
	return -1
}

// icmpFits says whether a MatchIP rule's ICMP fields, if any, fit r.
func icmpFits(m *sdk.ReplyMatch, r *rawio.Reply) bool {
	if m.ICMPType < 0 && m.ICMPCode < 0 {
		return true
	}
	want := uint8(1)
	if m.ICMPv6 {
		want = 58
	}
	return r.Proto == want && (m.ICMPType < 0 || int(r.ICMPType) == m.ICMPType) &&
		(m.ICMPCode < 0 || int(r.ICMPCode) == m.ICMPCode)
}
