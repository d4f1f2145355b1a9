package rawscan

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

// flagTemplate is a 20-byte TCP probe with flags and the cookie at
// cookieOff (4: sequence number, 8: acknowledgement number).
func flagTemplate(flags uint8, cookieOff int) sdk.PacketTemplate {
	l4 := make([]byte, 20)
	l4[12], l4[13] = 5<<4, flags
	return sdk.PacketTemplate{Name: "flags", IPProtocol: 6, Layer4: l4, Slots: []sdk.Slot{
		{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
		{Kind: sdk.SlotCookie, Offset: cookieOff, Width: 4}, {Kind: sdk.SlotChecksum, Offset: 16, Width: 2},
	}}
}

// TestEchoFollowsTheProbesFlags: the reset a stack sends back echoes our
// cookie in a field that depends on what we sent (RFC 793): ack = seq+FIN
// for probes without ACK, seq = our ack for probes with it. Each case
// builds the reply a Linux stack sends and one off by one, which must
// fail.
func TestEchoFollowsTheProbesFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		flags     uint8
		cookieOff int
		// reply builds the RST from the probe's cookie c.
		reply func(c uint32) *layers.TCP
	}{
		{"null: ack = seq", 0, 4, func(c uint32) *layers.TCP { return &layers.TCP{RST: true, ACK: true, Ack: c} }},
		{"fin: ack = seq+1", rawio.FlagFIN, 4, func(c uint32) *layers.TCP { return &layers.TCP{RST: true, ACK: true, Ack: c + 1} }},
		{"xmas: ack = seq+1", rawio.FlagFIN | rawio.FlagPSH | rawio.FlagURG, 4, func(c uint32) *layers.TCP { return &layers.TCP{RST: true, ACK: true, Ack: c + 1} }},
		{"ack: seq = our ack", rawio.FlagACK, 8, func(c uint32) *layers.TCP { return &layers.TCP{RST: true, Seq: c} }},
		{"maimon: seq = our ack", rawio.FlagFIN | rawio.FlagACK, 8, func(c uint32) *layers.TCP { return &layers.TCP{RST: true, Seq: c} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tm := flagTemplate(c.flags, c.cookieOff)
			m := testMatcher(false, 0)
			m.tcp = tcpEchoOf(tm.Layer4, c.cookieOff)
			const port, try = 113, 2
			sp := m.m.SrcPort(try)
			ck := m.m.Seq(us4, them4, sp, port, try)
			for _, off := range []uint32{0, 1} {
				r := c.reply(ck + off)
				r.SrcPort, r.DstPort = port, layers.TCPPort(sp)
				var rep rawio.Reply
				if !rawio.Decode(frame(t, them4, us4, 64, r), &rep) {
					t.Fatal("fixture does not decode")
				}
				ev, ok := m.match(&rep, us4)
				if want := off == 0; ok != want {
					t.Fatalf("cookie%+d: match %v, want %v", off, ok, want)
				}
				if ok && (ev.port != port || ev.try != try || m.cls.verdict(int(ev.rule)).Reason != "reset") {
					t.Errorf("cookie%+d: event %+v", off, ev)
				}
			}
			// An ICMP error quoting the whole probe header validates by
			// the field the cookie went into.
			b, err := newBuilder(tm, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := newHead(false, nil, nil, us4, them4)
			buf := make([]byte, b.maxLen())
			n, _ := b.write(buf, &h, probeFields{srcPort: sp, dstPort: 3000, cookie: m.m.Seq(us4, them4, sp, 3000, try), ttl: 50})
			var rep rawio.Reply
			if !rawio.Decode(frame(t, them4, us4, 62, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(buf[:n])), &rep) {
				t.Fatal("icmp fixture does not decode")
			}
			if ev, ok := m.match(&rep, us4); !ok || ev.port != 3000 || ev.try != try {
				t.Errorf("icmp: %+v %v, want port 3000 try %d", ev, ok, try)
			}
		})
	}
}
