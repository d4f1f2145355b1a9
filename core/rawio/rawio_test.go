package rawio

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func specs() map[string]TCPSpec {
	return map[string]TCPSpec{
		"ipv4 syn mss": {SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("198.18.201.1"),
			Dst: netip.MustParseAddr("198.18.201.2"), Flags: FlagSYN, MSS: 1460},
		"ipv4 ack no options": {SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("198.18.201.1"),
			Dst: netip.MustParseAddr("198.18.201.2"), Flags: FlagACK},
		"ipv4 data-length 33": {SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("198.18.201.1"),
			Dst: netip.MustParseAddr("198.18.201.2"), Flags: FlagSYN, MSS: 1460, Payload: bytes.Repeat([]byte{0xa5}, 33)},
		"ipv6 syn mss": {SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("2001:db8:201::1"),
			Dst: netip.MustParseAddr("2001:db8:201::2"), Flags: FlagSYN, MSS: 1460},
		"ipv6 odd payload": {SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("2001:db8:201::1"),
			Dst: netip.MustParseAddr("2001:db8:201::2"), Flags: FlagSYN, Payload: []byte{1, 2, 3}},
	}
}

// TestTemplateMatchesGopacket: the incremental checksums give byte for byte what
// gopacket serializes from scratch.
func TestTemplateMatchesGopacket(t *testing.T) {
	t.Parallel()
	fields := []TCPFields{
		{SrcPort: 33000, DstPort: 1, Seq: 0, TTL: 37, IPID: 0},
		{SrcPort: 65535, DstPort: 65535, Seq: 0xffffffff, TTL: 59, IPID: 0xffff},
		{SrcPort: 40001, DstPort: 8000, Seq: 0x12345678, TTL: 64, IPID: 0xbeef},
	}
	for name, spec := range specs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := NewTCPTemplate(spec)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, tmpl.Len())
			for _, f := range fields {
				want, err := serializeTCP(spec, f)
				if err != nil {
					t.Fatal(err)
				}
				n := tmpl.Write(buf, f)
				if !bytes.Equal(buf[:n], want) {
					t.Fatalf("fields %+v:\n got % x\nwant % x", f, buf[:n], want)
				}
			}
		})
	}
}

// TestDecodeRoundTrip decodes frames built by gopacket (a SYN/ACK, an RST, ICMP
// errors quoting a probe) and compares every field with what was built.
func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	us4, them4 := netip.MustParseAddr("198.18.201.1"), netip.MustParseAddr("198.18.201.2")
	us6, them6 := netip.MustParseAddr("2001:db8:201::1"), netip.MustParseAddr("2001:db8:201::2")
	router := netip.MustParseAddr("198.18.201.254")
	probe4, _ := serializeTCP(TCPSpec{SrcMAC: macA, DstMAC: macB, Src: us4, Dst: them4, Flags: FlagSYN, MSS: 1460},
		TCPFields{SrcPort: 40001, DstPort: 443, Seq: 0xdeadbeef, TTL: 50})
	probe6, _ := serializeTCP(TCPSpec{SrcMAC: macA, DstMAC: macB, Src: us6, Dst: them6, Flags: FlagSYN},
		TCPFields{SrcPort: 40002, DstPort: 22, Seq: 0xcafef00d, TTL: 50})
	cases := []struct {
		name  string
		frame []byte
		want  Reply
	}{
		{"ipv4 syn-ack", tcpFrame(t, them4, us4, 8000, 40001, 0x1000, 0xdeadbef0, FlagSYN|FlagACK, 64),
			Reply{Src: them4, Dst: us4, Proto: 6, TTL: 64, SrcPort: 8000, DstPort: 40001, Flags: FlagSYN | FlagACK, Seq: 0x1000, Ack: 0xdeadbef0, Window: 29200}},
		{"ipv4 rst", tcpFrame(t, them4, us4, 81, 40001, 0, 0xdeadbef0, FlagRST|FlagACK, 63),
			Reply{Src: them4, Dst: us4, Proto: 6, TTL: 63, SrcPort: 81, DstPort: 40001, Flags: FlagRST | FlagACK, Ack: 0xdeadbef0, Window: 29200}},
		{"ipv6 rst", tcpFrame(t, them6, us6, 22, 40002, 0, 0xcafef00e, FlagRST|FlagACK, 64),
			Reply{Src: them6, Dst: us6, Proto: 6, TTL: 64, SrcPort: 22, DstPort: 40002, Flags: FlagRST | FlagACK, Ack: 0xcafef00e, Window: 29200}},
		{"icmp admin prohibited quoting a probe", icmp4Frame(t, router, us4, 3, 13, probe4[ethLen:]),
			Reply{Src: router, Dst: us4, Proto: 1, TTL: 64, SrcPort: 443, DstPort: 40001, ICMPType: 3, ICMPCode: 13,
				Quoted: Quoted{Src: us4, Dst: them4, Proto: 6, SrcPort: 40001, DstPort: 443, Seq: 0xdeadbeef}}},
		{"icmpv6 unreachable quoting a probe", icmp6Frame(t, them6, us6, 1, 1, probe6[ethLen:]),
			Reply{Src: them6, Dst: us6, Proto: 58, TTL: 64, SrcPort: 22, DstPort: 40002, ICMPType: 1, ICMPCode: 1,
				Quoted: Quoted{Src: us6, Dst: them6, Proto: 6, SrcPort: 40002, DstPort: 22, Seq: 0xcafef00d}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got Reply
			if !Decode(tc.frame, &got) {
				t.Fatalf("not decoded: % x", tc.frame)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	us4, them4 := netip.MustParseAddr("198.18.201.1"), netip.MustParseAddr("198.18.201.2")
	echo := icmp4Frame(t, them4, us4, 0, 0, nil)
	full := tcpFrame(t, them4, us4, 80, 40000, 1, 2, FlagRST, 64)
	cases := map[string][]byte{
		"icmp echo reply": echo,
		"truncated tcp":   full[:ethLen+20+10],
		"arp":             append(append([]byte{}, full[:12]...), 0x08, 0x06),
		"empty":           nil,
	}
	for name, frame := range cases {
		var r Reply
		if Decode(frame, &r) {
			t.Errorf("%s: decoded %+v", name, r)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	us6, them6 := netip.MustParseAddr("2001:db8:201::1"), netip.MustParseAddr("2001:db8:201::2")
	frames := [][]byte{
		tcpFrame(t, netip.MustParseAddr("198.18.201.2"), netip.MustParseAddr("198.18.201.1"), 80, 40000, 1, 2, FlagRST, 64),
		tcpFrame(t, them6, us6, 80, 40000, 1, 2, FlagRST, 64),
	}
	var r Reply
	allocs := testing.AllocsPerRun(1000, func() {
		for _, f := range frames {
			if !Decode(f, &r) {
				t.Fatal("not decoded")
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("Decode allocates %.1f times per call", allocs)
	}
	tmpl, _ := NewTCPTemplate(specs()["ipv4 syn mss"])
	buf := make([]byte, tmpl.Len())
	if a := testing.AllocsPerRun(1000, func() { tmpl.Write(buf, TCPFields{SrcPort: 1, DstPort: 2, Seq: 3, TTL: 4}) }); a != 0 {
		t.Fatalf("Write allocates %.1f times per call", a)
	}
}

func BenchmarkDecode(b *testing.B) {
	f := tcpFrame(b, netip.MustParseAddr("198.18.201.2"), netip.MustParseAddr("198.18.201.1"), 80, 40000, 1, 2, FlagRST, 64)
	var r Reply
	for b.Loop() {
		Decode(f, &r)
	}
}

// BenchmarkGopacketParser is the alternative we did not pick for the hot loop.
func BenchmarkGopacketParser(b *testing.B) {
	f := tcpFrame(b, netip.MustParseAddr("198.18.201.2"), netip.MustParseAddr("198.18.201.1"), 80, 40000, 1, 2, FlagRST, 64)
	var eth layers.Ethernet
	var ip4 layers.IPv4
	var tcp layers.TCP
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.DecodeLayers(f, &decoded)
	}
}

func BenchmarkTemplateWrite(b *testing.B) {
	tmpl, _ := NewTCPTemplate(specs()["ipv4 syn mss"])
	buf := make([]byte, tmpl.Len())
	for i := 0; b.Loop(); i++ {
		tmpl.Write(buf, TCPFields{SrcPort: 40000, DstPort: uint16(i), Seq: uint32(i), TTL: 50, IPID: uint16(i)})
	}
}

func ethFor(src netip.Addr) *layers.Ethernet {
	e := &layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv4}
	if src.Is6() {
		e.EthernetType = layers.EthernetTypeIPv6
	}
	return e
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func tcpFrame(t testing.TB, src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags uint8, ttl uint8) []byte {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 29200,
		SYN: flags&FlagSYN != 0, ACK: flags&FlagACK != 0, RST: flags&FlagRST != 0}
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: ttl, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		return serialize(t, ethFor(src), ip, tcp)
	}
	ip := &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ethFor(src), ip, tcp)
}

func icmp4Frame(t testing.TB, src, dst netip.Addr, typ, code uint8, quoted []byte) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
	return serialize(t, ethFor(src), ip, icmp, gopacket.Payload(quoted))
}

func icmp6Frame(t testing.TB, src, dst netip.Addr, typ, code uint8, quoted []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	_ = icmp.SetNetworkLayerForChecksum(ip)
	// ICMPv6 errors carry 4 unused bytes before the quoted packet.
	return serialize(t, ethFor(src), ip, icmp, gopacket.Payload(append([]byte{0, 0, 0, 0}, quoted...)))
}
