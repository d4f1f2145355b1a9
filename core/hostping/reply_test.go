package hostping

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/sdk"
)

var (
	us     = netip.MustParseAddr("198.18.3.1")
	target = netip.MustParseAddr("198.18.3.10")
	router = netip.MustParseAddr("198.18.9.1")
	m      = ident{id: 0x1234, port: 40000}
	list   = []Probe{
		mustProbe(icmpSpec(8, 0, "echo-reply", true), 0),
		mustProbe(tcpSpec(0x02), 443),
		mustProbe(tcpSpec(0x10), 80),
		mustProbe(icmpSpec(13, 14, "timestamp-reply", false), 0),
		mustProbe(udpSpec(), 40125),
		mustProbe(icmpSpec(17, 18, "addressmask-reply", false), 0),
	}
)

// The specs below are written here, as a plugin would declare them: the
// core's tests do not import plugins.

func mustProbe(spec sdk.ProbeSpec, port uint16) Probe {
	p, err := NewProbe("test", spec, port)
	if err != nil {
		panic(err)
	}
	return p
}

func up(k sdk.MatchKind, reason string, narrow func(*sdk.ReplyMatch)) sdk.ReplyRule {
	m := sdk.Any(k)
	m.FromTarget = 1
	if narrow != nil {
		narrow(&m)
	}
	return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{Reason: reason, Host: sdk.HostUp}}
}

func icmpSpec(typ, replyTyp int, reason string, v6 bool) sdk.ProbeSpec {
	tmpl := func(proto uint8, typ, size int) sdk.PacketTemplate {
		l4 := make([]byte, size)
		l4[0] = byte(typ)
		return sdk.PacketTemplate{IPProtocol: proto, Layer4: l4, Slots: []sdk.Slot{{Kind: sdk.SlotChecksum, Offset: 2, Width: 2}, {Kind: sdk.SlotCookie, Offset: 4, Width: 4}}}
	}
	s := sdk.ProbeSpec{Templates: []sdk.PacketTemplate{tmpl(1, typ, 8)},
		Rules: []sdk.ReplyRule{up(sdk.MatchICMP, reason, func(m *sdk.ReplyMatch) { m.ICMPType = replyTyp })}}
	if v6 {
		s.Templates = append(s.Templates, tmpl(58, 128, 8))
		s.Rules = append(s.Rules, up(sdk.MatchICMP, reason, func(m *sdk.ReplyMatch) { m.ICMPType, m.ICMPv6 = 129, true }))
	}
	s.Rules = append(s.Rules, sdk.PingErrorRules()...)
	return s
}

func tcpSpec(flags uint8) sdk.ProbeSpec {
	h := make([]byte, 20)
	h[12], h[13] = 5<<4, flags
	return sdk.ProbeSpec{
		Templates: []sdk.PacketTemplate{{IPProtocol: 6, Layer4: h, Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
			{Kind: sdk.SlotCookie, Offset: 4, Width: 4}, {Kind: sdk.SlotChecksum, Offset: 16, Width: 2}}}},
		Rules: append([]sdk.ReplyRule{
			up(sdk.MatchTCP, "reset", func(m *sdk.ReplyMatch) { m.TCPFlagsMask, m.TCPFlags = 0x04, 0x04 }),
			up(sdk.MatchTCP, "syn-ack", func(m *sdk.ReplyMatch) { m.TCPFlagsMask, m.TCPFlags = 0x12, 0x12 }),
		}, sdk.PingErrorRules()...),
	}
}

func udpSpec() sdk.ProbeSpec {
	slots := []sdk.Slot{{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotDstPort, Offset: 2, Width: 2}, {Kind: sdk.SlotChecksum, Offset: 6, Width: 2}}
	dns := append([]byte{0, 0, 0, 0, 0, 12, 0, 0}, 0xab, 0xcd, 1, 0)
	return sdk.ProbeSpec{
		Templates: []sdk.PacketTemplate{
			{Name: "empty", IPProtocol: 17, Layer4: []byte{0, 0, 0, 0, 0, 8, 0, 0}, Slots: slots},
			{Name: "dns", IPProtocol: 17, Layer4: dns, Slots: slots, Ports: []sdk.PortRange{{Lo: 53, Hi: 53}}},
		},
		Rules: append([]sdk.ReplyRule{up(sdk.MatchUDP, "udp-response", nil)}, sdk.PingErrorRules()...),
	}
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ip4(src, dst netip.Addr, proto layers.IPProtocol, ttl uint8) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// quote is the IPv4 header and first 8 bytes of a probe of ours, as an
// ICMP error carries it.
func quote(t *testing.T, l4 gopacket.SerializableLayer, proto layers.IPProtocol) []byte {
	ip := ip4(us, target, proto, 50)
	if c, ok := l4.(interface {
		SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
	}); ok {
		_ = c.SetNetworkLayerForChecksum(ip)
	}
	b := serialize(t, ip, l4)
	return b[:28]
}

func icmpMsg(t *testing.T, src netip.Addr, typ, code uint8, id, seq uint16, payload []byte) []byte {
	return serialize(t, ip4(src, us, layers.IPProtocolICMPv4, 64),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: id, Seq: seq}, gopacket.Payload(payload))
}

func tcpMsg(t *testing.T, dstPort uint16, syn, ack, rst bool) []byte {
	tcp := &layers.TCP{SrcPort: 443, DstPort: layers.TCPPort(dstPort), SYN: syn, ACK: ack, RST: rst, Window: 100}
	ip := ip4(target, us, layers.IPProtocolTCP, 63)
	_ = tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp)
}

func udpMsg(t *testing.T) []byte {
	ip := ip4(target, us, layers.IPProtocolUDP, 64)
	u := &layers.UDP{SrcPort: 40125, DstPort: layers.UDPPort(m.port)}
	_ = u.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, u)
}

func TestParseIPv4(t *testing.T) {
	ourUDP := &layers.UDP{SrcPort: layers.UDPPort(m.port), DstPort: 40125}
	otherUDP := &layers.UDP{SrcPort: 5353, DstPort: 40125}
	ourTCP := &layers.TCP{SrcPort: layers.TCPPort(m.port), DstPort: 443, SYN: true}
	ourEcho := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: m.id, Seq: seq(0, 0)}
	for _, tc := range []struct {
		name string
		pkt  []byte
		ok   bool
		want reply
	}{
		{"echo reply", icmpMsg(t, target, 0, 0, m.id, seq(0, 1), nil), true,
			reply{Addr: target, Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 1}},
		{"echo reply to someone else's ping", icmpMsg(t, target, 0, 0, m.id+1, seq(0, 0), nil), false, reply{}},
		{"timestamp reply", icmpMsg(t, target, 14, 0, m.id, seq(3, 0), make([]byte, 12)), true,
			reply{Addr: target, Up: true, Reason: "timestamp-reply", TTL: 64, Probe: 3}},
		{"mask reply", icmpMsg(t, target, 18, 0, m.id, seq(5, 0), make([]byte, 4)), true,
			reply{Addr: target, Up: true, Reason: "addressmask-reply", TTL: 64, Probe: 5}},
		{"echo reply to a timestamp request does not pair", icmpMsg(t, target, 0, 0, m.id, seq(3, 0), nil), false, reply{}},
		{"sequence past the probe list", icmpMsg(t, target, 0, 0, m.id, seq(9, 0), nil), false, reply{}},
		{"echo request (our own, looped)", icmpMsg(t, target, 8, 0, m.id, seq(0, 0), nil), false, reply{}},
		{"syn-ack", tcpMsg(t, m.port, true, true, false), true, reply{Addr: target, Up: true, Reason: "syn-ack", TTL: 63, Probe: -1}},
		{"reset", tcpMsg(t, m.port, false, true, true), true, reply{Addr: target, Up: true, Reason: "reset", TTL: 63, Probe: -1}},
		{"segment to another port", tcpMsg(t, m.port+1, true, true, false), false, reply{}},
		{"bare ACK", tcpMsg(t, m.port, false, true, false), false, reply{}},
		{"udp answer", udpMsg(t), true,
			reply{Addr: target, Up: true, Reason: "udp-response", TTL: 64, Probe: -1}},
		{"port unreachable from the target", icmpMsg(t, target, 3, 3, 0, 0, quote(t, ourUDP, layers.IPProtocolUDP)), true,
			reply{Addr: target, Up: true, Reason: "port-unreach", TTL: 64, Probe: -1}},
		{"protocol unreachable from the target", icmpMsg(t, target, 3, 2, 0, 0, quote(t, ourEcho, layers.IPProtocolICMPv4)), true,
			reply{Addr: target, Up: true, Reason: "proto-unreach", TTL: 64, Probe: -1}},
		{"port unreachable from a router is only a hint", icmpMsg(t, router, 3, 3, 0, 0, quote(t, ourUDP, layers.IPProtocolUDP)), true,
			reply{Addr: target, Reason: "port-unreach", TTL: 64, Probe: -1}},
		{"host unreachable", icmpMsg(t, router, 3, 1, 0, 0, quote(t, ourTCP, layers.IPProtocolTCP)), true,
			reply{Addr: target, Reason: "host-unreach", TTL: 64, Probe: -1}},
		{"admin prohibited", icmpMsg(t, router, 3, 13, 0, 0, quote(t, ourTCP, layers.IPProtocolTCP)), true,
			reply{Addr: target, Reason: "admin-prohibited", TTL: 64, Probe: -1}},
		{"time exceeded", icmpMsg(t, router, 11, 0, 0, 0, quote(t, ourEcho, layers.IPProtocolICMPv4)), true,
			reply{Addr: target, Reason: "time-exceeded", TTL: 64, Probe: -1}},
		{"unreachable about someone else's datagram", icmpMsg(t, target, 3, 3, 0, 0, quote(t, otherUDP, layers.IPProtocolUDP)), false, reply{}},
		{"truncated", icmpMsg(t, target, 0, 0, m.id, seq(0, 0), nil)[:24], false, reply{}},
		{"not IPv4", []byte{0x60, 0, 0, 0}, false, reply{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseIPv4(tc.pkt, m, list)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if ok && !equal(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func equal(a, b reply) bool {
	return a.Addr == b.Addr && a.Up == b.Up && a.Reason == b.Reason && a.TTL == b.TTL &&
		a.Probe == b.Probe && a.Try == b.Try && a.MAC.String() == b.MAC.String()
}

func TestParseARP(t *testing.T) {
	mac := net.HardwareAddr{0xde, 0xce, 0x8c, 0xaa, 0x5d, 0x20}
	ours := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	arp := func(op uint16, spa, tpa netip.Addr) []byte {
		return serialize(t, &layers.Ethernet{SrcMAC: mac, DstMAC: ours, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: op, SourceHwAddress: mac, SourceProtAddress: spa.AsSlice(), DstHwAddress: ours, DstProtAddress: tpa.AsSlice()})
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		ok    bool
	}{
		{"reply to us", arp(layers.ARPReply, target, us), true},
		{"reply to someone else", arp(layers.ARPReply, target, router), false},
		{"request", arp(layers.ARPRequest, target, us), false},
		{"short", arp(layers.ARPReply, target, us)[:30], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseARP(tc.frame, us)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && !equal(got, reply{Addr: target, Up: true, Reason: "arp-response", MAC: mac, Probe: -1}) {
				t.Errorf("got %+v", got)
			}
		})
	}
	// Our own request must be what gopacket reads as one.
	req := make([]byte, 64)
	n := arpRequest(req, ours, us, target)
	p := gopacket.NewPacket(req[:n], layers.LayerTypeEthernet, gopacket.Default)
	a, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if a == nil || a.Operation != layers.ARPRequest || netip.AddrFrom4([4]byte(a.DstProtAddress)) != target ||
		netip.AddrFrom4([4]byte(a.SourceProtAddress)) != us {
		t.Errorf("arpRequest does not decode as a request for %s from %s: %v", target, us, p)
	}
}

func TestParseICMPv6(t *testing.T) {
	t6 := netip.MustParseAddr("2001:db8:1::2")
	r6 := netip.MustParseAddr("2001:db8:9::1")
	mac := net.HardwareAddr{0xfa, 0x25, 0x43, 0x40, 0x33, 0xf7}
	na := append([]byte{136, 0, 0, 0, 0x60, 0, 0, 0}, t6.AsSlice()...)
	na = append(na, 2, 1)
	na = append(na, mac...)
	echo := []byte{129, 0, 0, 0, 0x12, 0x34, 0, 1}
	probe := make([]byte, 48)
	probe[0], probe[6] = 0x60, 17
	copy(probe[8:24], netip.MustParseAddr("2001:db8:1::1").AsSlice())
	copy(probe[24:40], t6.AsSlice())
	probe[40], probe[41] = byte(m.port>>8), byte(m.port)
	unreach := func(code uint8) []byte { return append([]byte{1, code, 0, 0, 0, 0, 0, 0}, probe...) }
	for _, tc := range []struct {
		name string
		msg  []byte
		src  netip.Addr
		ok   bool
		want reply
	}{
		{"neighbour advertisement", na, t6, true, reply{Addr: t6, Up: true, Reason: "nd-response", MAC: mac, Probe: -1}},
		{"echo reply", echo, t6, true, reply{Addr: t6, Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 1}},
		{"echo reply with another id", []byte{129, 0, 0, 0, 0x12, 0x35, 0, 1}, t6, false, reply{}},
		{"port unreachable from the target", unreach(4), t6, true, reply{Addr: t6, Up: true, Reason: "port-unreach", TTL: 64, Probe: -1}},
		{"port unreachable from a router", unreach(4), r6, true, reply{Addr: t6, Reason: "port-unreach", TTL: 64, Probe: -1}},
		{"address unreachable", unreach(3), r6, true, reply{Addr: t6, Reason: "host-unreach", TTL: 64, Probe: -1}},
		{"neighbour solicitation", append([]byte{135, 0, 0, 0, 0, 0, 0, 0}, t6.AsSlice()...), t6, false, reply{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseICMPv6(tc.msg, tc.src, 64, m, list)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if ok && !equal(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestProbesDecode builds each probe from its template and checks it with
// gopacket, checksums included.
func TestProbesDecode(t *testing.T) {
	buf := make([]byte, 1500)
	cookie := uint32(m.id)<<16 | uint32(seq(2, 1))
	for _, tc := range []struct {
		name string
		p    Probe
		typ  uint8
	}{{"echo", list[0], 8}, {"timestamp", list[3], 13}, {"mask", list[5], 17}} {
		n := tc.p.v4.build(buf, us, target, m.port, cookie)
		if checksum(buf[:n], 0) != 0 {
			t.Errorf("%s: bad checksum", tc.name)
		}
		var ic layers.ICMPv4
		if err := ic.DecodeFromBytes(buf[:n], gopacket.NilDecodeFeedback); err != nil || ic.TypeCode.Type() != tc.typ || ic.Id != m.id || ic.Seq != seq(2, 1) {
			t.Errorf("%s decodes as %v id %x seq %x (%v)", tc.name, ic.TypeCode, ic.Id, ic.Seq, err)
		}
	}
	n := list[1].v4.build(buf, us, target, m.port, cookie)
	if checksum(buf[:n], pseudo(us, target, 6, n)) != 0 {
		t.Error("TCP SYN: bad checksum")
	}
	var tcp layers.TCP
	if err := tcp.DecodeFromBytes(buf[:n], gopacket.NilDecodeFeedback); err != nil || !tcp.SYN || tcp.DstPort != 443 || uint16(tcp.SrcPort) != m.port || tcp.Seq != cookie {
		t.Errorf("SYN decodes as %+v (%v)", tcp, err)
	}
	dns := mustProbe(udpSpec(), 53)
	for _, tc := range []struct {
		name string
		p    Probe
		len  int
	}{{"udp without payload", list[4], 8}, {"udp to 53 with its payload", dns, 12}} {
		n = tc.p.v4.build(buf, us, target, m.port, cookie)
		if n != tc.len || checksum(buf[:n], pseudo(us, target, 17, n)) != 0 {
			t.Errorf("%s: %d bytes (want %d) or bad checksum", tc.name, n, tc.len)
		}
	}
	if got := solicitedNode(netip.MustParseAddr("2001:db8:1::abcd:1234")); got != netip.MustParseAddr("ff02::1:ffcd:1234") {
		t.Errorf("solicited-node group = %s", got)
	}
}

func TestOnLink(t *testing.T) {
	ls := []link{
		{Index: 1, Prefix: netip.MustParsePrefix("198.18.0.0/15"), Local: netip.MustParseAddr("198.18.0.1")},
		{Index: 2, Prefix: netip.MustParsePrefix("198.18.3.0/24"), Local: us},
	}
	for _, tc := range []struct {
		addr string
		want int
	}{
		{"198.18.3.10", 1}, // the longest prefix wins
		{"198.18.5.10", 0},
		{"198.18.3.1", 0}, // our own address on the /24 is not ARPed there
		{"192.0.2.1", -1},
	} {
		if got := onLink(ls, netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("onLink(%s) = %d, want %d", tc.addr, got, tc.want)
		}
	}
}
