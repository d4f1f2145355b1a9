package rawscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/scanfw/scanfw/sdk"
)

// builder turns a plugin's layer-4 template into whole packets: it copies the
// template, fills the slots the core owns (ports, cookie, checksum) and puts
// an IP header (and an Ethernet header for AF_PACKET paths) in front. It
// knows nothing of what the bytes mean beyond the slots.
type builder struct {
	l4    []byte // template with the --data-length payload appended
	proto uint8
	// Slot offsets into l4; -1 when the template has no such slot.
	srcPort, dstPort, cookie, csum int
	// plainSum: the checksum covers the message alone, without the IP
	// pseudo-header (ICMPv4 and IGMP, as sent by IP protocol scans).
	plainSum bool
}

// templateBuilder copies t's layer 4 with payload appended and reads its
// slots, checked against proto (the template's protocol, or for -sO the
// protocol probed).
func templateBuilder(t sdk.PacketTemplate, proto uint8, payload []byte) (*builder, error) {
	b := &builder{proto: proto, srcPort: -1, dstPort: -1, cookie: -1, csum: -1}
	b.l4 = append(append(make([]byte, 0, len(t.Layer4)+len(payload)), t.Layer4...), payload...)
	for _, s := range t.Slots {
		want, field := 0, (*int)(nil)
		switch s.Kind {
		case sdk.SlotSrcPort:
			want, field = 2, &b.srcPort
		case sdk.SlotDstPort:
			want, field = 2, &b.dstPort
		case sdk.SlotCookie:
			want, field = 4, &b.cookie
		case sdk.SlotChecksum:
			want, field = checksumWidth(proto), &b.csum
		default:
			return nil, fmt.Errorf("template %q: slot kind %d is not known to this build", t.Name, s.Kind)
		}
		if s.Width != want {
			return nil, fmt.Errorf("template %q: slot kind %d is %d bytes wide, this build fills %d", t.Name, s.Kind, s.Width, want)
		}
		if s.Offset < 0 || s.Offset+s.Width > len(t.Layer4) {
			return nil, fmt.Errorf("template %q: slot kind %d at %d+%d is outside the %d-byte template", t.Name, s.Kind, s.Offset, s.Width, len(t.Layer4))
		}
		*field = s.Offset
	}
	return b, nil
}

func newBuilder(t sdk.PacketTemplate, payload []byte) (*builder, error) {
	b, err := templateBuilder(t, t.IPProtocol, payload)
	if err != nil {
		return nil, err
	}
	if b.srcPort < 0 || b.dstPort < 0 {
		return nil, fmt.Errorf("template %q: needs source-port and destination-port slots to match replies", t.Name)
	}
	switch {
	case b.proto == 17:
		// UDP has no field to carry a cookie: the source port is it. The
		// length covers any --data-length padding.
		if len(b.l4) < 8 || len(b.l4) > 0xffff {
			return nil, fmt.Errorf("template %q: a UDP datagram of %d bytes", t.Name, len(b.l4))
		}
		binary.BigEndian.PutUint16(b.l4[4:], uint16(len(b.l4)))
	case b.cookie < 0:
		return nil, fmt.Errorf("template %q: needs a cookie slot to match replies", t.Name)
	}
	return b, nil
}

// frameHead is what differs per target: link addresses and IP addresses.
type frameHead struct {
	link           bool // write an Ethernet header (AF_PACKET); else the packet starts at IP
	srcMAC, dstMAC [6]byte
	src, dst       netip.Addr
}

func newHead(link bool, srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr) frameHead {
	h := frameHead{link: link, src: src.Unmap(), dst: dst.Unmap()}
	copy(h.srcMAC[:], srcMAC)
	copy(h.dstMAC[:], dstMAC)
	return h
}

// probeFields are the per-packet values.
type probeFields struct {
	srcPort, dstPort uint16
	cookie           uint32
	ttl              uint8
	ipid             uint16
	flow             uint32 // IPv6 flow label (20 bits)
}

const (
	ethLen  = 14
	ipv4Len = 20
	ipv6Len = 40
)

// maxLen is the longest packet write produces.
func (b *builder) maxLen() int { return ethLen + ipv6Len + len(b.l4) }

var errShort = errors.New("buffer too short")

// write builds one packet into dst and returns its length.
func (b *builder) write(dst []byte, h *frameHead, f probeFields) (int, error) {
	v6 := h.dst.Is6()
	ipLen := ipv4Len
	if v6 {
		ipLen = ipv6Len
	}
	off := 0
	if h.link {
		off = ethLen
	}
	n := off + ipLen + len(b.l4)
	if len(dst) < n {
		return 0, errShort
	}
	if h.link {
		copy(dst[0:6], h.dstMAC[:])
		copy(dst[6:12], h.srcMAC[:])
		et := uint16(0x0800)
		if v6 {
			et = 0x86dd
		}
		binary.BigEndian.PutUint16(dst[12:], et)
	}
	ip := dst[off : off+ipLen]
	if v6 {
		binary.BigEndian.PutUint32(ip[0:], 6<<28|f.flow&0xfffff)
		binary.BigEndian.PutUint16(ip[4:], uint16(len(b.l4)))
		ip[6] = b.proto
		ip[7] = f.ttl
		s, d := h.src.As16(), h.dst.As16()
		copy(ip[8:24], s[:])
		copy(ip[24:40], d[:])
	} else {
		ip[0], ip[1] = 0x45, 0
		binary.BigEndian.PutUint16(ip[2:], uint16(ipv4Len+len(b.l4)))
		binary.BigEndian.PutUint16(ip[4:], f.ipid)
		ip[6], ip[7] = 0, 0
		ip[8], ip[9] = f.ttl, b.proto
		ip[10], ip[11] = 0, 0
		s, d := h.src.As4(), h.dst.As4()
		copy(ip[12:16], s[:])
		copy(ip[16:20], d[:])
		binary.BigEndian.PutUint16(ip[10:], ^fold(sum(ip, 0)))
	}
	l4 := dst[off+ipLen : n]
	copy(l4, b.l4)
	if b.srcPort >= 0 {
		binary.BigEndian.PutUint16(l4[b.srcPort:], f.srcPort)
	}
	if b.dstPort >= 0 {
		binary.BigEndian.PutUint16(l4[b.dstPort:], f.dstPort)
	}
	if b.cookie >= 0 {
		binary.BigEndian.PutUint32(l4[b.cookie:], f.cookie)
	}
	if b.csum >= 0 && b.proto == protoSCTP {
		putSCTPChecksum(l4, b.csum)
	} else if b.csum >= 0 {
		l4[b.csum], l4[b.csum+1] = 0, 0
		var s uint32
		if b.proto != 1 && !b.plainSum { // ICMPv4 and IGMP have no pseudo-header; TCP, UDP and ICMPv6 do
			s = pseudoSum(h.src, h.dst, b.proto, len(l4))
		}
		c := ^fold(sum(l4, s))
		if c == 0 && b.proto == 17 {
			c = 0xffff // UDP: zero means "no checksum"
		}
		binary.BigEndian.PutUint16(l4[b.csum:], c)
	}
	return n, nil
}

// sum adds b as big-endian 16-bit words to s (odd tail padded with zero).
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

func pseudoSum(src, dst netip.Addr, proto uint8, l4len int) uint32 {
	s := sum(src.AsSlice(), 0)
	s = sum(dst.AsSlice(), s)
	return s + uint32(proto) + uint32(l4len)
}
