package hostping

import (
	"encoding/binary"
	"net"
	"net/netip"
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

// unreachReason names an ICMPv4 destination-unreachable code as Nmap does.
func unreachReason(code uint8) string {
	switch code {
	case 0:
		return "net-unreach"
	case 1:
		return "host-unreach"
	case 2:
		return "proto-unreach"
	case 3:
		return "port-unreach"
	case 9:
		return "net-prohibited"
	case 10:
		return "host-prohibited"
	case 13:
		return "admin-prohibited"
	}
	return "host-unreach"
}

// parseIPv4 reads one IPv4 packet (header included, as raw sockets deliver
// it) against the run's identity and probes (for the pairing of ICMP reply
// types with requests).
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
	ttl := int(b[8])
	body := b[hl:total]
	switch b[9] {
	case 1:
		return icmp4(body, src, ttl, m, probes)
	case 6:
		return tcpReply(body, src, ttl, m)
	case 17:
		return udpReply(body, src, ttl, m)
	}
	return reply{}, false
}

func icmp4(b []byte, src netip.Addr, ttl int, m ident, probes []Probe) (reply, bool) {
	if len(b) < 8 {
		return reply{}, false
	}
	typ, code := b[0], b[1]
	switch typ {
	case icmpEchoReply, icmpTimestampReply, icmpMaskReply:
		if binary.BigEndian.Uint16(b[4:]) != m.id {
			return reply{}, false
		}
		s := binary.BigEndian.Uint16(b[6:])
		probe, try := int(s>>8), int(s&0xff)
		if probe >= len(probes) {
			return reply{}, false
		}
		// The reply type must pair with the request (Nmap drops an echo
		// reply to a timestamp request).
		want := map[Kind]uint8{ICMPEcho: icmpEchoReply, ICMPTimestamp: icmpTimestampReply, ICMPMask: icmpMaskReply}[probes[probe].Kind]
		if want != typ {
			return reply{}, false
		}
		reason := map[uint8]string{icmpEchoReply: "echo-reply", icmpTimestampReply: "timestamp-reply", icmpMaskReply: "addressmask-reply"}[typ]
		return reply{Addr: src, Up: true, Reason: reason, TTL: ttl, Probe: probe, Try: try}, true
	case icmpUnreach, icmpTimeExceeded:
		target, ok := quoted4(b[8:], m)
		if !ok {
			return reply{}, false
		}
		r := reply{Addr: target, TTL: ttl, Probe: -1}
		if typ == icmpTimeExceeded {
			r.Reason = "time-exceeded"
			return r, true
		}
		r.Reason = unreachReason(code)
		// Only a port or protocol unreachable from the target itself
		// proves it is there; a router's says nothing of the host.
		r.Up = (code == 2 || code == 3) && src == target
		return r, true
	}
	return reply{}, false
}

// quoted4 finds which target an ICMP error is about: the quoted IPv4 header
// and the first 8 bytes of our probe, which must carry our identity.
func quoted4(q []byte, m ident) (netip.Addr, bool) {
	if len(q) < 20 || q[0]>>4 != 4 {
		return netip.Addr{}, false
	}
	hl := int(q[0]&0x0f) * 4
	if hl < 20 || len(q) < hl+8 {
		return netip.Addr{}, false
	}
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	l4 := q[hl:]
	switch q[9] {
	case 1:
		return dst, binary.BigEndian.Uint16(l4[4:]) == m.id
	case 6, 17:
		return dst, binary.BigEndian.Uint16(l4[0:]) == m.port
	}
	return netip.Addr{}, false
}

func tcpReply(b []byte, src netip.Addr, ttl int, m ident) (reply, bool) {
	if len(b) < 20 || binary.BigEndian.Uint16(b[2:]) != m.port {
		return reply{}, false
	}
	r := reply{Addr: src, Up: true, TTL: ttl, Probe: -1}
	switch flags := b[13]; {
	case flags&tcpRST != 0:
		r.Reason = "reset"
	case flags&(tcpSYN|tcpACK) == tcpSYN|tcpACK:
		r.Reason = "syn-ack"
	default:
		return reply{}, false
	}
	return r, true
}

func udpReply(b []byte, src netip.Addr, ttl int, m ident) (reply, bool) {
	if len(b) < 8 || binary.BigEndian.Uint16(b[2:]) != m.port {
		return reply{}, false
	}
	return reply{Addr: src, Up: true, Reason: "udp-response", TTL: ttl, Probe: -1}, true
}

// parseICMPv6 reads one ICMPv6 message as a raw ICMPv6 socket delivers it
// (no IP header; source and hop limit come beside it).
func parseICMPv6(b []byte, src netip.Addr, hops int, m ident, probes []Probe) (reply, bool) {
	if len(b) < 8 {
		return reply{}, false
	}
	switch b[0] {
	case icmp6EchoReply:
		if binary.BigEndian.Uint16(b[4:]) != m.id {
			return reply{}, false
		}
		s := binary.BigEndian.Uint16(b[6:])
		probe := int(s >> 8)
		if probe >= len(probes) || probes[probe].Kind != ICMPEcho {
			return reply{}, false
		}
		return reply{Addr: src, Up: true, Reason: "echo-reply", TTL: hops, Probe: probe, Try: int(s & 0xff)}, true
	case icmp6NA:
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
		if len(q) < 48 || q[0]>>4 != 6 {
			return reply{}, false
		}
		target := netip.AddrFrom16([16]byte(q[24:40]))
		l4 := q[40:]
		switch q[6] {
		case 58:
			if binary.BigEndian.Uint16(l4[4:]) != m.id {
				return reply{}, false
			}
		case 6, 17:
			if binary.BigEndian.Uint16(l4[0:]) != m.port {
				return reply{}, false
			}
		default:
			return reply{}, false
		}
		r := reply{Addr: target, TTL: hops, Probe: -1}
		if b[0] == icmp6TimeExceeded {
			r.Reason = "time-exceeded"
			return r, true
		}
		switch b[1] {
		case 4:
			r.Reason, r.Up = "port-unreach", src == target
		case 1:
			r.Reason = "admin-prohibited"
		case 0:
			r.Reason = "net-unreach"
		default:
			r.Reason = "host-unreach"
		}
		return r, true
	}
	return reply{}, false
}

// parseTransport6 reads a TCP or UDP packet from an IPv6 raw socket.
func parseTransport6(proto uint8, b []byte, src netip.Addr, hops int, m ident) (reply, bool) {
	if proto == 6 {
		return tcpReply(b, src, hops, m)
	}
	return udpReply(b, src, hops, m)
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
