package ultrascan

import (
	"testing"
	"time"
)

func TestRTT(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name       string
		minRTT     time.Duration
		scanDelay  time.Duration
		samples    []time.Duration
		srtt, rvar int64 // µs
		timeout    int64
	}{
		{"first sample", ms, 0, []time.Duration{20 * ms}, 20000, 20000, 100000},
		{"second sample", ms, 0, []time.Duration{20 * ms, 30 * ms}, 21250, 17500, 91250},
		{"shifts floor negative deltas", ms, 0, []time.Duration{20 * ms, 30 * ms, 10 * ms}, 19843, 15937, 83591},
		{"first rttvar at least 5ms", ms, 0, []time.Duration{ms}, 1000, 5000, 21000},
		{"first rttvar at most 2s, timeout clamped to max", ms, 0, []time.Duration{3 * time.Second}, 3000000, 2000000, 10000000},
		{"timeout clamped to min", 100 * ms, 0, []time.Duration{ms}, 1000, 5000, 100000},
		{"late samples of 8s are ignored", ms, 0, []time.Duration{20 * ms, 8 * time.Second}, 20000, 20000, 100000},
		{"outliers are ignored", ms, 0, []time.Duration{20 * ms, 1600 * ms}, 20000, 20000, 100000},
		{"clock skew counts as 10ms", ms, 0, []time.Duration{-20 * ms}, 10000, 10000, 50000},
		{"scan delay raises the timeout", ms, 200 * ms, []time.Duration{20 * ms}, 20000, 20000, 200000},
		{"rttvar above 2.3s resets to 2s", ms, 0, []time.Duration{2 * time.Second, 7900 * ms}, 2737500, 2000000, 10000000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRTT(time.Second)
			for _, s := range tc.samples {
				r.update(s, tc.minRTT, 10*time.Second, tc.scanDelay)
			}
			if r.srtt != tc.srtt || r.rttvar != tc.rvar || r.timeout != tc.timeout {
				t.Errorf("srtt, rttvar, timeout = %d, %d, %d; want %d, %d, %d", r.srtt, r.rttvar, r.timeout, tc.srtt, tc.rvar, tc.timeout)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	p := newPerf(DefaultConfig())
	t.Run("slow start adds one per reply up to ssthresh", func(t *testing.T) {
		w := p.initialWindow(t0)
		for range 65 {
			w.expected++
			w.ack(p, 1, false)
		}
		if w.cwnd != 75 {
			t.Errorf("cwnd = %v, want 75 (capped at ssthresh)", w.cwnd)
		}
		w.expected++
		w.ack(p, 1, false)
		if want := 75 + 1.0/75; w.cwnd != want {
			t.Errorf("congestion avoidance: cwnd = %v, want %v", w.cwnd, want)
		}
	})
	t.Run("an idle path keeps slow start past ssthresh until a cut", func(t *testing.T) {
		w := p.initialWindow(t0)
		for range 100 {
			w.expected++
			w.ack(p, 1, true)
		}
		if w.cwnd != 110 {
			t.Errorf("cwnd = %v, want 110 (one per reply past ssthresh 75)", w.cwnd)
		}
		w.dropGroup(100, p, time.Unix(1, 0)) // cwnd 55, ssthresh 66
		for w.cwnd < w.ssthresh {
			w.expected++
			w.ack(p, 1, true)
		}
		w.expected++
		w.ack(p, 1, true)
		if want := 66 + 1.0/66; w.cwnd != want {
			t.Errorf("after a cut: cwnd = %v, want %v (congestion avoidance)", w.cwnd, want)
		}
		nm := DefaultConfig()
		nm.NmapCongestion = true
		pn := newPerf(nm)
		w = pn.initialWindow(t0)
		for range 100 {
			w.expected++
			w.ack(pn, 1, true)
		}
		if w.cwnd >= 76 {
			t.Errorf("Nmap mode: cwnd = %v, want congestion avoidance above 75", w.cwnd)
		}
	})
	t.Run("silence scales growth, at most 50", func(t *testing.T) {
		w := p.initialWindow(t0)
		w.expected = 4 // three timeouts, then one reply
		w.ack(p, 1, false)
		if w.cwnd != 14 {
			t.Errorf("cwnd = %v, want 14", w.cwnd)
		}
		w = window{cwnd: 10, ssthresh: 1000, expected: 1000}
		w.ack(p, 1, false)
		if w.cwnd != 60 {
			t.Errorf("cwnd = %v, want 60 (scale capped at 50)", w.cwnd)
		}
	})
	t.Run("drops", func(t *testing.T) {
		w := window{cwnd: 40, ssthresh: 75}
		w.dropGroup(30, p, time.Unix(1, 0))
		if w.cwnd != 20 || w.ssthresh != 20 {
			t.Errorf("group drop: cwnd, ssthresh = %v, %v; want 20, 20", w.cwnd, w.ssthresh)
		}
		w.dropHost(2, p, time.Unix(2, 0))
		if w.cwnd != 1 || w.ssthresh != 2 {
			t.Errorf("host drop: cwnd, ssthresh = %v, %v; want 1, 2", w.cwnd, w.ssthresh)
		}
	})
	t.Run("max parallelism caps the window", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.MaxParallelism = 12
		p := newPerf(cfg)
		w := p.initialWindow(t0)
		for range 10 {
			w.expected++
			w.ack(p, 1, false)
		}
		if w.cwnd != 12 {
			t.Errorf("cwnd = %v, want 12", w.cwnd)
		}
	})
}
