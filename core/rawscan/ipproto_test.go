package rawscan

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"

	"github.com/scanfw/scanfw/core/cookie"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

// TestIPCookieRoundTrip builds bare IP-protocol probes, quotes them the way
// an ICMP protocol unreachable does, and checks that only the right
// protocol, target and try validate.
func TestIPCookieRoundTrip(t *testing.T) {
	t.Parallel()
	m := cookie.New(cookie.KeyFrom([16]byte{1, 2, 3}), 40000)
	mt := &matcher{m: m}
	src, dst := netip.MustParseAddr("198.18.2.1"), netip.MustParseAddr("198.18.2.2")
	src6, dst6 := netip.MustParseAddr("2001:db8:2::1"), netip.MustParseAddr("2001:db8:2::2")
	tests := []struct {
		name      string
		src, dst  netip.Addr
		proto     uint16
		try       uint8
		alter     func(q *rawio.Quoted)
		wantValid bool
	}{
		{"v4 as sent", src, dst, 47, 0, nil, true},
		{"v4 later try", src, dst, 50, 3, nil, true},
		{"v6 as sent", src6, dst6, 47, 2, nil, true},
		{"v4 other protocol", src, dst, 47, 0, func(q *rawio.Quoted) { q.Proto = 48 }, false},
		{"v4 other target", src, dst, 47, 0, func(q *rawio.Quoted) { q.Dst = netip.MustParseAddr("198.18.2.3") }, false},
		{"v4 forged id", src, dst, 47, 1, func(q *rawio.Quoted) { q.IPID ^= 0x4100 }, false},
		{"v6 forged flow", src6, dst6, 47, 1, func(q *rawio.Quoted) { q.FlowLabel ^= 0x100 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ipid, flow := ipCookie(m.Seq(tc.src, tc.dst, m.SrcPort(tc.try), tc.proto, tc.try))
			q := rawio.Quoted{Src: tc.src, Dst: tc.dst, Proto: uint8(tc.proto), IPID: ipid, FlowLabel: flow}
			if tc.alter != nil {
				tc.alter(&q)
			}
			try, ok := mt.checkIPCookie(q.Src, q.Dst, &q, tc.src.Is6())
			if ok != tc.wantValid || (ok && try != tc.try) {
				t.Errorf("check = try %d, %v; want try %d, %v", try, ok, tc.try, tc.wantValid)
			}
		})
	}
}

// TestIPTemplates checks which templates an IP protocol scan accepts and
// that each protocol is sent in its own protocol number.
func TestIPTemplates(t *testing.T) {
	t.Parallel()
	bare := sdk.PacketTemplate{Name: "bare"}
	icmp := sdk.PacketTemplate{Name: "icmp", IPProtocol: 1, Layer4: make([]byte, 8), Ports: []sdk.PortRange{{Lo: 1, Hi: 1}},
		Slots: []sdk.Slot{{Kind: sdk.SlotChecksum, Offset: 2, Width: 2}}}
	wrong := icmp
	wrong.Ports = []sdk.PortRange{{Lo: 2, Hi: 2}}
	for _, tc := range []struct {
		name string
		ts   []sdk.PacketTemplate
		ok   bool
	}{
		{"bare and icmp", []sdk.PacketTemplate{icmp, bare}, true},
		{"no default", []sdk.PacketTemplate{icmp}, false},
		{"template for another protocol", []sdk.PacketTemplate{wrong, bare}, false},
	} {
		if err := checkIPTemplates(tc.ts); (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	_, byPort, err := newIPBuilders([]sdk.PacketTemplate{icmp, bare}, nil, []uint16{1, 47, 255})
	if err != nil {
		t.Fatal(err)
	}
	h := newHead(false, nil, nil, netip.MustParseAddr("198.18.2.1"), netip.MustParseAddr("198.18.2.2"))
	for _, p := range []uint16{1, 47, 255} {
		buf := make([]byte, 64)
		n, err := byPort[p][0].write(buf, &h, probeFields{ttl: 40, ipid: 0x1234})
		if err != nil {
			t.Fatal(err)
		}
		if buf[9] != uint8(p) {
			t.Errorf("protocol %d sent as %d", p, buf[9])
		}
		if wantLen := 20 + map[uint16]int{1: 8}[p]; n != wantLen {
			t.Errorf("protocol %d: %d bytes, want %d", p, n, wantLen)
		}
		if p == 1 && fold(sum(buf[20:28], 0)) != 0xffff {
			t.Errorf("ICMP checksum does not verify: % x", buf[20:28])
		}
	}
}

// TestIPScanSCTP builds the SCTP INIT of an IP protocol scan (CRC32c in a
// four-byte slot) and checks that an answer echoing its initiate tag marks
// protocol 132 open, and that an answer with another tag, or our own probe
// seen on lo, does not.
func TestIPScanSCTP(t *testing.T) {
	t.Parallel()
	init := sdk.PacketTemplate{Name: "sctp", IPProtocol: 132, Layer4: make([]byte, 32), Ports: []sdk.PortRange{{Lo: 132, Hi: 132}},
		Slots: []sdk.Slot{{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotCookie, Offset: 16, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 8, Width: 4}}}
	init.Layer4[12] = 1
	_, byPort, err := newIPBuilders([]sdk.PacketTemplate{init, {Name: "bare"}}, nil, []uint16{132})
	if err != nil {
		t.Fatal(err)
	}
	m := cookie.New(cookie.KeyFrom([16]byte{4, 5, 6}), 40000)
	src, dst := netip.MustParseAddr("198.18.2.1"), netip.MustParseAddr("198.18.2.2")
	h := newHead(false, nil, nil, src, dst)
	sport := m.SrcPort(2)
	c := m.Seq(src, dst, sport, 132, 2)
	buf := make([]byte, 64)
	n, err := byPort[132][0].write(buf, &h, probeFields{srcPort: sport, cookie: c, ttl: 40})
	if err != nil {
		t.Fatal(err)
	}
	l4 := append([]byte(nil), buf[20:n]...)
	got := binary.LittleEndian.Uint32(l4[8:])
	binary.LittleEndian.PutUint32(l4[8:], 0)
	if want := crc32.Checksum(l4, castagnoli); got != want || buf[9] != 132 || n != 52 {
		t.Fatalf("probe: proto %d, %d bytes, crc %08x want %08x", buf[9], n, got, want)
	}
	if tag := binary.BigEndian.Uint32(l4[16:]); tag != c {
		t.Fatalf("initiate tag %08x, want the cookie %08x", tag, c)
	}
	ip := sdk.Any(sdk.MatchIP)
	ip.FromTarget = 1
	mt := &matcher{m: m, hosts: map[netip.Addr]int32{dst: 0},
		cls: &classifier{rules: []sdk.ReplyRule{{Match: ip, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: "proto-response"}}}}}
	for _, tc := range []struct {
		name string
		r    rawio.Reply
		want bool
	}{
		{"abort echoing the tag", rawio.Reply{Src: dst, Dst: src, Proto: 132, SrcPort: 80, DstPort: sport, Seq: c, Chunk: 6}, true},
		{"init-ack echoing the tag", rawio.Reply{Src: dst, Dst: src, Proto: 132, SrcPort: 80, DstPort: sport, Seq: c, Chunk: 2}, true},
		{"another tag", rawio.Reply{Src: dst, Dst: src, Proto: 132, SrcPort: 80, DstPort: sport, Seq: c ^ 1, Chunk: 6}, false},
		{"own probe on lo", rawio.Reply{Src: src, Dst: src, Proto: 132, SrcPort: sport, DstPort: 80, Chunk: 1}, false},
	} {
		var evs []event
		mt.matchIP(&tc.r, src, func(e event) { evs = append(evs, e) })
		if ok := len(evs) == 1 && evs[0].port == 132 && evs[0].try == 2; ok != tc.want {
			t.Errorf("%s: events %+v, want open=%v", tc.name, evs, tc.want)
		}
	}
}

// TestIPScanICMPErrorOpensICMP: a protocol unreachable from the target
// closes the quoted protocol and opens protocol 1 by the MatchIP rule that
// names the error's type and code (its reason), not the echo-reply or the
// generic one; an echo reply meets the echo rule.
func TestIPScanICMPErrorOpensICMP(t *testing.T) {
	t.Parallel()
	m := cookie.New(cookie.KeyFrom([16]byte{7}), 40000)
	src, dst := netip.MustParseAddr("198.18.2.1"), netip.MustParseAddr("198.18.2.2")
	ipRule := func(typ, code int) sdk.ReplyRule {
		r := sdk.Any(sdk.MatchIP)
		r.FromTarget, r.ICMPType, r.ICMPCode = 1, typ, code
		return sdk.ReplyRule{Match: r, Verdict: sdk.Verdict{State: sdk.StateOpen}}
	}
	closed := sdk.Any(sdk.MatchICMP)
	closed.ICMPType, closed.ICMPCode, closed.FromTarget = 3, 2, 1
	rules := []sdk.ReplyRule{ipRule(0, 0), ipRule(3, 2), ipRule(-1, -1), {Match: closed, Verdict: sdk.Verdict{State: sdk.StateClosed}}}
	mt := &matcher{m: m, hosts: map[netip.Addr]int32{dst: 0}, cls: &classifier{rules: rules}}
	ipid, _ := ipCookie(m.Seq(src, dst, m.SrcPort(1), 47, 1))
	unreach := rawio.Reply{Src: dst, Dst: src, Proto: 1, ICMPType: 3, ICMPCode: 2,
		Quoted: rawio.Quoted{Src: src, Dst: dst, Proto: 47, IPID: ipid}}
	var evs []event
	mt.matchIP(&unreach, src, func(e event) { evs = append(evs, e) })
	if len(evs) != 2 || evs[0].port != 47 || evs[0].rule != 3 || evs[1].port != 1 || evs[1].rule != 1 {
		t.Errorf("protocol unreachable: events %+v, want 47 by rule 3 and 1 by rule 1", evs)
	}
	c := m.Seq(src, dst, m.SrcPort(2), 1, 2)
	echo := rawio.Reply{Src: dst, Dst: src, Proto: 1, ICMPType: 0, Seq: c}
	evs = nil
	mt.matchIP(&echo, src, func(e event) { evs = append(evs, e) })
	if len(evs) != 1 || evs[0].port != 1 || evs[0].rule != 0 {
		t.Errorf("echo reply: events %+v, want 1 by rule 0", evs)
	}
	tcp := rawio.Reply{Src: dst, Dst: src, Proto: 6, DstPort: m.SrcPort(0), Seq: m.Seq(src, dst, m.SrcPort(0), 6, 0)}
	evs = nil
	mt.matchIP(&tcp, src, func(e event) { evs = append(evs, e) })
	if len(evs) != 1 || evs[0].port != 6 || evs[0].rule != 2 {
		t.Errorf("TCP reset: events %+v, want 6 by rule 2", evs)
	}
}
