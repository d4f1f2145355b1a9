package rawio

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// An IP protocol scan (-sO) hears answers in any protocol: a reset to its
// TCP probe, an echo reply to its ICMP probe, a packet of whatever protocol
// it probed, and ICMP errors quoting bare IP headers. ForProtocolScan widens
// a Receiver to all of that; the TCP and UDP scans keep the narrow filter.

// ForProtocolScan makes r accept every packet addressed to local, whatever
// its protocol, and decode it with DecodeProto. Call it before the first
// probe leaves.
func (r *Receiver) ForProtocolScan(local netip.Addr) error {
	filter, err := anyProtoFilter(local.Unmap())
	if err != nil {
		return err
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fmt.Errorf("receiver attach protocol-scan filter: %w", err)
	}
	r.decodeProto = true
	return nil
}

// anyProtoFilter accepts every IP packet for local and cuts it to snapLen.
func anyProtoFilter(local netip.Addr) ([]unix.SockFilter, error) {
	return localFilter(local, nil)
}

// IsICMPErrorType says an ICMP reply is an error that quotes a probe (v4
// types 3 and 11, v6 types 1 to 4), not an echo reply or other message.
func (r *Reply) IsICMPErrorType() bool {
	switch r.Proto {
	case 1:
		return r.ICMPType == 3 || r.ICMPType == 11
	case 58:
		return r.ICMPType >= 1 && r.ICMPType <= 4
	}
	return false
}

// DecodeProto decodes an Ethernet frame for an IP protocol scan: TCP and
// UDP as Decode does; ICMP echo replies with their identifier and sequence
// number in Seq (id<<16 | seq, the cookie an echo probe carries); ICMP
// errors quoting any protocol, with the quoted IPv4 identification in
// Quoted.IPID; and any other protocol with addresses, protocol and TTL
// only.
func DecodeProto(frame []byte, r *Reply) bool { return decodeProto(frame, r) == decoded }

func decodeProto(frame []byte, r *Reply) decodeResult {
	res := decode(frame, r)
	if res == decoded && r.Proto != 1 && r.Proto != 58 {
		return decoded // TCP or UDP
	}
	if res != decoded && res != notOurs {
		return res
	}
	if len(frame) < ethLen {
		return tooShort
	}
	var l4 []byte
	switch binary.BigEndian.Uint16(frame[12:]) {
	case 0x0800:
		l4, res = decodeIPv4(frame[ethLen:], r)
	case 0x86dd:
		l4, res = decodeIPv6(frame[ethLen:], r)
	default:
		return notIP
	}
	if res != decoded {
		return res
	}
	r.SrcPort, r.DstPort, r.Flags, r.Seq, r.Ack, r.Window = 0, 0, 0, 0, 0, 0
	r.ICMPType, r.ICMPCode = 0, 0
	r.Quoted = Quoted{}
	if r.Proto != 1 && r.Proto != 58 {
		return decoded
	}
	if len(l4) < 8 {
		return tooShort
	}
	r.ICMPType, r.ICMPCode = l4[0], l4[1]
	if !r.IsICMPErrorType() {
		r.Seq = binary.BigEndian.Uint32(l4[4:])
		return decoded
	}
	var q Reply
	var inner []byte
	if r.Proto == 1 {
		inner, res = decodeIPv4(l4[8:], &q)
	} else {
		inner, res = decodeIPv6(l4[8:], &q)
	}
	if res != decoded && res != fragment {
		return res
	}
	r.Quoted = Quoted{Src: q.Src, Dst: q.Dst, Proto: q.Proto}
	if r.Proto == 1 {
		r.Quoted.IPID = binary.BigEndian.Uint16(l4[8+4:])
	} else {
		r.Quoted.FlowLabel = binary.BigEndian.Uint32(l4[8:]) & 0xfffff
	}
	if (q.Proto == 6 || q.Proto == 17) && len(inner) >= 4 {
		r.Quoted.SrcPort = binary.BigEndian.Uint16(inner[0:])
		r.Quoted.DstPort = binary.BigEndian.Uint16(inner[2:])
	}
	if q.Proto == 6 && len(inner) >= 12 {
		r.Quoted.Seq = binary.BigEndian.Uint32(inner[4:])
		r.Quoted.Ack = binary.BigEndian.Uint32(inner[8:])
	}
	return decoded
}
