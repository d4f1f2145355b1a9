package relay

import "encoding/binary"

// fixChecksum completes the TCP or UDP checksum of an Ethernet frame whose
// sender left it to hardware. On veth the kernel hands such frames on with
// only the pseudo-header sum in place (CHECKSUM_PARTIAL, TP_STATUS_CSUMNOTREADY
// in the ring); once the relay re-sends them as plain bytes the receiving
// stack would verify and drop them. IPv4 and IPv6 without extension headers
// are handled; it reports whether it rewrote a checksum.
func fixChecksum(frame []byte) bool {
	if len(frame) < 14 {
		return false
	}
	off := 12
	etype := binary.BigEndian.Uint16(frame[off:])
	for (etype == 0x8100 || etype == 0x88a8) && len(frame) >= off+6 {
		off += 4
		etype = binary.BigEndian.Uint16(frame[off:])
	}
	ip := frame[off+2:]
	var sum uint32
	var proto byte
	var l4 []byte
	switch etype {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 {
			return false
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < 20 || total < ihl || total > len(ip) {
			return false
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return false // a fragment: the checksum spans fragments
		}
		proto = ip[9]
		l4 = ip[ihl:total]
		sum = sumBytes(ip[12:20], 0)
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return false
		}
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		if 40+plen > len(ip) {
			return false
		}
		proto = ip[6]
		l4 = ip[40 : 40+plen]
		sum = sumBytes(ip[8:40], 0)
	default:
		return false
	}
	var at int
	switch proto {
	case 6:
		at = 16
	case 17:
		at = 6
	default:
		return false
	}
	if len(l4) < at+2 {
		return false
	}
	sum += uint32(proto) + uint32(len(l4))
	l4[at], l4[at+1] = 0, 0
	c := finish(sumBytes(l4, sum))
	if c == 0 && proto == 17 {
		c = 0xffff // zero means "no checksum" in UDP
	}
	binary.BigEndian.PutUint16(l4[at:], c)
	return true
}

func sumBytes(b []byte, sum uint32) uint32 {
	// Fold 64-bit chunks: a frame is at most a few KiB, so a uint64
	// accumulator cannot overflow, and it is several times faster than
	// 16-bit steps.
	acc := uint64(sum)
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		acc += v >> 32
		acc += v & 0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	for acc>>32 != 0 {
		acc = acc&0xffffffff + acc>>32
	}
	return uint32(acc)
}

func finish(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
