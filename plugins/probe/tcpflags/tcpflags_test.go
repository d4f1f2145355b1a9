package tcpflags

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/sdk"
)

// verdictFor applies the spec's rules to a TCP reply the way the rules
// promise (first match wins): a reference reading of sdk.ReplyMatch, so the
// tables are tested without the core.
func verdictFor(t *testing.T, spec sdk.ProbeSpec, reply []byte) sdk.Verdict {
	t.Helper()
	pkt := gopacket.NewPacket(reply, layers.LayerTypeTCP, gopacket.Default)
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		t.Fatalf("fixture does not decode: %v", pkt.ErrorLayer())
	}
	flags := reply[13]
	for _, r := range spec.Rules {
		m := r.Match
		if m.Kind != sdk.MatchTCP || flags&m.TCPFlagsMask != m.TCPFlags {
			continue
		}
		if (m.TCPWindow == 0 && tcp.Window != 0) || (m.TCPWindow == 1 && tcp.Window == 0) {
			continue
		}
		return r.Verdict
	}
	return spec.Silence
}

// rst is a reset from port 80 with the given window.
func rst(window uint16) []byte {
	h := make([]byte, 20)
	h[1], h[12], h[13] = 80, 5<<4, flagRST|flagACK
	h[14], h[15] = byte(window>>8), byte(window)
	return h
}

func TestTablesAreNmaps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id               string
		scanType         string
		sent             uint8
		cookieOff        int
		rst0, rst1, none sdk.PortState
		silentOpen       bool
	}{
		{FIN, "fin", flagFIN, offSeq, sdk.StateClosed, sdk.StateClosed, sdk.StateOpenFiltered, true},
		{NULL, "null", 0, offSeq, sdk.StateClosed, sdk.StateClosed, sdk.StateOpenFiltered, true},
		{Xmas, "xmas", flagFIN | flagPSH | flagURG, offSeq, sdk.StateClosed, sdk.StateClosed, sdk.StateOpenFiltered, true},
		{Maimon, "maimon", flagFIN | flagACK, offAck, sdk.StateClosed, sdk.StateClosed, sdk.StateOpenFiltered, true},
		{ACK, "ack", flagACK, offAck, sdk.StateUnfiltered, sdk.StateUnfiltered, sdk.StateFiltered, false},
		{Window, "window", flagACK, offAck, sdk.StateClosed, sdk.StateOpen, sdk.StateFiltered, false},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			p := New(c.id)
			spec, err := p.Describe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if spec.ScanType != c.scanType || spec.SilenceMeansOpen != c.silentOpen || spec.Silence.State != c.none || !spec.NeedsRoot {
				t.Errorf("spec %s/%v/%v, want %s/%v/%v", spec.ScanType, spec.SilenceMeansOpen, spec.Silence.State, c.scanType, c.silentOpen, c.none)
			}
			tm := spec.Templates[0]
			pkt := gopacket.NewPacket(tm.Layer4, layers.LayerTypeTCP, gopacket.Default)
			tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !ok || tm.Layer4[13] != c.sent || tcp.Window != 1024 || len(tcp.Options) != 0 {
				t.Errorf("template flags %#x window %d options %v, want %#x, 1024, none", tm.Layer4[13], tcp.Window, tcp.Options, c.sent)
			}
			var cookie = -1
			for _, s := range tm.Slots {
				if s.Kind == sdk.SlotCookie {
					cookie = s.Offset
				}
			}
			if cookie != c.cookieOff {
				t.Errorf("cookie at %d, want %d (the field the reset echoes)", cookie, c.cookieOff)
			}
			if v := verdictFor(t, spec, rst(0)); v.State != c.rst0 {
				t.Errorf("RST window 0: %v, want %v", v.State, c.rst0)
			}
			if v := verdictFor(t, spec, rst(512)); v.State != c.rst1 {
				t.Errorf("RST window 512: %v, want %v", v.State, c.rst1)
			}
		})
	}
	if New("probe.tcp_nope") != nil {
		t.Error("unknown ID gave a plugin")
	}
}

func TestScanFlagsSetting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in  string
		want      uint8
		cookieOff int
		bad       bool
	}{
		{"names", "SYNFIN", flagSYN | flagFIN, offSeq, false},
		{"lower case any order", "ackpsh", flagACK | flagPSH, offAck, false},
		{"number", "9", flagFIN | flagPSH, offSeq, false},
		{"hex is not a number here", "0x12", 0, 0, true},
		{"unknown name", "SYNFOO", 0, 0, true},
		{"too big", "300", 0, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := New(FIN)
			raw, _ := json.Marshal(map[string]string{"flags": c.in})
			diags, err := p.Configure(context.Background(), sdk.Settings(raw))
			if err != nil {
				t.Fatal(err)
			}
			if c.bad {
				if len(diags) == 0 {
					t.Errorf("flags %q accepted", c.in)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("flags %q: %v", c.in, diags)
			}
			spec, _ := p.Describe(context.Background())
			if got := spec.Templates[0].Layer4[13]; got != c.want {
				t.Errorf("flags %q sent %#x, want %#x", c.in, got, c.want)
			}
			for _, s := range spec.Templates[0].Slots {
				if s.Kind == sdk.SlotCookie && s.Offset != c.cookieOff {
					t.Errorf("cookie at %d, want %d", s.Offset, c.cookieOff)
				}
			}
		})
	}
}
