package ultrascan

import (
	"testing"
	"time"
)

// TestWideSweep is a -Pn -p 80 sweep of a /18 at -T4 as the raw driver
// runs it: sixteen groups of 1024 addresses, one after another. The first
// four hold the live hosts (fast ones, some with 80 open and some closed,
// one behind a relay that loses 3 %, one that rate-limits its RSTs); the rest are
// absent. Carried from group to group, the window and the RTT learnt from
// the live hosts keep every later group from a cold start, so the sweep
// costs about its timeouts; a cold start per group costs each of them
// seconds of slow start at the initial timeout. Every open port is found
// either way, and a window that an earlier congestion cut left small
// opens again on the silent timeouts.
func TestWideSweep(t *testing.T) {
	t.Parallel()
	const groups, size = 16, 1024
	ms := time.Millisecond
	cut := Carry{valid: true, group: window{cwnd: 5, ssthresh: 3, cut: true, expected: 10, received: 2}, rtt: newRTT(500 * ms)}
	tests := []struct {
		name       string
		carry      *Carry // nil: every group starts cold
		minElapsed time.Duration
		maxElapsed time.Duration
	}{
		{"cold groups", nil, 40 * time.Second, 2 * time.Minute},
		{"carried", &Carry{}, 0, 15 * time.Second},
		{"carried after a congestion cut", &cut, 0, 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var total time.Duration
			probes, open := 0, 0
			for g := range groups {
				hosts := make([]simHost, size)
				for i := range hosts {
					hosts[i] = simHost{delay: 50 * time.Microsecond, filtered: true}
					if g < 4 && i%100 == 7 {
						hosts[i] = simHost{delay: 50 * time.Microsecond, open: map[uint16]bool{80: i%200 == 7}}
					}
				}
				if g == 1 {
					hosts[500] = simHost{delay: 25 * ms, jitter: 10 * ms, loss: 0.03, open: map[uint16]bool{80: true}, fifo: true}
					hosts[600] = simHost{delay: 50 * time.Microsecond, rstRate: 1, rstBurst: 1}
				}
				res := simulateNet(t, t4(), simNet{hosts: hosts, pingScores: true, carry: tc.carry}, []uint16{80}, uint64(g+1))
				total += res.elapsed
				probes += res.probes
				for i, h := range hosts {
					if h.open[80] {
						open++
						if !res.answered[[2]int{i, 80}] {
							t.Errorf("group %d host %d: open port 80 not found", g, i)
						}
					}
				}
			}
			t.Logf("%v simulated, %d probes, %d open ports", total, probes, open)
			if total < tc.minElapsed || total > tc.maxElapsed {
				t.Errorf("took %v simulated, want %v..%v", total, tc.minElapsed, tc.maxElapsed)
			}
			if n := groups * size; probes > 2*n {
				t.Errorf("%d probes for %d addresses, want at most two tries each", probes, n)
			}
		})
	}
}

// TestCarryNmapMode: Nmap starts every group cold, so under
// NmapCongestion nothing is carried.
func TestCarryNmapMode(t *testing.T) {
	t.Parallel()
	cfg := t4()
	cfg.NmapCongestion = true
	e := New(cfg, 1, []uint16{80}, t0)
	e.Resume(t0, Carry{valid: true, group: window{cwnd: 200, ssthresh: 100}, rtt: newRTT(100 * time.Millisecond)})
	if cw, _ := e.GroupWindow(); cw != initialCwnd {
		t.Errorf("group window %v after Resume in Nmap mode, want %d", cw, initialCwnd)
	}
	if c := e.Carry(); c.valid {
		t.Error("Carry in Nmap mode carries something")
	}
}
