package rawio

import (
	"encoding/binary"
	"net/netip"
)

// Reply is one decoded packet addressed to us. The receive loop reuses one
// value, so a handler that keeps a Reply must copy it.
type Reply struct {
	Src, Dst netip.Addr
	// Proto is 6 (TCP), 17 (UDP), 132 (SCTP), 1 (ICMP) or 58 (ICMPv6).
	Proto uint8
	// TTL is the IPv4 TTL or IPv6 hop limit of the reply (Nmap's reason TTL).
	TTL uint8
	// TCP or UDP fields, or for ICMP errors the ports of the quoted probe.
	SrcPort, DstPort uint16
	Flags            uint8
	Seq, Ack         uint32
	Window           uint16
	// Chunk is an SCTP packet's first chunk type (2 INIT-ACK, 6 ABORT);
	// its verification tag is in Seq.
	Chunk uint8
	// ICMP errors: type, code and the quoted probe's header (our packet, so
	// Quoted.Src is our address). Quoted.Seq is its TCP sequence number, or
	// an SCTP probe's tag (see quotedSCTPTag).
	ICMPType, ICMPCode uint8
	Quoted             Quoted
	// Nanos is the kernel's receive timestamp (Unix nanoseconds) from the ring.
	Nanos int64
}

// Quoted is the probe header carried inside an ICMP error.
type Quoted struct {
	Src, Dst         netip.Addr
	Proto            uint8
	SrcPort, DstPort uint16
	Seq              uint32
	// Ack is the quoted TCP acknowledgement number (the cookie of probes
	// with ACK set); zero when the error quotes fewer than 12 bytes.
	Ack uint32
	// IPID (IPv4) and FlowLabel (IPv6) of the quoted header: filled by
	// DecodeProto only, for IP protocol scans, whose bare probes carry
	// their cookie there.
	IPID      uint16
	FlowLabel uint32
}

// IsICMPError says the reply is an ICMP error quoting one of our packets.
func (r *Reply) IsICMPError() bool { return r.Proto == 1 || r.Proto == 58 }

// decodeResult says why a frame was not decoded; constants, so the hot loop
// never allocates an error.
type decodeResult uint8

const (
	decoded decodeResult = iota
	tooShort
	notIP
	notOurs // a protocol or ICMP type we do not match on
	fragment
)

// Decode decodes an Ethernet frame in place into r. It handles IPv4 and IPv6
// (without extension headers), TCP and the ICMP errors (v4 types 3 and 11, v6
// types 1, 3 and 4) that quote a TCP or UDP probe.
func Decode(frame []byte, r *Reply) bool { return decode(frame, r) == decoded }

func decode(frame []byte, r *Reply) decodeResult {
	if len(frame) < ethLen {
		return tooShort
	}
	et := binary.BigEndian.Uint16(frame[12:])
	r.ICMPType, r.ICMPCode = 0, 0
	r.Quoted = Quoted{}
	var l4 []byte
	switch et {
	case 0x0800:
		var res decodeResult
		l4, res = decodeIPv4(frame[ethLen:], r)
		if res != decoded {
			return res
		}
	case 0x86dd:
		var res decodeResult
		l4, res = decodeIPv6(frame[ethLen:], r)
		if res != decoded {
			return res
		}
	default:
		return notIP
	}
	switch r.Proto {
	case 6:
		if len(l4) < 20 {
			return tooShort
		}
		r.SrcPort = binary.BigEndian.Uint16(l4[0:])
		r.DstPort = binary.BigEndian.Uint16(l4[2:])
		r.Seq = binary.BigEndian.Uint32(l4[4:])
		r.Ack = binary.BigEndian.Uint32(l4[8:])
		r.Flags = l4[13]
		r.Window = binary.BigEndian.Uint16(l4[14:])
		return decoded
	case 17:
		if len(l4) < 8 {
			return tooShort
		}
		r.SrcPort = binary.BigEndian.Uint16(l4[0:])
		r.DstPort = binary.BigEndian.Uint16(l4[2:])
		r.Flags, r.Seq, r.Ack, r.Window = 0, 0, 0, 0
		return decoded
	case 132:
		return decodeSCTP(l4, r)
	case 1, 58:
		if len(l4) < 8 {
			return tooShort
		}
		r.ICMPType, r.ICMPCode = l4[0], l4[1]
		if r.Proto == 1 && r.ICMPType != 3 && r.ICMPType != 11 {
			return notOurs
		}
		if r.Proto == 58 && (r.ICMPType < 1 || r.ICMPType > 4 || r.ICMPType == 2) {
			return notOurs
		}
		var q Reply
		var inner []byte
		var res decodeResult
		if r.Proto == 1 {
			inner, res = decodeIPv4(l4[8:], &q)
		} else {
			inner, res = decodeIPv6(l4[8:], &q)
		}
		if res != decoded && res != fragment {
			return res
		}
		if len(inner) < 4 || (q.Proto != 6 && q.Proto != 17 && q.Proto != 132) {
			return notOurs
		}
		r.Quoted = Quoted{Src: q.Src, Dst: q.Dst, Proto: q.Proto,
			SrcPort: binary.BigEndian.Uint16(inner[0:]), DstPort: binary.BigEndian.Uint16(inner[2:])}
		if q.Proto == 6 && len(inner) >= 8 {
			r.Quoted.Seq = binary.BigEndian.Uint32(inner[4:])
		}
		if q.Proto == 6 && len(inner) >= 12 {
			r.Quoted.Ack = binary.BigEndian.Uint32(inner[8:])
		}
		if q.Proto == 132 {
			r.Quoted.Seq = quotedSCTPTag(inner)
		}
		r.SrcPort, r.DstPort = r.Quoted.DstPort, r.Quoted.SrcPort
		r.Flags, r.Seq, r.Ack, r.Window, r.Chunk = 0, 0, 0, 0, 0
		return decoded
	}
	return notOurs
}

// decodeIPv4 fills addresses, protocol and TTL and returns the payload. A
// quoted header is often cut short, so the payload is what is there, not what
// the total length promises.
func decodeIPv4(b []byte, r *Reply) ([]byte, decodeResult) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, tooShort
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return nil, tooShort
	}
	r.Src = netip.AddrFrom4([4]byte(b[12:16]))
	r.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	r.Proto = b[9]
	r.TTL = b[8]
	end := int(binary.BigEndian.Uint16(b[2:]))
	if end < ihl || end > len(b) {
		end = len(b)
	}
	if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
		return nil, fragment // not the first fragment: no L4 header
	}
	return b[ihl:end], decoded
}

func decodeIPv6(b []byte, r *Reply) ([]byte, decodeResult) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return nil, tooShort
	}
	r.Src = netip.AddrFrom16([16]byte(b[8:24]))
	r.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	r.Proto = b[6]
	r.TTL = b[7]
	end := 40 + int(binary.BigEndian.Uint16(b[4:]))
	if end > len(b) {
		end = len(b)
	}
	return b[40:end], decoded
}
