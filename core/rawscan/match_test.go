package rawscan

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/core/cookie"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

// synRules is a fixture with probe.tcp_syn's rules (the core's tests do not
// import plugins), plus one rule with an empty verdict to prove "ignore".
func synRules() []sdk.ReplyRule {
	tcp := func(mask, flags uint8, st sdk.PortState, reason string) sdk.ReplyRule {
		return sdk.ReplyRule{Match: sdk.ReplyMatch{Kind: sdk.MatchTCP, TCPFlagsMask: mask, TCPFlags: flags, TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1},
			Verdict: sdk.Verdict{State: st, Reason: reason}}
	}
	icmp := func(v6 bool, typ, code int, reason string) sdk.ReplyRule {
		return sdk.ReplyRule{Match: sdk.ReplyMatch{Kind: sdk.MatchICMP, ICMPv6: v6, ICMPType: typ, ICMPCode: code, TCPWindow: -1, FromTarget: -1},
			Verdict: sdk.Verdict{State: sdk.StateFiltered, Reason: reason}}
	}
	ignore := icmp(false, 3, 4, "")
	ignore.Verdict = sdk.Verdict{}
	return []sdk.ReplyRule{
		tcp(0x04, 0x04, sdk.StateClosed, "reset"),
		tcp(0x12, 0x12, sdk.StateOpen, "syn-ack"),
		tcp(0x12, 0x02, sdk.StateOpen, "split-handshake-syn"),
		icmp(false, 3, 3, "port-unreach"),
		ignore,
		icmp(false, 3, 13, "admin-prohibited"),
		icmp(false, 11, -1, "time-exceeded"),
		icmp(true, 1, 1, "admin-prohibited"),
	}
}

var (
	us4, them4, router4 = netip.MustParseAddr("198.18.2.1"), netip.MustParseAddr("198.18.2.2"), netip.MustParseAddr("198.18.9.9")
	us6, them6          = netip.MustParseAddr("2001:db8:2::1"), netip.MustParseAddr("2001:db8:2::2")
)

const basePort = 40000

func testMatcher(fixed bool, payload uint32) *matcher {
	k := cookie.KeyFrom([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	m := cookie.New(k, basePort)
	if fixed {
		m = cookie.NewFixedPort(k, 53)
	}
	return &matcher{m: m, fixed: fixed, proto: 6, payload: payload, cls: &classifier{rules: synRules()}, tcp: tcpEcho{seqLen: 1},
		hosts: map[netip.Addr]int32{them4: 0, them6: 1}}
}

// frame serializes Ethernet + IP + the given layers into a reply fixture.
func frame(t *testing.T, src, dst netip.Addr, ttl uint8, l ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv4}
	var ip gopacket.NetworkLayer
	var ipl gopacket.SerializableLayer
	if src.Is4() {
		proto := layers.IPProtocolTCP
		if _, ok := l[0].(*layers.ICMPv4); ok {
			proto = layers.IPProtocolICMPv4
		}
		if _, ok := l[0].(*layers.UDP); ok {
			proto = layers.IPProtocolUDP
		}
		v4 := &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		ip, ipl = v4, v4
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		proto := layers.IPProtocolTCP
		if _, ok := l[0].(*layers.ICMPv6); ok {
			proto = layers.IPProtocolICMPv6
		}
		v6 := &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		ip, ipl = v6, v6
	}
	for _, x := range l {
		switch c := x.(type) {
		case *layers.TCP:
			_ = c.SetNetworkLayerForChecksum(ip)
		case *layers.ICMPv6:
			_ = c.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			_ = c.SetNetworkLayerForChecksum(ip)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, append([]gopacket.SerializableLayer{eth, ipl}, l...)...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// probeBytes is our probe (IP header + first 8 TCP bytes) as an ICMP error
// quotes it.
func probeBytes(t *testing.T, m *matcher, src, dst netip.Addr, port uint16, try uint8) []byte {
	t.Helper()
	b, _ := newBuilder(synTemplate(), nil)
	h := newHead(false, nil, nil, src, dst)
	sp := m.m.SrcPort(try)
	buf := make([]byte, b.maxLen())
	n, _ := b.write(buf, &h, probeFields{srcPort: sp, dstPort: port, cookie: m.m.Seq(src, dst, sp, port, try), ttl: 50})
	ipLen := 20
	if dst.Is6() {
		ipLen = 40
	}
	return buf[:min(n, ipLen+8)]
}

func TestMatchClassifiesReplies(t *testing.T) {
	t.Parallel()
	m := testMatcher(false, 0)
	seq := func(dst netip.Addr, port uint16, try uint8) uint32 {
		return m.m.Seq(us4.Unmap(), dst, m.m.SrcPort(try), port, try)
	}
	tcpReply := func(port uint16, try uint8, syn, ack, rst bool, ackNo uint32) *layers.TCP {
		return &layers.TCP{SrcPort: layers.TCPPort(port), DstPort: layers.TCPPort(m.m.SrcPort(try)), Seq: 777, Ack: ackNo, SYN: syn, ACK: ack, RST: rst, Window: 512}
	}
	type want struct {
		ok     bool
		port   uint16
		try    uint8
		reason string
		ttl    uint8
		host   int32
	}
	cases := []struct {
		name  string
		frame func(t *testing.T) []byte
		m     *matcher
		want  want
	}{
		{"syn-ack with the cookie", func(t *testing.T) []byte {
			return frame(t, them4, us4, 64, tcpReply(80, 0, true, true, false, seq(them4, 80, 0)+1))
		}, m, want{true, 80, 0, "syn-ack", 64, 0}},
		{"rst-ack to a retransmission", func(t *testing.T) []byte {
			return frame(t, them4, us4, 63, tcpReply(113, 2, false, true, true, seq(them4, 113, 2)+1))
		}, m, want{true, 113, 2, "reset", 63, 0}},
		{"syn-ack with a forged ack", func(t *testing.T) []byte {
			return frame(t, them4, us4, 64, tcpReply(80, 0, true, true, false, seq(them4, 80, 0)+2))
		}, m, want{}},
		{"syn-ack to a port we did not probe from", func(t *testing.T) []byte {
			r := tcpReply(80, 0, true, true, false, seq(them4, 80, 0)+1)
			r.DstPort = 12345
			return frame(t, them4, us4, 64, r)
		}, m, want{}},
		{"syn-ack from an address we do not scan", func(t *testing.T) []byte {
			return frame(t, router4, us4, 64, tcpReply(80, 0, true, true, false, seq(them4, 80, 0)+1))
		}, m, want{}},
		{"split-handshake syn", func(t *testing.T) []byte {
			return frame(t, them4, us4, 60, tcpReply(21, 1, true, false, false, 0))
		}, m, want{true, 21, 1, "split-handshake-syn", 60, 0}},
		{"our own syn looped back on lo", func(t *testing.T) []byte {
			sp := m.m.SrcPort(0)
			own := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: basePort + 3, Seq: m.m.Seq(us4, us4, sp, basePort+3, 0), SYN: true}
			return frame(t, us4, us4, 64, own)
		}, func() *matcher { mm := testMatcher(false, 0); mm.hosts[us4] = 2; return mm }(), want{}},
		{"rst with data acknowledged", func(t *testing.T) []byte {
			return frame(t, them4, us4, 64, tcpReply(113, 0, false, true, true, seq(them4, 113, 0)+1+100))
		}, testMatcher(false, 100), want{true, 113, 0, "reset", 64, 0}},
		{"icmp admin-prohibited quoting the probe", func(t *testing.T) []byte {
			return frame(t, them4, us4, 62, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(probeBytes(t, m, us4, them4, 3000, 0)))
		}, m, want{true, 3000, 0, "admin-prohibited", 62, 0}},
		{"time exceeded from a router", func(t *testing.T) []byte {
			return frame(t, router4, us4, 250, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(11, 0)}, gopacket.Payload(probeBytes(t, m, us4, them4, 443, 1)))
		}, m, want{true, 443, 1, "time-exceeded", 250, 0}},
		{"icmp code the rules ignore", func(t *testing.T) []byte {
			return frame(t, them4, us4, 62, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4)}, gopacket.Payload(probeBytes(t, m, us4, them4, 3000, 0)))
		}, m, want{}},
		{"icmp code no rule names", func(t *testing.T) []byte {
			return frame(t, them4, us4, 62, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 5)}, gopacket.Payload(probeBytes(t, m, us4, them4, 3000, 0)))
		}, m, want{}},
		{"icmp quoting a probe of another scan", func(t *testing.T) []byte {
			other := testMatcher(false, 0)
			other.m = cookie.New(cookie.KeyFrom([16]byte{9}), basePort)
			return frame(t, them4, us4, 62, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(probeBytes(t, other, us4, them4, 3000, 0)))
		}, m, want{}},
		{"icmpv6 admin-prohibited", func(t *testing.T) []byte {
			return frame(t, them6, us6, 64, &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 1)}, gopacket.Payload(append(make([]byte, 4), probeBytes(t, m, us6, them6, 3000, 0)...)))
		}, m, want{true, 3000, 0, "admin-prohibited", 64, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var r rawio.Reply
			if !rawio.Decode(c.frame(t), &r) {
				t.Fatal("fixture does not decode")
			}
			src := us4
			if r.Dst.Is6() {
				src = us6
			}
			ev, ok := c.m.match(&r, src)
			if ok != c.want.ok {
				t.Fatalf("match = %v, want %v (event %+v)", ok, c.want.ok, ev)
			}
			if !ok {
				return
			}
			got := want{true, ev.port, ev.try, c.m.cls.verdict(int(ev.rule)).Reason, ev.ttl, ev.host}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestMatchFixedSourcePort: with -g every probe leaves from one port, so
// the try comes from the acknowledged cookie, and a bare SYN cannot tell.
func TestMatchFixedSourcePort(t *testing.T) {
	t.Parallel()
	m := testMatcher(true, 0)
	sq := m.m.Seq(us4, them4, 53, 80, 3)
	var r rawio.Reply
	if !rawio.Decode(frame(t, them4, us4, 64, &layers.TCP{SrcPort: 80, DstPort: 53, Ack: sq + 1, SYN: true, ACK: true}), &r) {
		t.Fatal("fixture does not decode")
	}
	if ev, ok := m.match(&r, us4); !ok || ev.try != 3 || ev.port != 80 {
		t.Errorf("syn-ack: %+v %v, want try 3 port 80", ev, ok)
	}
	if !rawio.Decode(frame(t, them4, us4, 64, &layers.TCP{SrcPort: 80, DstPort: 53, SYN: true}), &r) {
		t.Fatal("fixture does not decode")
	}
	if ev, ok := m.match(&r, us4); !ok || ev.try != anyTry {
		t.Errorf("bare syn: %+v %v, want any try", ev, ok)
	}
}
