package hostping

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// ICMP types used by discovery.
const (
	icmpEchoReply      = 0
	icmpUnreach        = 3
	icmpTimeExceeded   = 11
	icmpTimestampReply = 14
	icmpMaskReply      = 18

	icmp6Unreach      = 1
	icmp6TimeExceeded = 3
	icmp6EchoReply    = 129
	icmp6NS           = 135
	icmp6NA           = 136
)

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

// arpLen is an ARP packet for IPv4 over Ethernet without its frame, which
// is what the packet counts hold for one (padding left out).
const arpLen = 28
