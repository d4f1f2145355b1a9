package ultrascan

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// pingDrive runs e, a ping scan of hosts hosts, to the end: every up-th
// host (none for up 0) answers each probe after rtt, a reply finishes its
// host, and each answer is also delivered again 3 s later (a late
// duplicate). Without check it returns a log of everything the engine
// said; with check it calls check every 50 ms of simulated time and
// returns only the engine's Stats (a log would be most of the heap).
func pingDrive(t *testing.T, e *Engine, hosts, up int, rtt time.Duration, check func()) []string {
	t.Helper()
	type answer struct {
		at   time.Time
		id   uint64
		host int
	}
	var due []answer
	var log []string
	logging := check == nil
	say := func(format string, a ...any) { log = append(log, fmt.Sprintf(format, a...)) }
	var ps []Probe
	var ids []uint64
	var fin []int
	now, nextCheck := t0, t0
	for step := 0; step < 1_000_000 && !e.Done(); step++ {
		var wake time.Time
		ps, wake = e.Next(now, ps[:0])
		for _, p := range ps {
			if logging {
				say("%v send %+v", now.Sub(t0), p)
			}
			if up > 0 && p.Host%up == 0 {
				due = append(due, answer{now.Add(rtt), p.ID, p.Host}, answer{now.Add(3 * time.Second), p.ID, p.Host})
			}
		}
		slices.SortStableFunc(due, func(a, b answer) int { return a.at.Compare(b.at) })
		if len(due) > 0 && due[0].at.Before(wake) {
			wake = due[0].at
		}
		for len(due) > 0 && !due[0].at.After(wake) {
			a := due[0]
			due = due[1:]
			v := e.Receive(a.at, a.id, Response{})
			fin := e.FinishHost(a.host)
			if logging {
				say("%v reply %d: %+v, finish %v", a.at.Sub(t0), a.id, v, fin)
			}
		}
		ids = e.Expired(wake, ids[:0])
		fin = e.Finished(fin[:0])
		if logging {
			say("%v wake %v expired %v finished %v", now.Sub(t0), wake.Sub(t0), ids, fin)
		}
		if check != nil && !now.Before(nextCheck) {
			check()
			nextCheck = now.Add(50 * time.Millisecond)
		}
		if wake.After(now) {
			now = wake
		} else {
			now = now.Add(time.Microsecond)
		}
	}
	if !e.Done() {
		t.Fatal("ping scan did not finish")
	}
	if e.quiet != (hostMore{}) {
		t.Fatal("a host wrote to the record the silent hosts share")
	}
	for _, h := range []int{0, hosts / 2, hosts - 1} {
		srtt, rttvar, to := e.HostTiming(h)
		if logging {
			say("host %d: timing %v %v %v", h, srtt, rttvar, to)
		}
	}
	return append(log, fmt.Sprintf("stats %+v", e.Stats()))
}

// A ping scan recycled from another (NewPingScanFrom) schedules exactly
// as a fresh one, whatever state the other ended in.
func TestPingScanFromSpareMatchesFresh(t *testing.T) {
	t.Parallel()
	probes := []uint16{0, 1, 2, 3}
	cfg := DefaultConfig()
	cfg.TimingLevel, cfg.InitialRTT, cfg.MinRate = 4, 500*time.Millisecond, 2000
	cases := []struct {
		name         string
		spareHosts   int // the batch the spare engine ran: its size and live share
		spareUp      int
		hosts, up    int
		spareProbes  []uint16
		spareTimeout time.Duration
	}{
		{"smaller spare, live hosts before", 100, 3, 600, 7, probes, time.Second},
		{"larger spare, silent batch after a live one", 900, 2, 300, 0, probes, time.Second},
		{"spare of another probe list", 500, 5, 500, 11, []uint16{0}, 200 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := pingDrive(t, NewPingScan(cfg, c.hosts, probes, t0), c.hosts, c.up, 3*time.Millisecond, nil)
			scfg := cfg
			scfg.InitialRTT = c.spareTimeout
			spare := NewPingScan(scfg, c.spareHosts, c.spareProbes, t0)
			pingDrive(t, spare, c.spareHosts, c.spareUp, 7*time.Millisecond, nil)
			got := pingDrive(t, NewPingScanFrom(spare, cfg, c.hosts, probes, t0), c.hosts, c.up, 3*time.Millisecond, nil)
			if len(got) != len(want) {
				t.Fatalf("recycled engine: %d events, fresh %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("event %d: recycled %q, fresh %q", i, got[i], want[i])
				}
			}
		})
	}
}

// A discovery batch (4096 silent addresses, Nmap's four default pings,
// --min-rate 10000) holds a host record, eight probe records (two tries
// of four probes, all lingering for late replies until the batch ends)
// and their timers per address. The bounds: the live heap of a fresh
// engine per host at its peak, and what a batch on a recycled engine
// allocates and adds to the live heap per host. Before the records were
// slimmed and recycled a fresh engine peaked at ~2650 bytes per host and
// every batch allocated ~4400 bytes per host anew; now ~1820 and ~60.
func TestPingScanMemoryPerHost(t *testing.T) {
	// Not parallel: the heap figures are the process's.
	const (
		hosts      = 4096
		freshLive  = 2000 // bytes per host at the peak
		reusedLive = 256
		reusedNew  = 256 // bytes allocated per host by a recycled batch
	)
	probes := []uint16{0, 1, 2, 3}
	cfg := DefaultConfig()
	cfg.MinRate = 10000
	batch := func(spare *Engine) (e *Engine, live, alloc float64) {
		var before, m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var peak uint64
		e = NewPingScanFrom(spare, cfg, hosts, probes, t0)
		log := pingDrive(t, e, hosts, 0, 0, func() {
			runtime.GC()
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		})
		runtime.ReadMemStats(&m)
		if want := fmt.Sprintf("stats %+v", Stats{Probes: 2 * hosts * len(probes), Retransmits: hosts * len(probes)}); log[len(log)-1] != want {
			t.Fatalf("batch ended with %s, want %s", log[len(log)-1], want)
		}
		return e, float64(int64(peak)-int64(before.HeapAlloc)) / hosts,
			float64(m.TotalAlloc-before.TotalAlloc) / hosts
	}
	e, live, _ := batch(nil)
	t.Logf("fresh engine: peak live %.0f B/host", live)
	if live > freshLive {
		t.Errorf("fresh engine: peak live heap %.0f bytes per host, want at most %d", live, freshLive)
	}
	for i := range 2 {
		var alloc float64
		e, live, alloc = batch(e)
		t.Logf("recycled engine %d: peak live +%.0f B/host, allocated %.0f B/host", i+1, live, alloc)
		if live > reusedLive || alloc > reusedNew {
			t.Errorf("recycled engine %d: live heap grew %.0f and allocation was %.0f bytes per host, want at most %d and %d",
				i+1, live, alloc, reusedLive, reusedNew)
		}
	}
}
