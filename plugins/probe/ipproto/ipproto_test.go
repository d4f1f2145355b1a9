package ipproto

import (
	"context"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/scanfw/scanfw/sdk"
)

func spec(t *testing.T) sdk.ProbeSpec {
	t.Helper()
	s, err := New().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTemplates decodes every per-protocol template with gopacket: each is
// sent in the protocol it names, goes where Nmap's -sO probe goes, and has
// its slots inside the header where the reply echoes them.
func TestTemplates(t *testing.T) {
	t.Parallel()
	s := spec(t)
	if s.ScanType != "ipproto" || s.Proto != sdk.ProtoIP || !s.NeedsRoot || !s.SilenceMeansOpen ||
		s.Silence.State != sdk.StateOpenFiltered || s.Silence.Reason != "no-response" {
		t.Fatalf("spec %+v", s)
	}
	byProto := map[uint8]sdk.PacketTemplate{}
	defaults := 0
	for _, tp := range s.Templates {
		if len(tp.Ports) == 0 {
			defaults++
			if len(tp.Layer4) != 0 {
				t.Errorf("default template %q carries %d bytes; Nmap sends a bare IP header", tp.Name, len(tp.Layer4))
			}
			continue
		}
		if len(tp.Ports) != 1 || tp.Ports[0].Lo != tp.Ports[0].Hi || tp.Ports[0].Lo != uint16(tp.IPProtocol) {
			t.Errorf("template %q names %v, not its own protocol %d", tp.Name, tp.Ports, tp.IPProtocol)
		}
		for _, sl := range tp.Slots {
			if sl.Offset < 0 || sl.Offset+sl.Width > len(tp.Layer4) {
				t.Errorf("template %q: slot %+v outside %d bytes", tp.Name, sl, len(tp.Layer4))
			}
		}
		byProto[tp.IPProtocol] = tp
	}
	if defaults != 1 {
		t.Errorf("%d default templates, want 1", defaults)
	}
	slot := func(tp sdk.PacketTemplate, k sdk.SlotKind) (sdk.Slot, bool) {
		for _, sl := range tp.Slots {
			if sl.Kind == k {
				return sl, true
			}
		}
		return sdk.Slot{}, false
	}
	tests := []struct {
		proto     uint8
		layer     gopacket.Decoder
		check     func(gopacket.Packet) string
		cookieOff int // -1: none
		csumWidth int
	}{
		{6, layers.LayerTypeTCP, func(p gopacket.Packet) string {
			tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !tcp.ACK || tcp.SYN || tcp.RST || tcp.FIN || tcp.DstPort != 80 {
				return "want a bare ACK to port 80"
			}
			return ""
		}, 8, 2},
		{17, layers.LayerTypeUDP, func(p gopacket.Packet) string {
			if u := p.Layer(layers.LayerTypeUDP).(*layers.UDP); u.DstPort != 40125 || u.Length != 8 {
				return "want an empty datagram to 40125"
			}
			return ""
		}, -1, 2},
		{1, layers.LayerTypeICMPv4, func(p gopacket.Packet) string {
			if i := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); i.TypeCode.Type() != layers.ICMPv4TypeEchoRequest {
				return "want an echo request"
			}
			return ""
		}, 4, 2},
		{2, layers.LayerTypeIGMP, func(p gopacket.Packet) string {
			if p.Layer(layers.LayerTypeIGMP) == nil {
				return "want an IGMP message"
			}
			return ""
		}, -1, 2},
		{58, layers.LayerTypeICMPv6, func(p gopacket.Packet) string {
			if i := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); i.TypeCode.Type() != layers.ICMPv6TypeEchoRequest {
				return "want an echo request"
			}
			return ""
		}, 4, 2},
		{132, layers.LayerTypeSCTP, func(p gopacket.Packet) string {
			s := p.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			init, ok := p.Layer(layers.LayerTypeSCTPInit).(*layers.SCTPInit)
			if s.DstPort != 80 || s.VerificationTag != 0 || !ok || init.AdvertisedReceiverWindowCredit != 32768 ||
				init.OutboundStreams != 10 || init.InboundStreams != 2048 {
				return "want Nmap's INIT to port 80 with verification tag 0"
			}
			return ""
		}, 16, 4},
	}
	for _, tc := range tests {
		tp, ok := byProto[tc.proto]
		if !ok {
			t.Errorf("protocol %d: no template", tc.proto)
			continue
		}
		p := gopacket.NewPacket(tp.Layer4, tc.layer, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Errorf("protocol %d: %v", tc.proto, el.Error())
			continue
		}
		if msg := tc.check(p); msg != "" {
			t.Errorf("protocol %d: %s: % x", tc.proto, msg, tp.Layer4)
		}
		c, ok := slot(tp, sdk.SlotCookie)
		if (tc.cookieOff < 0) == ok || (ok && c.Offset != tc.cookieOff) {
			t.Errorf("protocol %d: cookie slot %+v (present %v), want offset %d", tc.proto, c, ok, tc.cookieOff)
		}
		if cs, ok := slot(tp, sdk.SlotChecksum); !ok || cs.Width != tc.csumWidth {
			t.Errorf("protocol %d: checksum slot %+v, want width %d", tc.proto, cs, tc.csumWidth)
		}
	}
}

// reply is what the core tells the rules about an answer: an ICMP error
// quoting the probe, or a packet in the probed protocol (answer).
type reply struct {
	answer     bool
	v6         bool
	icmp       bool
	typ, code  int
	fromTarget bool
}

// firstRule applies the rules as the core does: the first match wins; an
// answer meets only MatchIP rules, an error only MatchICMP ones.
func firstRule(rules []sdk.ReplyRule, r reply) (sdk.Verdict, bool) {
	for _, rule := range rules {
		m := rule.Match
		if m.FromTarget >= 0 && (m.FromTarget == 1) != r.fromTarget {
			continue
		}
		icmpFits := (m.ICMPType < 0 || (r.icmp && m.ICMPType == r.typ && m.ICMPv6 == r.v6)) &&
			(m.ICMPCode < 0 || (r.icmp && m.ICMPCode == r.code))
		switch {
		case r.answer && m.Kind == sdk.MatchIP && icmpFits:
			return rule.Verdict, true
		case !r.answer && m.Kind == sdk.MatchICMP && m.ICMPv6 == r.v6 && icmpFits:
			return rule.Verdict, true
		}
	}
	return sdk.Verdict{}, false
}

// TestRules checks the reply table against Nmap's -sO column
// (nmap-internals §3.1) and its reasons as printed by nmap 7.93.
func TestRules(t *testing.T) {
	t.Parallel()
	rules := spec(t).Rules
	tests := []struct {
		name   string
		r      reply
		state  sdk.PortState
		reason string
	}{
		{"packet of the probed protocol", reply{answer: true, fromTarget: true}, sdk.StateOpen, "proto-response"},
		{"echo reply opens ICMP", reply{answer: true, icmp: true, typ: 0, code: 0, fromTarget: true}, sdk.StateOpen, "echo-reply"},
		{"protocol unreachable opens ICMP with its reason", reply{answer: true, icmp: true, typ: 3, code: 2, fromTarget: true}, sdk.StateOpen, "proto-unreach"},
		{"port unreachable opens ICMP with its reason", reply{answer: true, icmp: true, typ: 3, code: 3, fromTarget: true}, sdk.StateOpen, "port-unreach"},
		{"ICMPv6 is a protocol like any other", reply{answer: true, v6: true, icmp: true, typ: 129, fromTarget: true}, sdk.StateOpen, "proto-response"},
		{"ICMPv6 error opens 58 as a response", reply{answer: true, v6: true, icmp: true, typ: 4, code: 1, fromTarget: true}, sdk.StateOpen, "proto-response"},
		{"protocol unreachable from the target", reply{icmp: true, typ: 3, code: 2, fromTarget: true}, sdk.StateClosed, "proto-unreach"},
		{"protocol unreachable from a router", reply{icmp: true, typ: 3, code: 2}, sdk.StateFiltered, "proto-unreach"},
		{"port unreachable from the target", reply{icmp: true, typ: 3, code: 3, fromTarget: true}, sdk.StateOpen, "port-unreach"},
		{"admin prohibited", reply{icmp: true, typ: 3, code: 13, fromTarget: true}, sdk.StateFiltered, "admin-prohibited"},
		{"v6 unrecognised next header from the target", reply{v6: true, icmp: true, typ: 4, code: 1, fromTarget: true}, sdk.StateClosed, "param-problem"},
		{"v6 unrecognised next header from a router", reply{v6: true, icmp: true, typ: 4, code: 1}, sdk.StateFiltered, "param-problem"},
		{"v6 erroneous header field", reply{v6: true, icmp: true, typ: 4, code: 0}, sdk.StateOpen, "param-problem"},
		{"v6 port unreachable from the target", reply{v6: true, icmp: true, typ: 1, code: 4, fromTarget: true}, sdk.StateOpen, "port-unreach"},
		{"v6 admin prohibited", reply{v6: true, icmp: true, typ: 1, code: 1, fromTarget: true}, sdk.StateFiltered, "admin-prohibited"},
	}
	for _, tc := range tests {
		v, ok := firstRule(rules, tc.r)
		if !ok || v.State != tc.state || v.Reason != tc.reason {
			t.Errorf("%s: %+v (matched %v), want %s %s", tc.name, v, ok, tc.state, tc.reason)
		}
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	info, err := New().Info(context.Background())
	if err != nil || info.ID != ID || info.Kind != sdk.KindProbe {
		t.Fatalf("info %+v, %v", info, err)
	}
	if d, err := New().Configure(context.Background(), sdk.Settings(`[1]`)); err != nil || len(d) == 0 {
		t.Errorf("settings not an object: diagnostics %v, %v", d, err)
	}
}
