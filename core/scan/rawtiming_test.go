package scan

import (
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// TestRawTimingPacing: --defeat-icmp-ratelimit (a closed|filtered silence
// verdict) turns the engine's rate-limit pacing off; every other silence
// keeps it, and UDP and IP protocol scans get UDP's boost start.
func TestRawTimingPacing(t *testing.T) {
	cases := []struct {
		name      string
		proto     sdk.Proto
		silence   sdk.PortState
		noPacing  bool
		boostFrom time.Duration
	}{
		{"udp", sdk.ProtoUDP, sdk.StateOpenFiltered, false, udpBoostStart},
		{"udp defeat", sdk.ProtoUDP, sdk.StateClosedFiltered, true, udpBoostStart},
		{"ipproto", sdk.ProtoIP, sdk.StateOpenFiltered, false, udpBoostStart},
		{"syn", sdk.ProtoTCP, sdk.StateFiltered, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tech := Technique{Spec: sdk.ProbeSpec{Proto: c.proto, Silence: sdk.Verdict{State: c.silence}}}
			cfg := rawTiming(Plan{}, tech)
			if cfg.NoPacing != c.noPacing || cfg.BoostStart != c.boostFrom {
				t.Errorf("NoPacing %v, BoostStart %v; want %v, %v", cfg.NoPacing, cfg.BoostStart, c.noPacing, c.boostFrom)
			}
		})
	}
}
