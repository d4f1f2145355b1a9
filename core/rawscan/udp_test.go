package rawscan

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

func udpRules() []sdk.ReplyRule {
	base := sdk.ReplyMatch{TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1}
	udp := base
	udp.Kind = sdk.MatchUDP
	unreach := base
	unreach.Kind, unreach.ICMPType, unreach.ICMPCode, unreach.FromTarget = sdk.MatchICMP, 3, 3, 1
	return []sdk.ReplyRule{
		{Match: udp, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: "udp-response"}},
		{Match: unreach, Verdict: sdk.Verdict{State: sdk.StateClosed, Reason: "port-unreach"}},
	}
}

// TestUDPMatch: a UDP probe's cookie is its source port, so a reply counts
// when it comes back to base+try, an ICMP error when it quotes a datagram
// from there; our own datagrams seen on lo never count.
func TestUDPMatch(t *testing.T) {
	t.Parallel()
	m := testMatcher(false, 0)
	m.proto, m.cls = 17, &classifier{rules: udpRules()}
	tmpl := sdk.PacketTemplate{Name: "u", IPProtocol: 17, Layer4: make([]byte, 8+3), Slots: []sdk.Slot{
		{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotDstPort, Offset: 2, Width: 2}, {Kind: sdk.SlotChecksum, Offset: 6, Width: 2}}}
	b, err := newBuilder(tmpl, []byte{9, 9})
	if err != nil {
		t.Fatal(err)
	}
	h := newHead(false, nil, nil, us4, them4)
	buf := make([]byte, b.maxLen())
	n, _ := b.write(buf, &h, probeFields{srcPort: m.m.SrcPort(2), dstPort: 4000, ttl: 50})
	probe := gopacket.NewPacket(buf[:n], layers.LayerTypeIPv4, gopacket.Default)
	if u, ok := probe.Layer(layers.LayerTypeUDP).(*layers.UDP); !ok || u.Length != 8+3+2 || u.DstPort != 4000 {
		t.Fatalf("probe does not decode as a 13-byte UDP datagram to 4000: %v", probe)
	}
	cases := []struct {
		name   string
		frame  []byte
		ok     bool
		port   uint16
		try    uint8
		reason string
	}{
		{"reply to try 1", frame(t, them4, us4, 64, &layers.UDP{SrcPort: 53, DstPort: layers.UDPPort(m.m.SrcPort(1))}), true, 53, 1, "udp-response"},
		{"reply to a port we never sent from", frame(t, them4, us4, 64, &layers.UDP{SrcPort: 53, DstPort: 999}), false, 0, 0, ""},
		{"our own datagram on lo", frame(t, us4, us4, 64, &layers.UDP{SrcPort: layers.UDPPort(m.m.SrcPort(0)), DstPort: layers.UDPPort(m.m.SrcPort(3))}), false, 0, 0, ""},
		{"port unreachable quoting the probe", frame(t, them4, us4, 64, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(buf[:n])), true, 4000, 2, "port-unreach"},
	}
	for _, c := range cases {
		var r rawio.Reply
		if !rawio.Decode(c.frame, &r) {
			t.Fatalf("%s: fixture does not decode", c.name)
		}
		ev, ok := m.match(&r, us4)
		if ok != c.ok {
			t.Errorf("%s: match %v, want %v (%+v)", c.name, ok, c.ok, ev)
			continue
		}
		if ok && (ev.port != c.port || ev.try != c.try || m.cls.verdict(int(ev.rule)).Reason != c.reason) {
			t.Errorf("%s: %+v reason %q", c.name, ev, m.cls.verdict(int(ev.rule)).Reason)
		}
	}
}
