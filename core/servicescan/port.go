package servicescan

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// portResult is what the service phase learnt about one port.
type portResult struct {
	state    finish
	service  sdk.Service // for hardMatched, softMatched, tcpwrapped
	ssl      bool        // the port was probed inside TLS
	answered bool        // some probe got bytes back (UDP: the port is open)
	fp       []fpEntry   // responses in Nmap's order, for the fingerprint
	err      error       // the matcher failed
}

type finish uint8

const (
	finNoMatch finish = iota
	finHard
	finSoft
	finTCPWrapped
	finIncomplete // the host's time ran out or the scan stopped
)

type fpEntry struct {
	probe string
	resp  []byte
}

// future is one probe running (or finished) on its own connection.
type future struct {
	done     chan struct{}
	r        probeRun     // valid once done is closed
	progress atomic.Int64 // bytes read so far, readable while running
}

// scanPort runs the phase for one port: plain first, then inside TLS if
// the plain answer is "ssl".
func (s *Scanner) scanPort(ctx context.Context, t target) portResult {
	res := s.phase(ctx, t)
	if res.state == finHard && res.service.Name == "ssl" && res.service.Tunnel == "" && t.proto == sdk.ProtoTCP {
		t.ssl = true
		inner := s.phase(ctx, t)
		inner.ssl = true
		inner.answered = inner.answered || res.answered
		if inner.state == finIncomplete && ctx.Err() == nil {
			inner.state = finNoMatch
		}
		return inner
	}
	return res
}

// phase walks Nmap's probe order for t, running up to Speculate probes
// ahead of the one being decided.
func (s *Scanner) phase(parent context.Context, t target) portResult {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var res portResult
	events := make(chan struct{}, 64)
	notify := func() {
		select {
		case events <- struct{}{}:
		default:
		}
	}
	start := func(p *probe, cut <-chan struct{}) *future {
		f := &future{done: make(chan struct{})}
		go func() {
			f.r = s.runProbe(ctx, t, p, cut, &f.progress)
			close(f.done)
			notify()
		}()
		return f
	}
	isDone := func(f *future) bool {
		select {
		case <-f.done:
			return true
		default:
			return false
		}
	}

	began := time.Now()
	var nullF *future
	nullCut := make(chan struct{})
	cutOnce := false
	if t.proto == sdk.ProtoTCP && s.cat.null != nil {
		nullF = start(s.cat.null, nullCut)
	}
	soft := ""
	order := s.cat.order(t.proto, t.port, t.ssl, s.cfg.Intensity, "")
	pos := 0 // order[:pos] is decided
	futures := map[*probe]*future{}

	// decided says the probes after NULL already give the answer without
	// it: walking Nmap's order over finished probes (narrowing after a
	// softmatch as the real walk would) reaches a hard match or the end.
	decided := func() bool {
		rest, walked, softSeen := order[pos:], map[*probe]bool{}, soft
		for i := 0; i < len(rest); i++ {
			p := rest[i]
			walked[p] = true
			f := futures[p]
			if f == nil || !isDone(f) || f.r.err != nil {
				return false
			}
			if f.r.res.Hard {
				return true
			}
			if f.r.res.Soft && softSeen == "" {
				softSeen = f.r.res.Service.Name
				var narrowed []*probe
				for _, q := range s.cat.order(t.proto, t.port, t.ssl, s.cfg.Intensity, softSeen) {
					if !walked[q] && !slices.Contains(order[:pos], q) {
						narrowed = append(narrowed, q)
					}
				}
				rest, i = narrowed, -1
			}
		}
		return true
	}
	record := func(r probeRun) {
		if len(r.resp) > 0 {
			res.answered = true
			res.fp = append(res.fp, fpEntry{r.probe.Name, r.resp})
		}
	}
	// take applies one finished probe in order; true ends the phase.
	take := func(r probeRun) bool {
		s.cfg.Log.Trace("service probe", "target", t.hostPort(), "ssl", t.ssl, "probe", r.probe.Name,
			"outcome", r.out, "bytes", len(r.resp), "hard", r.res.Hard, "soft", r.res.Soft, "service", r.res.Service.Name)
		record(r)
		switch {
		case r.err != nil:
			res.state, res.err = finIncomplete, r.err
			return true
		case r.out == outCancelled:
			res.state = finIncomplete
			return true
		case r.res.Hard:
			res.state, res.service = finHard, r.res.Service
			return true
		case r.res.Soft && soft == "":
			soft = r.res.Service.Name
			res.service = r.res.Service
			// The remaining order narrows to probes that can name the
			// softmatched service; it is a subsequence of the old one.
			next := s.cat.order(t.proto, t.port, t.ssl, s.cfg.Intensity, soft)
			kept := order[:pos:pos]
			decidedSet := map[*probe]bool{}
			for _, p := range order[:pos] {
				decidedSet[p] = true
			}
			for _, p := range next {
				if !decidedSet[p] {
					kept = append(kept, p)
				}
			}
			order = kept
		}
		return false
	}

	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	nullDone := nullF == nil
	for {
		if !nullDone && isDone(nullF) {
			nullDone = true
			r := nullF.r
			// tcpwrapped: the peer closed without a byte soon after the
			// connection opened; Nmap also concludes it when the very
			// first connection fails, because its flag is still set.
			if !t.ssl && len(r.resp) == 0 && ((r.out == outClosed && r.elapsed < s.cat.null.TCPWrapped) || r.out == outConnectFailed) {
				res.state = finTCPWrapped
				res.service = sdk.Service{Name: "tcpwrapped", Method: "probed", Conf: 8}
				return res
			}
			if take(r) {
				return res
			}
		}
		if nullDone {
			for pos < len(order) {
				f := futures[order[pos]]
				if f == nil || !isDone(f) {
					break
				}
				pos++
				if take(f.r) {
					return res
				}
			}
			if pos >= len(order) {
				if soft != "" {
					res.state = finSoft
				}
				return res
			}
		}
		elapsed := time.Since(began)
		speculate := nullDone || elapsed >= s.cfg.SpecDelay
		ahead := s.cfg.Speculate
		if nullDone {
			ahead++ // the probe being decided is not speculation
		}
		if speculate {
			running := 0
			for _, p := range order[pos:] {
				if running >= ahead {
					break
				}
				if futures[p] == nil {
					futures[p] = start(p, nil)
				}
				if !isDone(futures[p]) {
					running++
				}
			}
		}
		if !nullDone && !cutOnce && s.cfg.NullGrace > 0 && elapsed >= s.cfg.NullGrace && silentSoFar(nullF) && decided() {
			cutOnce = true
			close(nullCut)
		}
		wait := time.Duration(0)
		switch {
		case !speculate:
			wait = s.cfg.SpecDelay - elapsed
		case !nullDone && !cutOnce && s.cfg.NullGrace > 0 && elapsed < s.cfg.NullGrace:
			wait = s.cfg.NullGrace - elapsed
		}
		var tick <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tick = timer.C
		}
		select {
		case <-events:
		case <-tick:
		case <-parent.Done():
			res.state = finIncomplete
			return res
		}
	}
}

// silentSoFar says the NULL probe has not read a byte yet.
func silentSoFar(f *future) bool { return f.progress.Load() == 0 }
