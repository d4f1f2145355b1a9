package ultrascan

import (
	"container/heap"
	"testing"
	"time"
)

type sentProbe struct {
	Probe
	at time.Time
}

// answerFunc decides whether probe p is answered, after how long, and how.
type answerFunc func(p Probe) (rtt time.Duration, r Response, ok bool)

// drive runs e event by event until it is done or until limit, answering
// probes with answer; seen sees every reply with its verdict before the
// next event.
func drive(t *testing.T, e *Engine, limit time.Duration, answer answerFunc, seen func(now time.Time, p Probe, v Verdict)) []sentProbe {
	t.Helper()
	var sent []sentProbe
	var pending replyHeap
	byID := map[uint64]Probe{}
	resps := map[uint64]Response{}
	now := t0
	for step := 0; step < 1_000_000 && !e.Done() && now.Sub(t0) <= limit; step++ {
		ps, wake := e.Next(now, nil)
		for _, p := range ps {
			sent = append(sent, sentProbe{p, now})
			byID[p.ID] = p
			if d, r, ok := answer(p); ok {
				heap.Push(&pending, simReply{at: now.Add(d), id: p.ID, host: p.Host, port: p.Port})
				resps[p.ID] = r
			}
		}
		e.Expired(now, nil)
		next := wake
		if pending.Len() > 0 && (next.IsZero() || pending[0].at.Before(next)) {
			next = pending[0].at
		}
		if next.IsZero() {
			break
		}
		if next.After(now) {
			now = next
		}
		for pending.Len() > 0 && !pending[0].at.After(now) {
			r := heap.Pop(&pending).(simReply)
			p := byID[r.id]
			v := e.Receive(now, r.id, resps[r.id])
			if seen != nil {
				seen(now, p, v)
			}
		}
	}
	return sent
}

func nmapConfig() Config {
	cfg := DefaultConfig()
	cfg.NmapCongestion = true
	return cfg
}

func TestTimingPings(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := nmapConfig()
	e := New(cfg, 1, portRange(1, 300), t0)
	// Port 1 answers once with a RST, then the host goes silent.
	answered := false
	var pings []sentProbe
	var pingVerdicts []Verdict
	answer := func(p Probe) (time.Duration, Response, bool) {
		switch {
		case p.Port == 1 && !p.Ping && !answered:
			answered = true
			return 10 * ms, Response{PingScore: 6}, true
		case p.Ping && len(pings) == 2:
			return 5 * ms, Response{PingScore: 6}, true // the second ping is answered
		}
		return 0, Response{}, false
	}
	seen := func(now time.Time, p Probe, v Verdict) {
		if p.Ping {
			pingVerdicts = append(pingVerdicts, v)
		}
	}
	sent := drive(t, e, 20*time.Second, func(p Probe) (time.Duration, Response, bool) {
		if p.Ping {
			pings = append(pings, sentProbe{Probe: p})
		}
		return answer(p)
	}, seen)
	if port, score := e.PingPort(0); port != 1 || score != 6 {
		t.Fatalf("ping port %d score %d, want port 1 score 6", port, score)
	}
	var pingTimes []time.Time
	sinceLast := 0
	for _, s := range sent {
		if !s.Ping {
			sinceLast++
			continue
		}
		if s.Port != 1 || s.Try != 0 {
			t.Errorf("ping %+v, want port 1 try 0", s.Probe)
		}
		if sinceLast < pingEvery {
			t.Errorf("ping after %d probes, want at least %d", sinceLast, pingEvery)
		}
		sinceLast = 0
		pingTimes = append(pingTimes, s.at)
	}
	if len(pingTimes) < 3 {
		t.Fatalf("%d pings, want at least 3", len(pingTimes))
	}
	// The first ping goes once the host was silent for 1.25 s after the
	// reply at 10 ms; the second 1.25 s after the first (it was lost).
	if first := pingTimes[0].Sub(t0); first <= 10*ms+pingTime || first > 10*ms+pingTime+100*ms {
		t.Errorf("first ping at %v, want just after %v", first, 10*ms+pingTime)
	}
	if gap := pingTimes[1].Sub(pingTimes[0]); gap <= pingTime {
		t.Errorf("second ping %v after the first, want more than %v", gap, pingTime)
	}
	st := e.Stats()
	if st.Drops < 1 {
		t.Errorf("the lost first ping counted %d drops, want at least 1", st.Drops)
	}
	if len(pingVerdicts) == 0 || !pingVerdicts[0].Ping || pingVerdicts[0].Drop {
		t.Fatalf("ping verdicts %+v, want one answered ping that is not a drop", pingVerdicts)
	}
}

func TestPingReplyGrowsWindowThreeTimes(t *testing.T) {
	t.Parallel()
	cfg := nmapConfig()
	e := New(cfg, 1, portRange(1, 100), t0)
	h := &e.hosts[0]
	ps, _ := e.Next(t0, nil)
	e.Receive(t0.Add(time.Millisecond), ps[0].ID, Response{PingScore: 6})
	// A ping and a scan probe answered at the same point of the window:
	// the ping grows it three times as much.
	e.Expired(t0.Add(time.Second), nil) // the other nine time out
	w := h.win
	scale := min(float64(w.expected+1)/float64(w.received+1), ccScaleMax)
	h.pingArmed = true
	h.lastRecv = t0.Add(-2 * pingTime)
	h.lastPing = h.lastRecv
	now := t0.Add(1100 * time.Millisecond)
	ps, _ = e.Next(now, nil)
	if len(ps) == 0 || !ps[0].Ping || ps[0].Port != 1 {
		t.Fatalf("first probe %+v, want a ping", ps)
	}
	v := e.Receive(now.Add(time.Millisecond), ps[0].ID, Response{})
	if !v.Ping || v.Drop {
		t.Errorf("verdict %+v, want an answered ping, no drop", v)
	}
	got := h.win.cwnd - w.cwnd
	want := min(scale*pingMagnifier, w.ssthresh-w.cwnd)
	if got != want {
		t.Errorf("ping reply grew the window by %v, want %v (3 × scale %v)", got, want, scale)
	}
}

func TestGlobalPing(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	// Host 1 answers everything and completes; host 0 is silent, so the
	// group goes quiet and host 1 serves as the global ping host.
	e := New(nmapConfig(), 2, portRange(1, 40), t0)
	var lastRecv time.Time
	var globalAt []time.Time
	sent := drive(t, e, 30*time.Second, func(p Probe) (time.Duration, Response, bool) {
		if p.Host == 1 {
			return 2 * ms, Response{PingScore: 6}, !p.Ping
		}
		return 0, Response{}, false
	}, func(now time.Time, p Probe, v Verdict) { lastRecv = now })
	for _, s := range sent {
		if s.Ping && s.Host == 1 {
			globalAt = append(globalAt, s.at)
		}
	}
	if e.pingHost != 1 {
		t.Fatalf("global ping host %d, want 1", e.pingHost)
	}
	if len(globalAt) == 0 {
		t.Fatal("no global ping to host 1")
	}
	if quiet := globalAt[0].Sub(lastRecv); quiet <= pingTime {
		t.Errorf("global ping %v after the last reply, want more than %v", quiet, pingTime)
	}
}

func TestScanDelayBoost(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	t.Run("drop ratio doubles the delay up to the cap", func(t *testing.T) {
		t.Parallel()
		cfg := t4()
		cfg.NmapCongestion = true
		e := New(cfg, 1, portRange(1, 400), t0)
		var delays []time.Duration
		dropsAtFirst := 0
		drive(t, e, 10*time.Minute, func(p Probe) (time.Duration, Response, bool) {
			return 5 * ms, Response{}, p.Try > 0 // every first try is lost
		}, func(now time.Time, p Probe, v Verdict) {
			if d := e.HostDelay(0); len(delays) == 0 && d > 0 || len(delays) > 0 && d != delays[len(delays)-1] {
				delays = append(delays, d)
				if len(delays) == 1 {
					dropsAtFirst = e.Stats().Drops
				}
			}
		})
		if len(delays) != 2 || delays[0] != 5*ms || delays[1] != 10*ms {
			t.Errorf("delays %v, want [5ms 10ms] (T4 caps TCP at 10ms)", delays)
		}
		// Drops count only for tries sent after the last boost, which is
		// the start: the ten tries sent at that very instant do not count.
		if want := initialCwnd + boostMinDrops + 1; dropsAtFirst != want {
			t.Errorf("first boost after %d drops, want %d", dropsAtFirst, want)
		}
		if e.Stats().Boosts < 3 {
			t.Errorf("%d boosts, want the cap to hold further boosts", e.Stats().Boosts)
		}
	})
	t.Run("answer at a late try boosts", func(t *testing.T) {
		t.Parallel()
		// Port k answers only its try k-1, so the answered try climbs to 4,
		// above Nmap's limit of 3 at T3.
		for _, tc := range []struct {
			nmap   bool
			boosts int
		}{{true, 1}, {false, 0}} {
			cfg := DefaultConfig()
			cfg.NmapCongestion = tc.nmap
			e := New(cfg, 1, portRange(1, 5), t0)
			drive(t, e, 10*time.Minute, func(p Probe) (time.Duration, Response, bool) {
				return 5 * ms, Response{}, int(p.Try) == int(p.Port)-1
			}, nil)
			if e.hosts[0].maxTry != 4 {
				t.Fatalf("nmap %v: answered try %d, want 4", tc.nmap, e.hosts[0].maxTry)
			}
			if got := e.Stats().Boosts; got != tc.boosts {
				t.Errorf("nmap %v: %d boosts, want %d (the default wants loss that is not random)", tc.nmap, got, tc.boosts)
			}
			if tc.nmap && e.HostDelay(0) != boostStartTCP {
				t.Errorf("delay %v, want %v", e.HostDelay(0), boostStartTCP)
			}
		}
	})
}

func TestRLDPause(t *testing.T) {
	t.Parallel()
	for _, nmap := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.NmapCongestion = nmap
		e := New(cfg, 1, portRange(1, 100), t0)
		sent := drive(t, e, 5*time.Second, func(Probe) (time.Duration, Response, bool) {
			return 0, Response{}, false
		}, nil)
		// Ten probes at 0 s time out at 1 s (the initial timeout); the
		// first retransmission waits a further second, and so does the
		// host: nothing goes out in between.
		var firstRetry time.Time
		for _, s := range sent {
			if s.at.After(t0) && s.at.Before(t0.Add(2*time.Second)) {
				t.Errorf("nmap %v: %+v sent at %v, inside the pause", nmap, s.Probe, s.at.Sub(t0))
			}
			if s.Try == 1 && firstRetry.IsZero() {
				firstRetry = s.at
			}
		}
		if got := firstRetry.Sub(t0); got != 2*time.Second {
			t.Errorf("nmap %v: first retransmission at %v, want 2s", nmap, got)
		}
		if e.Stats().RLDPauses < 1 {
			t.Errorf("nmap %v: no RLD pause counted", nmap)
		}
	}
}

func TestLateReplies(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cfg := DefaultConfig()
	cfg.InitialRTT = 100 * ms
	e := New(cfg, 1, []uint16{1, 2, 3}, t0)
	ps, _ := e.Next(t0, nil)
	if got := e.Expired(t0.Add(100*ms), nil); len(got) != 3 {
		t.Fatalf("%d probes timed out at 100ms, want 3", len(got))
	}
	expected := e.hosts[0].win.expected
	// Port 1 answers late, within 10 × timeout: it still decides the port
	// and counts for timing (a second event for the same probe, as in Nmap).
	v := e.Receive(t0.Add(150*ms), ps[0].ID, Response{})
	if !v.Tracked || !v.Late || v.Drop {
		t.Errorf("late reply verdict %+v, want tracked, late, no drop", v)
	}
	if got := e.hosts[0].win.expected; got != expected+1 {
		t.Errorf("expected events %d, want %d", got, expected+1)
	}
	if srtt, _, _ := e.HostTiming(0); srtt != 150*ms {
		t.Errorf("srtt %v after the late reply, want 150ms", srtt)
	}
	// Port 2 answers after 10 × 100ms: forgotten.
	if v := e.Receive(t0.Add(1001*ms), ps[1].ID, Response{}); v.Tracked {
		e.Expired(t0.Add(1001*ms), nil)
	}
	e.Expired(t0.Add(1001*ms), nil)
	if v := e.Receive(t0.Add(1002*ms), ps[2].ID, Response{}); v.Tracked {
		t.Errorf("reply after the expiry tracked: %+v", v)
	}
	// The answered port is not retransmitted; the others are.
	sent := drive(t, e, time.Minute, func(Probe) (time.Duration, Response, bool) { return 0, Response{}, false }, nil)
	for _, s := range sent {
		if s.Port == 1 {
			t.Errorf("port 1 probed again after its late reply: %+v", s.Probe)
		}
	}
}

func TestDropRules(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	setup := func(nmap bool) (*Engine, []Probe) {
		cfg := DefaultConfig()
		cfg.InitialRTT = 100 * ms
		cfg.NmapCongestion = nmap
		e := New(cfg, 1, portRange(1, 100), t0)
		e.Next(t0, nil)                            // ten first tries, all lost
		e.Next(t0.Add(100*ms), nil)                // time out; the RLD pause starts
		retries, _ := e.Next(t0.Add(1100*ms), nil) // and ends
		return e, retries
	}
	t.Run("nmap: one reaction per burst", func(t *testing.T) {
		t.Parallel()
		e, retries := setup(true)
		if len(retries) < 3 || retries[0].Try != 1 {
			t.Fatalf("retransmissions %+v", retries)
		}
		now := t0.Add(1110 * ms)
		active := e.hosts[0].active
		v := e.Receive(now, retries[0].ID, Response{})
		if !v.Drop || !v.Congestion || !v.Reacted {
			t.Errorf("first reply to a retransmission: %+v, want a drop that reacts", v)
		}
		cwnd, ssthresh := e.HostWindow(0)
		// The drop sets cwnd to 1 and ssthresh to in-flight/1.5 (here at
		// least 2), then the reply itself grows the window in slow start.
		wantSS := float64(int(max(float64(active)/1.5, 2)))
		if ssthresh != wantSS || cwnd <= 1 || cwnd > 1+ccScaleMax {
			t.Errorf("after the drop cwnd %v ssthresh %v, want 1 plus one scaled reply, ssthresh %v", cwnd, ssthresh, wantSS)
		}
		// Same burst: sent before the reaction, so no second cut.
		v = e.Receive(now.Add(ms), retries[1].ID, Response{})
		if !v.Drop || v.Reacted {
			t.Errorf("second reply of the burst: %+v, want a drop without reaction", v)
		}
		// A rate-limited reply (ICMP filtered) to a retransmission is
		// never a drop and does not raise the allowed try.
		maxTry := e.hosts[0].maxTry
		v = e.Receive(now.Add(2*ms), retries[2].ID, Response{Kind: RateLimited, PingScore: 2})
		if v.Drop || v.Timing {
			t.Errorf("rate-limited reply: %+v, want no timing and no drop", v)
		}
		if e.hosts[0].maxTry != maxTry {
			t.Errorf("rate-limited reply raised the answered try")
		}
		if _, score := e.PingPort(0); score != 0 {
			t.Errorf("rate-limited reply became the ping probe (score %d)", score)
		}
	})
	t.Run("default: random loss keeps the window", func(t *testing.T) {
		t.Parallel()
		e, retries := setup(false)
		before, _ := e.HostWindow(0)
		v := e.Receive(t0.Add(1110*ms), retries[0].ID, Response{})
		if !v.Drop || v.Congestion || v.Reacted {
			t.Errorf("verdict %+v, want a drop read as random loss", v)
		}
		if after, _ := e.HostWindow(0); after < before {
			t.Errorf("window %v -> %v, want it kept", before, after)
		}
	})
	t.Run("reply to a first try is no drop", func(t *testing.T) {
		t.Parallel()
		e := New(nmapConfig(), 1, portRange(1, 10), t0)
		ps, _ := e.Next(t0, nil)
		if v := e.Receive(t0.Add(ms), ps[0].ID, Response{}); v.Drop || !v.Timing || v.Late {
			t.Errorf("verdict %+v, want a plain timing reply", v)
		}
	})
}
