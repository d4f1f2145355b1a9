package ultrascan

import (
	"testing"
	"time"
)

// TestSeedSetsTimeout: a host seeded with discovery's estimate times its
// probes out after that estimate, not after the initial timeout.
func TestSeedSetsTimeout(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name string
		seed Seed
		want time.Duration // when the first probe expires
	}{
		{"no seed keeps the initial timeout", NoSeed, time.Second},
		{"seed from discovery", Seed{SRTT: 20 * ms, RTTVar: 10 * ms, Timeout: 150 * ms}, 150 * ms},
		{"seed below the floor is clamped", Seed{SRTT: ms, RTTVar: ms, Timeout: 5 * ms}, 100 * ms},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := New(DefaultConfig(), 0, []uint16{1}, t0)
			h := e.AddHost(t0, c.seed)
			ps, _ := e.Next(t0, nil)
			if len(ps) != 1 || ps[0].Host != h {
				t.Fatalf("probes %v, want one for host %d", ps, h)
			}
			if got := e.Expired(t0.Add(c.want-ms), nil); len(got) != 0 {
				t.Errorf("expired %v before %v", got, c.want)
			}
			if got := e.Expired(t0.Add(c.want), nil); len(got) != 1 {
				t.Errorf("expired %v at %v, want the probe", got, c.want)
			}
		})
	}
}

// TestAddHostRefills: hosts admitted while others run are probed and
// finish; the engine is done only when the last admitted host is.
func TestAddHostRefills(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig(), 0, []uint16{1, 2}, t0)
	if !e.Done() {
		t.Fatal("empty engine is not done")
	}
	now := t0
	a := e.AddHost(now, NoSeed)
	ps, _ := e.Next(now, nil)
	for _, p := range ps {
		e.Reply(now, p.ID)
	}
	b := e.AddHost(now, NoSeed)
	if got := e.Finished(nil); len(got) != 1 || got[0] != a {
		t.Fatalf("finished %v, want host %d", got, a)
	}
	if e.Done() {
		t.Fatal("done with host b admitted and unprobed")
	}
	ps, _ = e.Next(now, nil)
	for _, p := range ps {
		if p.Host != b {
			t.Errorf("probe for host %d, want only host %d", p.Host, b)
		}
		e.Reply(now, p.ID)
	}
	if !e.Done() || e.Hosts() != 2 {
		t.Errorf("done %v with %d hosts, want done with 2", e.Done(), e.Hosts())
	}
}
