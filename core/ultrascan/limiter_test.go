package ultrascan

import (
	"testing"
	"time"
)

// TestPacingStartsFromBursts feeds the limiter replies to retransmissions
// of a mostly silent host, in the shapes responders give them, and checks
// whether pacing starts and at what rate.
func TestPacingStartsFromBursts(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cases := []struct {
		name    string
		replies []time.Duration // since t0
		on      bool
		rate    float64 // answers per second measured (before limMargin)
	}{
		{"one a second", []time.Duration{0, ms(1000), ms(2000), ms(3000)}, true, 1},
		// Rounds two seconds apart each find two tokens in a 1/s bucket.
		// CI once saw this shape keep a -T4 UDP scan of fw from pacing.
		{"two at once every two seconds", []time.Duration{0, ms(1), ms(2000), ms(2001), ms(4000), ms(4001)}, true, 1},
		{"a budget of five a second, in bursts", []time.Duration{0, ms(1), ms(2), ms(3), ms(4), ms(1000), ms(1001), ms(1002), ms(1003), ms(1004), ms(2000), ms(2001)}, false, 0},
		{"too short a span", []time.Duration{0, ms(100), ms(200), ms(300)}, false, 0},
		{"two bursts only", []time.Duration{0, ms(1), ms(2), ms(3), ms(1500), ms(1501)}, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(udpT4(), 1, udpTop100, t0)
			h := &e.hosts[0]
			h.win.expected = 200 // mostly silent
			for _, at := range c.replies {
				h.win.expected++
				h.win.received++
				e.limReply(h, &probe{}, true, t0.Add(at))
			}
			if h.lim.on != c.on {
				t.Fatalf("pacing on = %v, want %v", h.lim.on, c.on)
			}
			if want := limMargin * c.rate; c.on && (h.lim.rate < 0.95*want || h.lim.rate > 1.05*want) {
				t.Errorf("paced at %.3f/s, want %.3f/s", h.lim.rate, want)
			}
		})
	}
}
