package rawscan

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/sdk"
)

// synTemplate is a fixture shaped like probe.tcp_syn's template (the core's
// tests do not import plugins): SYN, window 1024, MSS 1460.
func synTemplate() sdk.PacketTemplate {
	h := make([]byte, 24)
	h[12], h[13] = 6<<4, 0x02
	binary.BigEndian.PutUint16(h[14:], 1024)
	h[20], h[21], h[22], h[23] = 2, 4, 0x05, 0xb4
	return sdk.PacketTemplate{Name: "syn", IPProtocol: 6, Layer4: h, Slots: []sdk.Slot{
		{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
		{Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
		{Kind: sdk.SlotCookie, Offset: 4, Width: 4},
		{Kind: sdk.SlotChecksum, Offset: 16, Width: 2},
	}}
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xaa}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xbb}
)

// reference serializes the same probe with gopacket, computing lengths and
// checksums itself: what write must produce byte for byte.
func reference(t *testing.T, link bool, src, dst netip.Addr, f probeFields, payload []byte) []byte {
	t.Helper()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(f.srcPort), DstPort: layers.TCPPort(f.dstPort), Seq: f.cookie,
		SYN: true, Window: 1024, Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}}
	var ls []gopacket.SerializableLayer
	et := layers.EthernetTypeIPv4
	if dst.Is6() {
		et = layers.EthernetTypeIPv6
	}
	if link {
		ls = append(ls, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et})
	}
	if dst.Is4() {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: f.ttl, Id: f.ipid, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: f.ttl, NextHeader: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	}
	ls = append(ls, tcp, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if link && len(b) == 60 && dst.Is4() && len(payload) == 0 {
		// gopacket pads Ethernet frames to 60 bytes; write does not.
		b = b[:ethLen+20+24]
	}
	return b
}

func TestBuilderMatchesGopacket(t *testing.T) {
	t.Parallel()
	v4a, v4b := netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.1.2")
	v6a, v6b := netip.MustParseAddr("2001:db8:1::1"), netip.MustParseAddr("2001:db8:1::2")
	cases := []struct {
		name     string
		link     bool
		src, dst netip.Addr
		payload  []byte
		f        probeFields
	}{
		{"ipv4 ethernet", true, v4a, v4b, nil, probeFields{srcPort: 40000, dstPort: 80, cookie: 0xdeadbe01, ttl: 44, ipid: 0x1234}},
		{"ipv4 raw ip", false, v4a, v4b, nil, probeFields{srcPort: 65535, dstPort: 1, cookie: 0xffffffff, ttl: 255, ipid: 0xffff}},
		{"ipv4 odd payload", true, v4a, v4b, []byte{1, 2, 3, 4, 5}, probeFields{srcPort: 33000, dstPort: 443, cookie: 7, ttl: 1}},
		{"ipv6 ethernet", true, v6a, v6b, nil, probeFields{srcPort: 40001, dstPort: 22, cookie: 0x01020304, ttl: 64}},
		{"ipv6 raw ip payload", false, v6a, v6b, bytes.Repeat([]byte{0xab}, 101), probeFields{srcPort: 40002, dstPort: 8080, cookie: 0x80000000, ttl: 37}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := newBuilder(synTemplate(), c.payload)
			if err != nil {
				t.Fatal(err)
			}
			h := newHead(c.link, macA, macB, c.src, c.dst)
			dst := make([]byte, b.maxLen())
			n, err := b.write(dst, &h, c.f)
			if err != nil {
				t.Fatal(err)
			}
			want := reference(t, c.link, c.src, c.dst, c.f, c.payload)
			if !bytes.Equal(dst[:n], want) {
				t.Errorf("write:\n got %x\nwant %x", dst[:n], want)
			}
			// A second packet into the same buffer must not keep anything of
			// the first (the checksum slot in particular).
			f2 := c.f
			f2.dstPort, f2.cookie = c.f.dstPort+1, c.f.cookie^0x5a5a5a5a
			n, _ = b.write(dst, &h, f2)
			if want := reference(t, c.link, c.src, c.dst, f2, c.payload); !bytes.Equal(dst[:n], want) {
				t.Errorf("rewrite:\n got %x\nwant %x", dst[:n], want)
			}
		})
	}
}

func TestBuilderRejectsBadTemplates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*sdk.PacketTemplate)
	}{
		{"slot past the end", func(p *sdk.PacketTemplate) { p.Slots[3].Offset = 23 }},
		{"cookie of two bytes", func(p *sdk.PacketTemplate) { p.Slots[2].Width = 2 }},
		{"no cookie", func(p *sdk.PacketTemplate) { p.Slots = p.Slots[:2] }},
		{"unknown slot kind", func(p *sdk.PacketTemplate) { p.Slots[0].Kind = 99 }},
		{"negative offset", func(p *sdk.PacketTemplate) { p.Slots[1].Offset = -1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tm := synTemplate()
			c.edit(&tm)
			if _, err := newBuilder(tm, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestBuilderShortBuffer(t *testing.T) {
	t.Parallel()
	b, _ := newBuilder(synTemplate(), nil)
	h := newHead(true, macA, macB, netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.1.2"))
	if _, err := b.write(make([]byte, 40), &h, probeFields{}); err == nil {
		t.Error("wrote into a 40-byte buffer")
	}
}
