package ultrascan

import (
	"testing"
	"time"
)

func ids(ps []Probe) []uint64 {
	var out []uint64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestWindowGrowthDecidesBurstSizes(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig(), 1, portRange(1, 1000), t0)
	now := t0
	// Slow start: every reply admits two more probes, so each round trip
	// doubles the burst: 10, 20, 40, then the 50-sends-per-wait cap.
	for _, want := range []int{10, 20, 40, 50} {
		ps, _ := e.Next(now, nil)
		if len(ps) != want {
			t.Fatalf("burst of %d probes, want %d", len(ps), want)
		}
		now = now.Add(time.Millisecond)
		for _, id := range ids(ps) {
			e.Reply(now, id)
		}
	}
}

func TestRetryAllowanceGrowsWithEvidence(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := DefaultConfig()
	cfg.InitialRTT = 100 * ms
	// Port 1 is silent. Port 2 loses its first probe and answers the
	// retransmission, which proves loss: port 1 earns a third try.
	e := New(cfg, 1, []uint16{1, 2}, t0)
	tries := map[uint16]int{}
	now := t0
	for step := 0; step < 100 && !e.Done(); step++ {
		ps, wake := e.Next(now, nil)
		for _, p := range ps {
			tries[p.Port]++
			if p.Port == 2 && p.Try == 1 {
				e.Reply(now.Add(150*ms), p.ID) // answered late, after port 1's retry timed out
			}
		}
		e.Expired(now, nil)
		now = wake
	}
	if !e.Done() {
		t.Fatal("engine did not finish")
	}
	if tries[1] != 3 || tries[2] != 2 {
		t.Errorf("tries = %v, want port 1: 3, port 2: 2", tries)
	}

	// Without evidence of loss a silent port gets exactly one retransmission.
	res := simulate(t, cfg, []simHost{{filtered: true}}, []uint16{1, 2, 3}, 1)
	if res.probes != 6 {
		t.Errorf("3 silent ports: %d probes, want 6", res.probes)
	}
	// --max-retries 0 means no retransmission at all.
	cfg.MaxRetries = 0
	res = simulate(t, cfg, []simHost{{filtered: true}}, []uint16{1, 2, 3}, 1)
	if res.probes != 3 {
		t.Errorf("--max-retries 0: %d probes, want 3", res.probes)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	ports := portRange(1, 1000)
	t.Run("max rate spaces probes and may catch up", func(t *testing.T) {
		t.Parallel()
		cfg := DefaultConfig()
		cfg.MaxRate = 100
		res := simulate(t, cfg, []simHost{{delay: ms}}, ports, 1)
		// 1000 probes at 100/s: the last goes out at 9.99 s.
		if res.elapsed < 9990*ms || res.elapsed > 10100*ms {
			t.Errorf("took %v, want about 10s", res.elapsed)
		}
		for i := 1; i < len(res.sendTime); i++ {
			if gap := res.sendTime[i].Sub(res.sendTime[i-1]); gap < 10*ms {
				t.Fatalf("probes %d and %d only %v apart without a stall", i-1, i, gap)
			}
		}
		// After a stall the schedule lags in the past: the engine sends the
		// backlog at once.
		e := New(cfg, 1, ports, t0)
		e.Next(t0, nil)
		if ps, _ := e.Next(t0.Add(50*ms), nil); len(ps) != 5 {
			t.Errorf("after a 50ms stall: %d probes, want 5", len(ps))
		}
	})
	t.Run("min rate overrides the window", func(t *testing.T) {
		t.Parallel()
		cfg := DefaultConfig()
		cfg.MinRate = 500
		// Silent ports keep the window at 10 per second-long timeout; the
		// min rate pushes 500 probes per second regardless.
		res := simulate(t, cfg, []simHost{{filtered: true}}, ports, 1)
		if res.elapsed > 6*time.Second {
			t.Errorf("took %v, want about 4s for 2000 probes at 500/s", res.elapsed)
		}
		n := 0
		for _, st := range res.sendTime {
			if st.Sub(t0) < time.Second {
				n++
			}
		}
		if n < 490 {
			t.Errorf("%d probes in the first second, want at least 490", n)
		}
	})
	t.Run("scan delay spaces probes to one host", func(t *testing.T) {
		t.Parallel()
		cfg := DefaultConfig()
		cfg.ScanDelay = 20 * ms
		res := simulate(t, cfg, []simHost{{delay: ms}}, portRange(1, 50), 1)
		if res.elapsed < 980*ms || res.elapsed > 1100*ms {
			t.Errorf("50 probes 20ms apart took %v", res.elapsed)
		}
	})
}

func TestHostTimeout(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.HostTimeout = 3 * time.Second
	res := simulate(t, cfg, []simHost{{filtered: true}, {delay: time.Millisecond}}, portRange(1, 5000), 1)
	e := res.engine
	if !e.HostTimedOut(0) || e.HostTimedOut(1) {
		t.Errorf("timed out: host 0 %v, host 1 %v; want only the silent host 0", e.HostTimedOut(0), e.HostTimedOut(1))
	}
	if res.elapsed > 3100*time.Millisecond {
		t.Errorf("scan took %v, want it to end at the 3s host timeout", res.elapsed)
	}
	if e.InFlight() != 0 {
		t.Errorf("%d probes still in flight", e.InFlight())
	}
}

func TestFinishedAndTiming(t *testing.T) {
	t.Parallel()
	res := simulate(t, DefaultConfig(), []simHost{{delay: 15 * time.Millisecond}, {delay: 2 * time.Millisecond}}, portRange(1, 200), 1)
	fin := res.engine.Finished(nil)
	if len(fin) != 2 || fin[0] != 1 {
		t.Errorf("finished order %v, want the faster host 1 first", fin)
	}
	srtt, _, timeout := res.engine.HostTiming(0)
	if srtt != 30*time.Millisecond || timeout != 100*time.Millisecond {
		t.Errorf("host 0 srtt %v timeout %v, want 30ms and the 100ms floor", srtt, timeout)
	}
}

// TestRLDFirstPause checks the rate-limit-detection pause by default and in
// Nmap's mode on a host that answers every port but one behind a silent
// drop: Nmap holds the whole host for the pause, the default skips it,
// since the host answered far too much to be out of budget.
func TestRLDFirstPause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		nmap       bool
		pauses     int
		minElapsed time.Duration
		maxElapsed time.Duration
	}{
		// 65535 ports at a window of 300 over 10 ms take about 2.6 s;
		// Nmap's mode adds the 1 s pause.
		{"default: no pause for a host that answers", false, 0, 2 * time.Second, 2800 * time.Millisecond},
		{"nmap: the host waits out the pause", true, 1, 3500 * time.Millisecond, 4 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.TimingLevel = 4
			cfg.NmapCongestion = tc.nmap
			h := simHost{delay: 5 * time.Millisecond, drop: map[uint16]bool{2000: true}}
			res := simulate(t, cfg, []simHost{h}, portRange(1, 65535), 1)
			st := res.engine.Stats()
			if st.RLDPauses != tc.pauses {
				t.Errorf("%d RLD pauses, want %d", st.RLDPauses, tc.pauses)
			}
			if res.elapsed < tc.minElapsed || res.elapsed > tc.maxElapsed {
				t.Errorf("took %v, want %v..%v", res.elapsed, tc.minElapsed, tc.maxElapsed)
			}
		})
	}
}
