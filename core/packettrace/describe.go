package packettrace

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Describe renders one IP packet (IPv4 or IPv6, starting at the IP header)
// as Nmap's low-detail summary.
func Describe(pkt []byte) string {
	var b strings.Builder
	describe(&b, pkt)
	return b.String()
}

// DescribeFrame renders an Ethernet frame: IP packets as Describe does,
// ARP as Nmap's ARP lines, anything else by its EtherType.
func DescribeFrame(frame []byte) string {
	if len(frame) < 14 {
		return "BOGUS!  Can't parse supposed Ethernet frame"
	}
	switch et := binary.BigEndian.Uint16(frame[12:]); et {
	case 0x0800, 0x86dd:
		return Describe(frame[14:])
	case 0x0806:
		return describeARP(frame[14:])
	default:
		return fmt.Sprintf("Ethernet type 0x%04x", et)
	}
}

func describeARP(a []byte) string {
	if len(a) < 28 || a[4] != 6 || a[5] != 4 {
		return "ARP (unparsed)"
	}
	sha := a[8:14]
	spa := netip.AddrFrom4([4]byte(a[14:18]))
	tpa := netip.AddrFrom4([4]byte(a[24:28]))
	switch binary.BigEndian.Uint16(a[6:]) {
	case 1:
		return fmt.Sprintf("ARP who-has %s tell %s", tpa, spa)
	case 2:
		return fmt.Sprintf("ARP reply %s is-at %02X:%02X:%02X:%02X:%02X:%02X", spa, sha[0], sha[1], sha[2], sha[3], sha[4], sha[5])
	}
	return "ARP (unknown operation)"
}

// ipHeader is what the summary needs from the IP header.
type ipHeader struct {
	src, dst netip.Addr
	proto    uint8
	info     string // Nmap's ipinfo field
	fragOff  int    // bytes
}

const bogus = "BOGUS!  Can't parse supposed IP packet"

func parseIP(pkt []byte) (ipHeader, []byte, bool) {
	if len(pkt) < 1 {
		return ipHeader{}, nil, false
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < 20 {
			return ipHeader{}, nil, false
		}
		hl := int(pkt[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(pkt[2:]))
		if hl < 20 || hl > len(pkt) {
			return ipHeader{}, nil, false
		}
		off := binary.BigEndian.Uint16(pkt[6:])
		h := ipHeader{
			src: netip.AddrFrom4([4]byte(pkt[12:16])), dst: netip.AddrFrom4([4]byte(pkt[16:20])),
			proto: pkt[9], fragOff: 8 * int(off&0x1fff),
		}
		frag := ""
		if h.fragOff != 0 || off&0x2000 != 0 {
			plus := ""
			if off&0x2000 != 0 {
				plus = "+"
			}
			frag = fmt.Sprintf(" frag offset=%d%s", h.fragOff, plus)
		}
		opts := ""
		if hl > 20 {
			opts = "ipopts={" + hexOptions(pkt[20:hl]) + "}"
		}
		h.info = fmt.Sprintf("ttl=%d id=%d iplen=%d%s %s", pkt[8], binary.BigEndian.Uint16(pkt[4:]), total, frag, opts)
		end := min(max(total, hl), len(pkt))
		return h, pkt[hl:end], true
	case 6:
		if len(pkt) < 40 {
			return ipHeader{}, nil, false
		}
		flow := binary.BigEndian.Uint32(pkt[0:]) & 0x000fffff
		plen := int(binary.BigEndian.Uint16(pkt[4:]))
		h := ipHeader{
			src: netip.AddrFrom16([16]byte(pkt[8:24])), dst: netip.AddrFrom16([16]byte(pkt[24:40])),
			proto: pkt[6],
			info:  fmt.Sprintf("hopl=%d flow=%x payloadlen=%d", pkt[7], flow, plen),
		}
		return h, pkt[40:min(40+plen, len(pkt))], true
	}
	return ipHeader{}, nil, false
}

// hexOptions shows IPv4 options as bytes; scanfw never sends any, so a
// reply's options only need to be visible, not named.
func hexOptions(o []byte) string {
	var b strings.Builder
	for _, c := range o {
		fmt.Fprintf(&b, "\\x%02x", c)
	}
	return b.String()
}

func describe(b *strings.Builder, pkt []byte) {
	h, data, ok := parseIP(pkt)
	if !ok {
		b.WriteString(bogus)
		return
	}
	src, dst := h.src.String(), h.dst.String()
	switch h.proto {
	case 6:
		describeTCP(b, h, src, dst, data)
	case 17:
		if h.fragOff != 0 || len(data) < 4 {
			fmt.Fprintf(b, "UDP %s:?? > %s:?? fragment %s (incomplete)", src, dst, h.info)
			return
		}
		fmt.Fprintf(b, "UDP %s:%d > %s:%d %s", src, binary.BigEndian.Uint16(data), dst, binary.BigEndian.Uint16(data[2:]), h.info)
	case 132:
		if h.fragOff != 0 || len(data) < 4 {
			fmt.Fprintf(b, "SCTP %s:?? > %s:?? fragment %s (incomplete)", src, dst, h.info)
			return
		}
		fmt.Fprintf(b, "SCTP %s:%d > %s:%d %s", src, binary.BigEndian.Uint16(data), dst, binary.BigEndian.Uint16(data[2:]), h.info)
	case 1:
		describeICMP(b, h, src, dst, data)
	case 58:
		if len(data) > 4 {
			fmt.Fprintf(b, "ICMPv6 (58) %s > %s (type=%d/code=%d) %s", src, dst, data[0], data[1], h.info)
		} else {
			fmt.Fprintf(b, "ICMPv6 (58) %s > %s (type=?/code=?) %s", src, dst, h.info)
		}
	default:
		fmt.Fprintf(b, "%s (%d) %s > %s: %s", protocolName(h.proto), h.proto, src, dst, h.info)
	}
}

func tcpFlags(f uint8) string {
	var s []byte
	for _, x := range []struct {
		bit uint8
		c   byte
	}{{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, 'A'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'C'}} {
		if f&x.bit != 0 {
			s = append(s, x.c)
		}
	}
	return string(s)
}

func describeTCP(b *strings.Builder, h ipHeader, src, dst string, d []byte) {
	switch {
	case h.fragOff > 8 || len(d) < 8:
		fmt.Fprintf(b, "TCP %s:?? > %s:?? ?? %s (incomplete)", src, dst, h.info)
		return
	case len(d) < 20:
		sp, dp := binary.BigEndian.Uint16(d), binary.BigEndian.Uint16(d[2:])
		if len(d) < 16 {
			fmt.Fprintf(b, "TCP %s:%d > %s:%d seq=%d (incomplete), %s", src, sp, dst, dp, binary.BigEndian.Uint32(d[4:]), h.info)
			return
		}
		fmt.Fprintf(b, "TCP %s:%d > %s:%d %s %s seq=%d win=%d (incomplete)", src, sp, dst, dp,
			tcpFlags(d[13]), h.info, binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint16(d[14:]))
		return
	}
	opts := ""
	if off := int(d[12]>>4) * 4; off > 20 {
		if len(d) < off {
			opts = "option incomplete"
		} else {
			opts = tcpOptions(d[20:off])
		}
	}
	fmt.Fprintf(b, "TCP %s:%d > %s:%d %s %s seq=%d win=%d %s", src, binary.BigEndian.Uint16(d), dst, binary.BigEndian.Uint16(d[2:]),
		tcpFlags(d[13]), h.info, binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint16(d[14:]), opts)
}

// tcpOptions renders options as Nmap does ("<mss 1460,sackOK,timestamp 1 0,nop,wscale 7>");
// options it cannot walk to the end make the whole field empty, as in Nmap.
func tcpOptions(o []byte) string {
	var parts []string
	for len(o) > 0 {
		switch o[0] {
		case 0:
			parts, o = append(parts, "eol"), o[1:]
			continue
		case 1:
			parts, o = append(parts, "nop"), o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			return ""
		}
		n := int(o[1])
		switch {
		case o[0] == 2 && n == 4:
			parts = append(parts, fmt.Sprintf("mss %d", binary.BigEndian.Uint16(o[2:])))
		case o[0] == 3 && n == 3:
			parts = append(parts, fmt.Sprintf("wscale %d", o[2]))
		case o[0] == 4 && n == 2:
			parts = append(parts, "sackOK")
		case o[0] == 5:
			if (n-2)%8 != 0 || n == 2 {
				parts = append(parts, "malformed sack")
				break
			}
			s := fmt.Sprintf("sack %d ", (n-2)/8)
			for i := 2; i < n; i += 8 {
				// Nmap prints the edges in network byte order read as host order.
				s += fmt.Sprintf("{%d:%d}", binary.LittleEndian.Uint32(o[i:]), binary.LittleEndian.Uint32(o[i+4:]))
			}
			parts = append(parts, s)
		case o[0] == 8 && n == 10:
			parts = append(parts, fmt.Sprintf("timestamp %d %d", binary.BigEndian.Uint32(o[2:]), binary.BigEndian.Uint32(o[6:])))
		default:
			// An option Nmap does not know: it shows an empty slot.
			parts = append(parts, "")
		}
		o = o[n:]
	}
	return "<" + strings.Join(parts, ",") + ">"
}

var unreachable = map[uint8]string{
	4:  "Fragmentation required",
	5:  "Source route failed",
	8:  "Source host isolated",
	13: "Communication administratively prohibited by filtering",
	14: "Host precedence violation",
	15: "Precedence cutoff in effect",
}

func describeICMP(b *strings.Builder, h ipHeader, src, dst string, d []byte) {
	if h.fragOff != 0 {
		fmt.Fprintf(b, "ICMP %s > %s fragment %s (incomplete)", src, dst, h.info)
		return
	}
	if len(d) < 8 {
		fmt.Fprintf(b, "ICMP %s > %s [??] %s", src, dst, h.info)
		return
	}
	typ, code := d[0], d[1]
	id, seq := binary.BigEndian.Uint16(d[4:]), binary.BigEndian.Uint16(d[6:])
	var kind, fields string
	bad := false
	switch typ {
	case 0, 8, 15, 16:
		kind = map[uint8]string{0: "Echo reply", 8: "Echo request", 15: "Information request", 16: "Information reply"}[typ]
		fields = fmt.Sprintf("id=%d seq=%d", id, seq)
	case 3:
		kind, fields, bad = unreachableText(d, code)
	case 4:
		kind = "Source quench"
	case 11:
		kind = [...]string{"TTL=0 during transit", "TTL=0 during reassembly", "TTL exceeded (unknown code)"}[min(code, 2)]
	case 13, 14:
		kind = map[uint8]string{13: "Timestamp request", 14: "Timestamp reply"}[typ]
		if len(d) >= 20 {
			fields = fmt.Sprintf("id=%d seq=%d orig=%d recv=%d trans=%d", id, seq,
				binary.BigEndian.Uint32(d[8:]), binary.BigEndian.Uint32(d[12:]), binary.BigEndian.Uint32(d[16:]))
		} else {
			bad = true
		}
	case 17, 18:
		kind = map[uint8]string{17: "Address mask request", 18: "Address mask reply"}[typ]
		if len(d) >= 12 {
			fields = fmt.Sprintf("id=%d seq=%d mask=%s", id, seq, netip.AddrFrom4([4]byte(d[8:12])))
		} else {
			bad = true
		}
	default:
		kind = "Unknown type"
	}
	if bad {
		fmt.Fprintf(b, "ICMP %s > %s %s (type=%d/code=%d) %s", src, dst, kind, typ, code, h.info)
		return
	}
	fmt.Fprintf(b, "ICMP [%s > %s %s (type=%d/code=%d) %s] IP [%s]", src, dst, kind, typ, code, fields, h.info)
}

// unreachableText names a destination unreachable from its code and the
// datagram it quotes; bad says the quote is too short to name it.
func unreachableText(d []byte, code uint8) (kind, fields string, bad bool) {
	q := d[8:]
	if len(q) < 20 {
		return "Destination unreachable", "", true
	}
	qhl := int(q[0]&0x0f) * 4
	if q[0]>>4 != 4 || qhl < 20 || qhl > 60 {
		return "Destination unreachable (bogus original datagram)", "", true
	}
	if len(q) < qhl {
		return "Destination unreachable", "", true
	}
	qdst := netip.AddrFrom4([4]byte(q[16:20]))
	switch code {
	case 0:
		return fmt.Sprintf("Network %s unreachable", qdst), "", false
	case 1:
		return fmt.Sprintf("Host %s unreachable", qdst), "", false
	case 2:
		return fmt.Sprintf("Protocol %d unreachable", q[9]), "", false
	case 3:
		// Nmap names the port only when more than the quoted header's first
		// 8 bytes of transport arrived.
		if len(q) > qhl+8 {
			switch q[9] {
			case 6, 17, 132:
				return fmt.Sprintf("Port %d unreachable", binary.BigEndian.Uint16(q[qhl+2:])), "", false
			}
			return fmt.Sprintf("Port unreachable (unknown protocol %d)", q[9]), "", false
		}
		return "Port unreachable", "", false
	case 4:
		return "Fragmentation required", fmt.Sprintf("Next-Hop-MTU=%d", binary.BigEndian.Uint16(d[6:])), false
	case 6:
		return fmt.Sprintf("Destination network %s unknown", qdst), "", false
	case 7:
		return fmt.Sprintf("Destination host %s unknown", qdst), "", false
	case 9:
		return fmt.Sprintf("Destination network %s administratively prohibited", qdst), "", false
	case 10:
		return fmt.Sprintf("Destination host %s administratively prohibited", qdst), "", false
	case 11:
		return fmt.Sprintf("Network %s unreachable for TOS", qdst), "", false
	case 12:
		return fmt.Sprintf("Host %s unreachable for TOS", qdst), "", false
	}
	if s, ok := unreachable[code]; ok {
		return s, "", false
	}
	return "Destination unreachable (unknown code)", "", false
}
