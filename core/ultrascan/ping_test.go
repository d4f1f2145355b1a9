package ultrascan

import (
	"slices"
	"testing"
	"time"
)

func TestFinishHostDropsItsOtherProbes(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := DefaultConfig()
	cfg.InitialRTT = 100 * ms
	// Host 0 answers its second probe; host 1 is silent.
	e := NewPingScan(cfg, 2, []uint16{0, 1, 2, 3}, t0)
	ps, _ := e.Next(t0, nil)
	if len(ps) != 8 {
		t.Fatalf("first burst: %d probes, want 4 per host", len(ps))
	}
	var answered uint64
	var dropped []uint64
	for _, p := range ps {
		if p.Host == 0 && p.Port == 1 {
			answered = p.ID
		} else if p.Host == 0 {
			dropped = append(dropped, p.ID)
		}
	}
	if v := e.Receive(t0.Add(5*ms), answered, Response{}); !v.Tracked || v.HostFinished {
		t.Fatalf("reply verdict %+v, want tracked before the host finished", v)
	}
	if !e.FinishHost(0) {
		t.Fatal("FinishHost(0) = false for a live host")
	}
	if e.FinishHost(0) {
		t.Error("FinishHost(0) twice = true")
	}
	if got := e.Finished(nil); !slices.Equal(got, []int{0}) {
		t.Errorf("Finished = %v, want [0]", got)
	}
	if e.InFlight() != 4 {
		t.Errorf("in flight %d after host 0 finished, want host 1's 4", e.InFlight())
	}
	sent := map[int]int{}
	var finished []int
	now := t0.Add(5 * ms)
	for step := 0; step < 100 && !e.Done(); step++ {
		ps, wake := e.Next(now, nil)
		for _, p := range ps {
			sent[p.Host]++
		}
		for _, id := range e.Expired(now, nil) {
			if slices.Contains(dropped, id) {
				t.Errorf("dropped probe %d reported expired", id)
			}
		}
		finished = e.Finished(finished)
		now = wake
	}
	if !e.Done() {
		t.Fatal("engine did not finish")
	}
	if sent[0] != 0 || sent[1] != 4 {
		t.Errorf("sent after the first burst: %v, want none to host 0 and one retransmission of each probe to host 1", sent)
	}
	if !slices.Equal(finished, []int{1}) {
		t.Errorf("Finished later = %v, want [1] only", finished)
	}
	if v := e.Receive(now, dropped[0], Response{}); v.Tracked {
		t.Error("a late reply to a dropped probe is still tracked")
	}
	if srtt, _, _ := e.HostTiming(0); srtt != 5*ms {
		t.Errorf("host 0 srtt %v, want the 5 ms its reply measured", srtt)
	}
}

func TestPingScanRetransmitsSoonWithoutRLDPause(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name string
		nmap bool
		want time.Duration // when the silent host's retransmissions go out
		end  time.Duration // when it is given up
	}{
		// A quarter of the timeout after the first try, no pause; given
		// up one timeout after the retransmission.
		{"default: a quarter timeout after the first try", false, 25 * ms, 125 * ms},
		{"Nmap: one timeout, then the 1 s rate-limit-detection pause", true, 100*ms + time.Second, 200*ms + time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.InitialRTT = 100 * ms
			cfg.NmapCongestion = c.nmap
			e := NewPingScan(cfg, 1, []uint16{0, 1, 2}, t0)
			var retries []time.Duration
			var end time.Duration
			now := t0
			for step := 0; step < 100 && !e.Done(); step++ {
				ps, wake := e.Next(now, nil)
				for _, p := range ps {
					if p.Try > 0 {
						retries = append(retries, now.Sub(t0))
					}
				}
				e.Expired(now, nil)
				if len(e.Finished(nil)) > 0 {
					end = now.Sub(t0)
				}
				now = wake
			}
			if len(retries) != 3 {
				t.Fatalf("%d retransmissions, want one per probe", len(retries))
			}
			if retries[0] != c.want {
				t.Errorf("first retransmission at %v, want %v", retries[0], c.want)
			}
			if end != c.end {
				t.Errorf("host given up at %v, want %v", end, c.end)
			}
			if got := e.Stats().RLDPauses; (got > 0) != c.nmap {
				t.Errorf("%d RLD pauses", got)
			}
		})
	}
}

// sweep runs a ping scan of hosts hosts with probes probes each, where the
// first up hosts answer every probe after 200 µs, and returns how long it
// took and how many probes it sent.
func sweep(t *testing.T, cfg Config, hosts, probes, up int) (time.Duration, int) {
	t.Helper()
	idx := make([]uint16, probes)
	for i := range idx {
		idx[i] = uint16(i)
	}
	e := NewPingScan(cfg, hosts, idx, t0)
	type answer struct {
		at   time.Time
		id   uint64
		host int
	}
	var due []answer
	now, sent := t0, 0
	for step := 0; step < 1_000_000 && !e.Done(); step++ {
		ps, wake := e.Next(now, nil)
		sent += len(ps)
		for _, p := range ps {
			if p.Host < up {
				due = append(due, answer{now.Add(200 * time.Microsecond), p.ID, p.Host})
			}
		}
		if len(due) > 0 && due[0].at.Before(wake) {
			wake = due[0].at
		}
		for len(due) > 0 && !due[0].at.After(wake) {
			if !e.HostComplete(due[0].host) {
				e.Receive(due[0].at, due[0].id, Response{})
				e.FinishHost(due[0].host)
			}
			due = due[1:]
		}
		e.Expired(wake, nil)
		e.Finished(nil)
		if wake.After(now) {
			now = wake
		} else {
			now = now.Add(time.Microsecond)
		}
	}
	if !e.Done() {
		t.Fatal("ping scan did not finish")
	}
	return now.Sub(t0), sent
}

func TestSilentPingScanSetsGroupWindowAside(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		hosts, probes int
		up            int
		nmap          bool
		minRate       float64
		want          time.Duration // at most
		wantAtLeast   time.Duration
	}{
		// 4096 silent hosts: every first try at once, the retransmissions
		// 100 ms later (a quarter of the initial 1 s timeout, capped), the
		// end one timeout after them.
		{"silent /20", 4096, 4, 0, false, 0, 1110 * time.Millisecond, 1100 * time.Millisecond},
		// Nmap's window never opens: --min-rate is all that moves it.
		{"silent /20, Nmap, --min-rate 10000", 4096, 4, 0, true, 10000, 5 * time.Second, 3270 * time.Millisecond},
		// Live hosts answer the first burst and teach a 100 ms timeout (the
		// minimum); the silent rest is retransmitted 25 ms later and given
		// up 100 ms after that.
		{"a /24 with 41 live neighbours", 256, 1, 41, false, 0, 130 * time.Millisecond, 125 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.NmapCongestion, cfg.MinRate = c.nmap, c.minRate
			took, sent := sweep(t, cfg, c.hosts, c.probes, c.up)
			if want := c.up*c.probes + (c.hosts-c.up)*c.probes*2; sent < want-c.up*c.probes || sent > want {
				t.Errorf("%d probes, want about %d (one retransmission per silent probe)", sent, want)
			}
			if took > c.want || took < c.wantAtLeast {
				t.Errorf("took %v, want in [%v, %v]", took, c.wantAtLeast, c.want)
			}
		})
	}
}
