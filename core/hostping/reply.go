package hostping

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/scanfw/scanfw/sdk"
)

// ident is what a run stamps into every probe so its replies can be told
// from other traffic: the ICMP identifier and the TCP/UDP source port.
type ident struct {
	id   uint16
	port uint16
}

// seq packs which probe of the list and which try an ICMP request is.
func seq(probe, try int) uint16 { return uint16(probe)<<8 | uint16(try) }

// reply is what one received packet says about one target.
type reply struct {
	Addr   netip.Addr
	Up     bool   // positive: the host is up
	Reason string // Nmap's reason: echo-reply, syn-ack, reset, port-unreach, ...
	TTL    int
	MAC    net.HardwareAddr // from ARP and ND answers
	// Probe is the index of the probe answered, or -1 when the reply cannot
	// say (TCP, UDP: matched by port only).
	Probe, Try int
}

// seen is what one received packet says, before the probes' rules read it.
type seen struct {
	kind        sdk.MatchKind
	src, target netip.Addr
	ttl         int
	v6          bool
	proto       uint8 // the packet's IP protocol, or the quoted probe's for an ICMP error
	isError     bool  // an ICMP error quoting one of our probes
	icmpType    int
	icmpCode    int
	tcpFlags    uint8
	tcpWindow   uint16
	sctpChunk   uint8
	probe, try  int // from an ICMP sequence number; -1 when the reply cannot say
}

// classify reads s by the rules of the probes it may answer (those of its
// protocol to its target's family, or the one its sequence number names):
// the first rule matching wins per probe, and a probe's "up" beats
// another's hint.
func classify(s seen, probes []Probe) (reply, bool) {
	out, found := reply{Addr: s.target, TTL: s.ttl, Probe: s.probe, Try: s.try}, false
	for pi, p := range probes {
		if s.probe >= 0 && pi != s.probe {
			continue
		}
		f := p.formFor(s.target)
		if f == nil || f.proto != s.proto {
			continue
		}
		for _, r := range p.rules {
			if !matches(r.Match, s) {
				continue
			}
			switch r.Verdict.Host {
			case sdk.HostUp:
				out.Up, out.Reason = true, r.Verdict.Reason
				return out, true
			case sdk.HostDownHint:
				if !found {
					out.Reason, found = r.Verdict.Reason, true
				}
			}
			break
		}
	}
	return out, found
}

// matches applies one rule's match to a reply.
func matches(m sdk.ReplyMatch, s seen) bool {
	if m.FromTarget >= 0 && (s.src == s.target) != (m.FromTarget == 1) {
		return false
	}
	switch m.Kind {
	case sdk.MatchIP:
		return !s.isError
	case sdk.MatchICMP:
		return s.kind == sdk.MatchICMP && m.ICMPv6 == s.v6 &&
			(m.ICMPType < 0 || m.ICMPType == s.icmpType) && (m.ICMPCode < 0 || m.ICMPCode == s.icmpCode)
	case sdk.MatchTCP:
		return s.kind == sdk.MatchTCP && s.tcpFlags&m.TCPFlagsMask == m.TCPFlags &&
			(m.TCPWindow < 0 || (m.TCPWindow == 0) == (s.tcpWindow == 0))
	case sdk.MatchUDP:
		return s.kind == sdk.MatchUDP
	case sdk.MatchSCTP:
		return s.kind == sdk.MatchSCTP && (m.SCTPChunk == 0 || m.SCTPChunk == s.sctpChunk)
	}
	return false
}

// parseIPv4 reads one IPv4 packet (header included, as raw sockets deliver
// it) against the run's identity.
func parseIPv4(b []byte, m ident, probes []Probe) (reply, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return reply{}, false
	}
	hl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if hl < 20 || total < hl || total > len(b) {
		return reply{}, false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	s := seen{src: src, target: src, ttl: int(b[8]), proto: b[9], probe: -1}
	body := b[hl:total]
	if s.proto == 1 {
		if !icmp4(body, &s, m) {
			return reply{}, false
		}
	} else if !transport(body, &s, m) {
		return reply{}, false
	}
	return classify(s, probes)
}

// transport reads a TCP, UDP or SCTP reply, which must come to the run's
// port, or any other protocol's packet, which cannot say more.
func transport(b []byte, s *seen, m ident) bool {
	switch s.proto {
	case 6:
		if len(b) < 20 || binary.BigEndian.Uint16(b[2:]) != m.port {
			return false
		}
		s.kind, s.tcpFlags, s.tcpWindow = sdk.MatchTCP, b[13], binary.BigEndian.Uint16(b[14:])
	case 17:
		if len(b) < 8 || binary.BigEndian.Uint16(b[2:]) != m.port {
			return false
		}
		s.kind = sdk.MatchUDP
	case 132:
		if len(b) < 16 || binary.BigEndian.Uint16(b[2:]) != m.port {
			return false
		}
		s.kind, s.sctpChunk = sdk.MatchSCTP, b[12]
	default:
		s.kind = sdk.MatchIP
	}
	return true
}

func icmp4(b []byte, s *seen, m ident) bool {
	if len(b) < 8 {
		return false
	}
	s.kind, s.icmpType, s.icmpCode = sdk.MatchICMP, int(b[0]), int(b[1])
	switch b[0] {
	case icmpEchoReply, icmpTimestampReply, icmpMaskReply:
		return echoed(b, s, m)
	case icmpUnreach, icmpTimeExceeded:
		target, proto, ok := quoted4(b[8:], m)
		s.target, s.proto, s.isError = target, proto, true
		return ok
	}
	return false
}

// echoed reads the identifier and sequence number of an ICMP reply: the
// run's identifier, and which probe and try it answers.
func echoed(b []byte, s *seen, m ident) bool {
	if binary.BigEndian.Uint16(b[4:]) != m.id {
		return false
	}
	q := binary.BigEndian.Uint16(b[6:])
	s.probe, s.try = int(q>>8), int(q&0xff)
	return true
}

// quoted4 finds which target and protocol an ICMP error is about: the
// quoted IPv4 header and the first 8 bytes of our probe, which must carry
// our identity when its protocol has room for one.
func quoted4(q []byte, m ident) (netip.Addr, uint8, bool) {
	if len(q) < 20 || q[0]>>4 != 4 {
		return netip.Addr{}, 0, false
	}
	hl := int(q[0]&0x0f) * 4
	if hl < 20 || len(q) < hl {
		return netip.Addr{}, 0, false
	}
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	return dst, q[9], quotesUs(q[9], q[hl:], m)
}

// quotesUs checks the identity in the quoted start of a probe of protocol
// proto. Protocols without ports or identifiers (IGMP, IP-in-IP, ...)
// cannot be told from another scanner's: Nmap takes them too.
func quotesUs(proto uint8, l4 []byte, m ident) bool {
	switch proto {
	case 1, 58:
		return len(l4) >= 8 && binary.BigEndian.Uint16(l4[4:]) == m.id
	case 6, 17, 132:
		return len(l4) >= 2 && binary.BigEndian.Uint16(l4[0:]) == m.port
	}
	return true
}

// parseICMPv6 reads one ICMPv6 message as a raw ICMPv6 socket delivers it
// (no IP header; source and hop limit come beside it).
func parseICMPv6(b []byte, src netip.Addr, hops int, m ident, probes []Probe) (reply, bool) {
	if len(b) < 8 {
		return reply{}, false
	}
	s := seen{kind: sdk.MatchICMP, src: src, target: src, ttl: hops, v6: true, proto: 58, icmpType: int(b[0]), icmpCode: int(b[1]), probe: -1}
	switch b[0] {
	case icmp6EchoReply:
		if !echoed(b, &s, m) {
			return reply{}, false
		}
	case icmp6NA:
		// Neighbour discovery is the core's own (link layer), not a ping.
		if len(b) < 24 {
			return reply{}, false
		}
		target := netip.AddrFrom16([16]byte(b[8:24]))
		r := reply{Addr: target, Up: true, Reason: "nd-response", Probe: -1}
		for opts := b[24:]; len(opts) >= 8 && opts[1] > 0 && int(opts[1])*8 <= len(opts); opts = opts[int(opts[1])*8:] {
			if opts[0] == 2 { // target link-layer address
				r.MAC = append(net.HardwareAddr(nil), opts[2:8]...)
			}
		}
		return r, true
	case icmp6Unreach, icmp6TimeExceeded:
		q := b[8:]
		if len(q) < 40 || q[0]>>4 != 6 {
			return reply{}, false
		}
		s.target, s.proto, s.isError = netip.AddrFrom16([16]byte(q[24:40])), q[6], true
		if !quotesUs(s.proto, q[40:], m) {
			return reply{}, false
		}
	default:
		return reply{}, false
	}
	return classify(s, probes)
}

// parseTransport6 reads a packet of another protocol from an IPv6 raw
// socket (no IP header).
func parseTransport6(proto uint8, b []byte, src netip.Addr, hops int, m ident, probes []Probe) (reply, bool) {
	s := seen{src: src, target: src, ttl: hops, v6: true, proto: proto, probe: -1}
	if !transport(b, &s, m) {
		return reply{}, false
	}
	return classify(s, probes)
}

// parseARP reads an Ethernet frame and returns the sender of an ARP reply
// addressed to local.
func parseARP(f []byte, local netip.Addr) (reply, bool) {
	if len(f) < 42 || binary.BigEndian.Uint16(f[12:]) != 0x0806 {
		return reply{}, false
	}
	a := f[14:]
	if binary.BigEndian.Uint16(a[0:]) != 1 || binary.BigEndian.Uint16(a[2:]) != 0x0800 || a[4] != 6 || a[5] != 4 ||
		binary.BigEndian.Uint16(a[6:]) != 2 {
		return reply{}, false
	}
	if netip.AddrFrom4([4]byte(a[24:28])) != local {
		return reply{}, false
	}
	return reply{
		Addr: netip.AddrFrom4([4]byte(a[14:18])), Up: true, Reason: "arp-response",
		MAC: append(net.HardwareAddr(nil), a[8:14]...), Probe: -1,
	}, true
}
