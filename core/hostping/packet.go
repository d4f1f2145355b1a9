package hostping

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// Kind is one discovery probe type.
type Kind uint8

const (
	ICMPEcho      Kind = iota + 1 // -PE (ICMPv6 echo for IPv6 targets)
	TCPSyn                        // -PS
	TCPAck                        // -PA
	ICMPTimestamp                 // -PP, IPv4 only
	UDP                           // -PU
	ICMPMask                      // -PM, IPv4 only
)

func (k Kind) String() string {
	switch k {
	case ICMPEcho:
		return "icmp-echo"
	case TCPSyn:
		return "tcp-syn"
	case TCPAck:
		return "tcp-ack"
	case ICMPTimestamp:
		return "icmp-timestamp"
	case UDP:
		return "udp"
	case ICMPMask:
		return "icmp-mask"
	}
	return "unknown"
}

// Probe is one probe sent to every host: a kind and, for TCP and UDP, the
// destination port.
type Probe struct {
	Kind Kind
	Port uint16
}

// v4Only reports whether the probe has no IPv6 form (Nmap skips it there).
func (p Probe) v4Only() bool { return p.Kind == ICMPTimestamp || p.Kind == ICMPMask }

// ICMP types used by discovery.
const (
	icmpEchoReply      = 0
	icmpUnreach        = 3
	icmpEcho           = 8
	icmpTimeExceeded   = 11
	icmpTimestamp      = 13
	icmpTimestampReply = 14
	icmpMask           = 17
	icmpMaskReply      = 18

	icmp6Unreach      = 1
	icmp6TimeExceeded = 3
	icmp6Echo         = 128
	icmp6EchoReply    = 129
	icmp6NS           = 135
	icmp6NA           = 136
)

// icmpRequest writes an ICMPv4 echo, timestamp or mask request with the
// run's identifier and a sequence number saying which probe and try it is,
// checksum included, and returns its length.
func icmpRequest(dst []byte, typ uint8, id, seq uint16) int {
	n := 8
	switch typ {
	case icmpTimestamp:
		n = 20
	case icmpMask:
		n = 12
	}
	clear(dst[:n])
	dst[0] = typ
	binary.BigEndian.PutUint16(dst[4:], id)
	binary.BigEndian.PutUint16(dst[6:], seq)
	binary.BigEndian.PutUint16(dst[2:], checksum(dst[:n], 0))
	return n
}

// icmp6Echo writes an ICMPv6 echo request; the kernel fills its checksum.
func icmp6EchoRequest(dst []byte, id, seq uint16) int {
	clear(dst[:8])
	dst[0] = icmp6Echo
	binary.BigEndian.PutUint16(dst[4:], id)
	binary.BigEndian.PutUint16(dst[6:], seq)
	return 8
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// tcpSegment writes a 20-byte TCP header (SYN or ACK, no options) from
// srcPort to dstPort with the checksum over src and dst.
func tcpSegment(dst []byte, src, to netip.Addr, srcPort, dstPort uint16, flags uint8, seq, ack uint32) int {
	clear(dst[:20])
	binary.BigEndian.PutUint16(dst[0:], srcPort)
	binary.BigEndian.PutUint16(dst[2:], dstPort)
	binary.BigEndian.PutUint32(dst[4:], seq)
	binary.BigEndian.PutUint32(dst[8:], ack)
	dst[12] = 5 << 4
	dst[13] = flags
	binary.BigEndian.PutUint16(dst[14:], 1024) // Nmap's usual window
	binary.BigEndian.PutUint16(dst[16:], checksum(dst[:20], pseudo(src, to, 6, 20)))
	return 20
}

// udpDatagram writes an empty UDP datagram (Nmap's -PU with no payload for
// the port) with its checksum.
func udpDatagram(dst []byte, src, to netip.Addr, srcPort, dstPort uint16) int {
	clear(dst[:8])
	binary.BigEndian.PutUint16(dst[0:], srcPort)
	binary.BigEndian.PutUint16(dst[2:], dstPort)
	binary.BigEndian.PutUint16(dst[4:], 8)
	c := checksum(dst[:8], pseudo(src, to, 17, 8))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(dst[6:], c)
	return 8
}

// arpRequest writes a broadcast Ethernet frame asking who has target.
func arpRequest(dst []byte, srcMAC net.HardwareAddr, src, target netip.Addr) int {
	clear(dst[:42])
	for i := range 6 {
		dst[i] = 0xff
	}
	copy(dst[6:12], srcMAC)
	binary.BigEndian.PutUint16(dst[12:], 0x0806)
	a := dst[14:]
	binary.BigEndian.PutUint16(a[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	copy(a[8:14], srcMAC)
	s4, t4 := src.As4(), target.As4()
	copy(a[14:18], s4[:])
	copy(a[24:28], t4[:])
	return 42
}

// neighbourSolicit writes an ICMPv6 neighbour solicitation for target with
// our link-layer address as option; the kernel fills the checksum.
func neighbourSolicit(dst []byte, srcMAC net.HardwareAddr, target netip.Addr) int {
	clear(dst[:32])
	dst[0] = icmp6NS
	t := target.As16()
	copy(dst[8:24], t[:])
	dst[24], dst[25] = 1, 1 // source link-layer address, 8 bytes
	copy(dst[26:32], srcMAC)
	return 32
}

// solicitedNode is the multicast group a neighbour solicitation for a goes to.
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 1, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}

func pseudo(src, dst netip.Addr, proto uint8, n int) uint32 {
	var s uint32
	for _, b := range [][]byte{src.AsSlice(), dst.AsSlice()} {
		for i := 0; i+1 < len(b); i += 2 {
			s += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	return s + uint32(proto) + uint32(n)
}

func checksum(b []byte, s uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
