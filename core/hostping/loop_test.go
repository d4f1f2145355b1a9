package hostping

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/ultrascan"
)

// testRunner is a runner without sockets over addrs: hosts[i].via is vias[i].
func testRunner(cfg Config, addrs []netip.Addr, vias []method) *runner {
	r := &runner{cfg: cfg, addrs: addrs, index: map[netip.Addr]int{},
		hosts: make([]host, len(addrs)), res: make([]Result, len(addrs))}
	for i, a := range addrs {
		r.index[a] = i
		r.hosts[i].via = vias[i]
		r.res[i].Probed = vias[i] != viaNone
	}
	return r
}

func TestEnginesSplitHostsAndRates(t *testing.T) {
	t.Parallel()
	cfg := Config{Probes: list, Timing: ultrascan.DefaultConfig()}
	cfg.Timing.MaxRate, cfg.Timing.MinRate = 1100, 550
	addrs := []netip.Addr{
		netip.MustParseAddr("198.18.3.10"), netip.MustParseAddr("198.18.3.11"),
		netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("198.18.9.1"), netip.MustParseAddr("198.18.9.2"),
	}
	r := testRunner(cfg, addrs, []method{viaARP, viaNone, viaIP, viaIP, viaIP})
	start := time.Now()
	r.engines(start)
	// Engines in order: link, IPv4, IPv6. IPv4 hosts get all six probes,
	// IPv6 ones those with an IPv6 form (echo, SYN, ACK, UDP).
	want := []struct {
		hosts  []int
		probes []uint16
	}{{[]int{0}, []uint16{0}}, {[]int{3, 4}, []uint16{0, 1, 2, 3, 4, 5}}, {[]int{2}, []uint16{0, 1, 2, 4}}}
	if len(r.engs) != len(want) {
		t.Fatalf("%d engines, want %d", len(r.engs), len(want))
	}
	for k, w := range want {
		en := r.engs[k]
		if !slices.Equal(en.hosts, w.hosts) || !slices.Equal(en.probes, w.probes) {
			t.Errorf("engine %d: hosts %v probes %v, want %v %v", k, en.hosts, en.probes, w.hosts, w.probes)
		}
		for j, i := range en.hosts {
			if int(r.hosts[i].eng) != k || int(r.hosts[i].at) != j {
				t.Errorf("host %d placed at engine %d/%d, want %d/%d", i, r.hosts[i].eng, r.hosts[i].at, k, j)
			}
		}
	}
	// 1 + 12 + 4 = 17 probes share --max-rate 1100 and --min-rate 550; the
	// probes the engine chose show its rate: a --max-rate engine sends one
	// probe per 1/rate at most.
	for k, n := range []int{1, 12, 4} {
		e := r.engs[k].e
		now := start
		ps, wake := e.Next(now, nil)
		if len(ps) == 0 {
			t.Fatalf("engine %d sent nothing", k)
		}
		gap := time.Duration(float64(time.Second) / (1100 * float64(n) / 17))
		if len(ps) == 1 && wake.Sub(now) != gap {
			t.Errorf("engine %d: next send after %v, want %v for its share of --max-rate", k, wake.Sub(now), gap)
		}
	}
}

func TestARPTimeoutStartsAt200ms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                  string
		minRTT, initial, want time.Duration
	}{
		{"default", 100 * time.Millisecond, time.Second, 200 * time.Millisecond},
		{"initial below 200 ms", 50 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond},
		{"min above 200 ms", 300 * time.Millisecond, time.Second, 300 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Probes: list, Timing: ultrascan.DefaultConfig()}
			cfg.Timing.MinRTT, cfg.Timing.InitialRTT = c.minRTT, c.initial
			r := testRunner(cfg, []netip.Addr{target}, []method{viaARP})
			r.engines(time.Now())
			if _, _, to := r.engs[0].e.HostTiming(0); to != c.want {
				t.Errorf("first ARP timeout %v, want %v", to, c.want)
			}
		})
	}
}

func TestReplyFinishesHostAndTimesItsTry(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, c := range []struct {
		name       string
		rep        reply
		lo, hi     time.Duration // the host's SRTT: from the try answered
		up         bool
		wantReason string
	}{
		{"echo reply names try 0", reply{Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 0}, 2000 * ms, 2100 * ms, true, "echo-reply"},
		{"echo reply names try 1", reply{Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 1}, 1850 * ms, 1950 * ms, true, "echo-reply"},
		{"a reset names no probe: the latest try", reply{Up: true, Reason: "reset", TTL: 63, Probe: -1, Try: -1}, 1850 * ms, 1950 * ms, true, "reset"},
		{"a host unreachable only hints", reply{Reason: "host-unreach", TTL: 60, Probe: 0, Try: 1}, 0, 0, false, "host-unreach"},
		{"an ARP reply for an IP host is not ours", reply{Up: true, Reason: "arp-response", Probe: -1, Try: -1}, 0, 0, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Probes: list[:3], Timing: ultrascan.DefaultConfig()}
			cfg.Timing.InitialRTT = 100 * ms
			r := testRunner(cfg, []netip.Addr{target}, []method{viaIP})
			base := time.Now().Add(-2 * time.Second)
			r.engines(base)
			en := r.engs[0]
			// Try 0 of the three probes at base, try 1 150 ms later.
			for _, at := range []time.Time{base, base.Add(150 * ms)} {
				en.e.Expired(at, nil)
				ps, _ := en.e.Next(at, nil)
				if len(ps) != 3 {
					t.Fatalf("%d probes at %v, want 3", len(ps), at.Sub(base))
				}
				for _, p := range ps {
					en.record(p)
				}
			}
			c.rep.Addr = target
			r.handle(c.rep)
			res := r.res[0]
			if res.Up != c.up || res.Reason != c.wantReason {
				t.Fatalf("result up=%v reason %q, want up=%v %q", res.Up, res.Reason, c.up, c.wantReason)
			}
			fin := en.e.Finished(nil)
			if !c.up {
				if len(fin) != 0 || en.e.InFlight() != 3 {
					t.Errorf("no positive reply, yet finished %v with %d in flight", fin, en.e.InFlight())
				}
				return
			}
			if !slices.Equal(fin, []int{0}) || en.e.InFlight() != 0 {
				t.Errorf("finished %v with %d in flight, want host 0 done and its probes dropped", fin, en.e.InFlight())
			}
			if res.SRTT < c.lo || res.SRTT >= c.hi {
				t.Errorf("SRTT %v, want in [%v, %v)", res.SRTT, c.lo, c.hi)
			}
			if want := min(max(res.SRTT+4*res.RTTVar, 100*ms), 10*time.Second); res.Timeout != want.Truncate(time.Microsecond) {
				t.Errorf("timeout %v, want srtt + 4 rttvar = %v", res.Timeout, want)
			}
			// A second reply changes nothing.
			r.handle(reply{Addr: target, Up: true, Reason: "syn-ack", Probe: -1, Try: -1})
			if r.res[0].Reason != c.wantReason || len(en.e.Finished(nil)) != 0 {
				t.Error("a reply after the host finished changed it")
			}
		})
	}
}

func TestLateReplyAfterTheHostWasGivenUp(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := Config{Probes: list[:1], Timing: ultrascan.DefaultConfig()}
	cfg.Timing.InitialRTT, cfg.Timing.MaxRetries = 100*ms, 0
	r := testRunner(cfg, []netip.Addr{target}, []method{viaIP})
	base := time.Now().Add(-time.Second)
	r.engines(base)
	en := r.engs[0]
	ps, _ := en.e.Next(base, nil)
	for _, p := range ps {
		en.record(p)
	}
	en.e.Expired(base.Add(200*ms), nil)
	if fin := en.e.Finished(nil); !slices.Equal(fin, []int{0}) {
		t.Fatalf("finished %v, want the silent host given up", fin)
	}
	r.handle(reply{Addr: target, Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 0})
	if res := r.res[0]; !res.Up || res.Reason != "echo-reply" || res.SRTT < time.Second {
		t.Errorf("late reply: %+v, want up by echo-reply timed from its probe", res)
	}
}

// TestNeedsIP: the ping plugins are started only for a batch with a host
// that ARP or ND cannot serve.
func TestNeedsIP(t *testing.T) {
	ls := []link{{Index: 2, Prefix: netip.MustParsePrefix("198.18.1.0/24"), Local: netip.MustParseAddr("198.18.1.1")},
		{Index: 3, Prefix: netip.MustParsePrefix("2001:db8:1::/64"), Local: netip.MustParseAddr("2001:db8:1::1")}}
	on4, on6 := netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("2001:db8:1::2")
	off := netip.MustParseAddr("198.18.4.2")
	for _, c := range []struct {
		name  string
		addrs []netip.Addr
		noARP bool
		want  bool
	}{
		{"all on local links", []netip.Addr{on4, on6}, false, false},
		{"one routed", []netip.Addr{on4, off}, false, true},
		{"our own address is not a neighbour", []netip.Addr{netip.MustParseAddr("198.18.1.1")}, false, true},
		{"--disable-arp-ping", []netip.Addr{on4}, true, true},
		{"nothing to probe", nil, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := needsIP(ls, c.addrs, c.noARP); got != c.want {
				t.Errorf("needsIP = %v, want %v", got, c.want)
			}
		})
	}
}

// TestSpareCarriesEnginesToTheNextRun: with Config.Spare the next run (a
// scan's next discovery batch) schedules on the last run's engines, each
// kind on its own, and reads its replies as a fresh run does.
func TestSpareCarriesEnginesToTheNextRun(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := Config{Probes: list[:3], Timing: ultrascan.DefaultConfig(), Spare: new(Spare)}
	cfg.Timing.InitialRTT = 100 * ms
	addrs := []netip.Addr{netip.MustParseAddr("198.18.3.10"), target, netip.MustParseAddr("2001:db8::10")}
	vias := []method{viaARP, viaIP, viaIP}
	var last []*engine
	for run := range 3 {
		r := testRunner(cfg, addrs, vias)
		base := time.Now().Add(-time.Second)
		r.engines(base)
		if run > 0 && !slices.Equal(r.engs, last) {
			t.Fatalf("run %d: engines %p, want the last run's %p", run, r.engs, last)
		}
		en := r.engs[r.hosts[1].eng]
		ps, _ := en.e.Next(base, nil)
		for _, p := range ps {
			en.record(p)
		}
		r.handle(reply{Addr: target, Up: true, Reason: "echo-reply", TTL: 64, Probe: 0, Try: 0})
		if res := r.res[1]; !res.Up || res.Reason != "echo-reply" || res.SRTT < time.Second {
			t.Errorf("run %d: %+v, want up by echo-reply timed from its probe", run, res)
		}
		if fin := en.e.Finished(nil); !slices.Equal(fin, []int{int(r.hosts[1].at)}) {
			t.Errorf("run %d: finished %v, want the answering host", run, fin)
		}
		last = slices.Clone(r.engs)
		r.release()
	}
	// Without a Spare every run starts afresh.
	cfg.Spare = nil
	r := testRunner(cfg, addrs, vias)
	r.engines(time.Now())
	r.release()
	r2 := testRunner(cfg, addrs, vias)
	r2.engines(time.Now())
	if r2.engs[0] == r.engs[0] {
		t.Error("engines reused without a Spare")
	}
}
