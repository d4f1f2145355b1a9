package sctp

import (
	"context"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/sdk"
)

// TestSpecs decodes each template with gopacket and checks the reply table
// against Nmap's (nmap-internals §3.2): what each chunk means, what silence
// means, and that the cookie slot sits in the tag the peer echoes.
func TestSpecs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id, scanType string
		chunk        layers.SCTPChunkType
		cookieOff    int
		chunkStates  map[uint8]sdk.PortState
		silence      sdk.PortState
	}{
		{Init, "sctpinit", layers.SCTPChunkTypeInit, offInitTag,
			map[uint8]sdk.PortState{chunkInitAck: sdk.StateOpen, chunkAbort: sdk.StateClosed}, sdk.StateFiltered},
		{Cookie, "sctpcookieecho", layers.SCTPChunkTypeCookieEcho, offVTag,
			map[uint8]sdk.PortState{chunkAbort: sdk.StateClosed}, sdk.StateOpenFiltered},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			spec, err := New(c.id).Describe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if spec.ScanType != c.scanType || spec.Proto != sdk.ProtoSCTP || spec.Transport != sdk.TransportRawIP ||
				!spec.NeedsRoot || spec.Silence.State != c.silence || spec.SilenceMeansOpen {
				t.Fatalf("spec %+v", spec)
			}
			if len(spec.Templates) != 1 || spec.Templates[0].IPProtocol != 132 {
				t.Fatalf("templates %+v, want one SCTP template", spec.Templates)
			}
			tm := spec.Templates[0]
			pkt := gopacket.NewPacket(tm.Layer4, layers.LayerTypeSCTP, gopacket.Default)
			if pkt.ErrorLayer() != nil {
				t.Fatalf("template does not decode: %v", pkt.ErrorLayer())
			}
			s := pkt.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			if got := layers.SCTPChunkType(s.Payload[0]); got != c.chunk {
				t.Errorf("chunk %v, want %v", got, c.chunk)
			}
			if init, ok := pkt.Layer(layers.LayerTypeSCTPInit).(*layers.SCTPInit); ok &&
				(init.AdvertisedReceiverWindowCredit != 32768 || init.OutboundStreams != 10 || init.InboundStreams != 2048) {
				t.Errorf("INIT %+v is not Nmap's", init)
			}
			slots := map[sdk.SlotKind][2]int{}
			for _, sl := range tm.Slots {
				slots[sl.Kind] = [2]int{sl.Offset, sl.Width}
			}
			if slots[sdk.SlotCookie] != [2]int{c.cookieOff, 4} || slots[sdk.SlotChecksum] != [2]int{offChecksum, 4} {
				t.Errorf("slots %v", slots)
			}
			seen := map[uint8]sdk.PortState{}
			for _, r := range spec.Rules {
				if r.Match.Kind == sdk.MatchSCTP {
					seen[r.Match.SCTPChunk] = r.Verdict.State
				}
			}
			if len(seen) != len(c.chunkStates) {
				t.Errorf("chunk rules %v, want %v", seen, c.chunkStates)
			}
			for k, v := range c.chunkStates {
				if seen[k] != v {
					t.Errorf("chunk %d: %v, want %v", k, seen[k], v)
				}
			}
		})
	}
	if _, err := New("probe.sctp_bogus").Describe(context.Background()); err == nil {
		t.Error("an unknown ID described a scan")
	}
}
