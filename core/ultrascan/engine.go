package ultrascan

import (
	"time"
)

// Probe is one probe the driver must send: try 0 is the first probe of a
// port, try n its n-th retransmission.
type Probe struct {
	ID   uint64
	Host int
	Port uint16
	Try  uint8
}

// probe is an outstanding probe. It stays recorded after it timed out while
// its port may still be retransmitted, so a late reply still counts.
type probe struct {
	Probe
	sent     time.Time
	timedOut bool
	settled  bool // answered, retransmitted or given up: the record is dead
}

type host struct {
	cursor   int      // next fresh index into Engine.ports
	active   int      // probes in flight (not yet answered or timed out)
	fly      []*probe // probes in flight in send order; dead ones are skipped
	retry    []*probe // timed out, waiting for a retransmission
	bench    []*probe // timed out at the allowed try; revived if the allowance grows
	maxTry   int      // highest try that got a reply (Nmap's max_successful_tryno)
	mayGrow  bool     // the try allowance may still grow
	sent     int
	lastSend time.Time
	start    time.Time // first probe; the host timeout runs from here
	delay    time.Duration
	win      window
	rtt      rtt
	done     bool
	timedOut bool
}

// Engine is the adaptive probe scheduler of one host group. It does no I/O
// and reads no clock: every method takes the current time, so a test can
// drive it through hours of simulated scanning in milliseconds.
type Engine struct {
	cfg   Config
	perf  perf
	ports []uint16
	hosts []host
	live  []int // hosts not done, in round-robin order
	rr    int

	out    map[uint64]*probe
	nextID uint64

	group    window
	groupRTT rtt
	active   int // probes in flight, all hosts

	noEarlier time.Time // --max-rate schedule; may lag in the past for catch-up
	noLater   time.Time // --min-rate schedule

	expired  []uint64
	finished []int
}

// New returns an engine that will probe every port of ports on hosts
// hosts, numbered 0..hosts-1. ports is shared by all hosts and not copied.
func New(cfg Config, hosts int, ports []uint16, now time.Time) *Engine {
	e := &Engine{
		cfg: cfg, perf: newPerf(cfg), ports: ports,
		hosts: make([]host, hosts), live: make([]int, 0, hosts),
		out: make(map[uint64]*probe), groupRTT: newRTT(cfg.InitialRTT),
		noEarlier: now, noLater: now,
	}
	e.group = e.perf.initialWindow()
	for i := range e.hosts {
		h := &e.hosts[i]
		h.mayGrow = true
		h.delay = cfg.ScanDelay
		h.win = e.perf.initialWindow()
		h.rtt = newRTT(cfg.InitialRTT)
		if len(ports) == 0 {
			h.done = true
			e.finished = append(e.finished, i)
			continue
		}
		e.live = append(e.live, i)
	}
	return e
}

// allowedTry is the highest try a port of h may be sent at now: one
// retransmission until replies to retransmissions prove loss, then one more
// than the highest try that was answered, up to MaxRetries (§2.6).
func (e *Engine) allowedTry(h *host) int {
	return min(max(1, h.maxTry+1), e.cfg.MaxRetries)
}

// timeout is the probe timeout of h: its own estimate once it has one,
// else the group's, else the initial value.
func (e *Engine) timeout(h *host) time.Duration {
	switch {
	case h.rtt.sampled():
		return us(h.rtt.timeout)
	case e.groupRTT.sampled():
		return us(e.groupRTT.timeout)
	}
	return e.cfg.InitialRTT
}

// timing is the window that admits h's probes: its own while young, then
// the group's, which has seen far more replies (Nmap's getTiming; a host
// with a timing-ping probe would keep its own, once pings exist).
func (e *Engine) timing(h *host) window {
	if h.sent < hostWindowProbes {
		return h.win
	}
	if e.group.expected > 1 {
		return e.group
	}
	return e.perf.initialWindow()
}

// hasWork reports whether h has a probe to send, dropping dead retry
// records on the way.
func (e *Engine) hasWork(h *host) bool {
	for len(h.retry) > 0 && h.retry[0].settled {
		h.retry = h.retry[1:]
	}
	return len(h.retry) > 0 || h.cursor < len(e.ports)
}

// advance processes everything due by now: probe timeouts and host
// timeouts.
func (e *Engine) advance(now time.Time) {
	for _, hi := range e.live {
		h := &e.hosts[hi]
		if h.done {
			continue
		}
		if e.cfg.HostTimeout > 0 && !h.start.IsZero() && !now.Before(h.start.Add(e.cfg.HostTimeout)) {
			e.giveUp(hi, now)
			continue
		}
		to := e.timeout(h)
		for len(h.fly) > 0 {
			p := h.fly[0]
			if p.settled || p.timedOut {
				h.fly = h.fly[1:]
				continue
			}
			if now.Sub(p.sent) < to {
				break
			}
			h.fly = h.fly[1:]
			e.expire(h, p)
		}
		e.checkDone(hi)
	}
	e.compactLive()
}

// expire handles a probe that got no reply in time. Silence is not loss: a
// filtered port never answers, so a timeout does not shrink any window
// (§2.3); it only counts as an event without a reply, which makes the
// replies that do come count more.
func (e *Engine) expire(h *host, p *probe) {
	p.timedOut = true
	h.active--
	e.active--
	h.win.expected++
	e.group.expected++
	e.expired = append(e.expired, p.ID)
	switch allowed := e.allowedTry(h); {
	case int(p.Try) < allowed:
		h.retry = append(h.retry, p)
	case h.mayGrow && allowed < e.cfg.MaxRetries:
		h.bench = append(h.bench, p)
	default:
		e.settle(p)
	}
}

func (e *Engine) settle(p *probe) {
	p.settled = true
	delete(e.out, p.ID)
}

// giveUp ends a host at its host timeout; its probes in flight are
// reported by Expired so the driver can cancel them.
func (e *Engine) giveUp(hi int, now time.Time) {
	h := &e.hosts[hi]
	for _, p := range h.fly {
		if !p.settled && !p.timedOut {
			e.active--
			e.expired = append(e.expired, p.ID)
		}
		e.settle(p)
	}
	for _, list := range [][]*probe{h.retry, h.bench} {
		for _, p := range list {
			e.settle(p)
		}
	}
	h.fly, h.retry, h.bench = nil, nil, nil
	h.active = 0
	h.timedOut = true
	h.done = true
	e.finished = append(e.finished, hi)
}

// checkDone completes h when nothing is left to send or wait for. Benched
// probes only wait for the allowance to grow, which needs a reply to a
// probe in flight; with none in flight they are given up.
func (e *Engine) checkDone(hi int) {
	h := &e.hosts[hi]
	if h.done || h.active > 0 || e.hasWork(h) {
		return
	}
	h.mayGrow = false
	for _, p := range h.bench {
		e.settle(p)
	}
	h.bench = nil
	h.fly = nil
	h.done = true
	e.finished = append(e.finished, hi)
}

func (e *Engine) compactLive() {
	j := 0
	for _, hi := range e.live {
		if !e.hosts[hi].done {
			e.live[j] = hi
			j++
		}
	}
	e.live = e.live[:j]
	if j > 0 {
		e.rr %= j
	} else {
		e.rr = 0
	}
}

// minRateBehind reports whether --min-rate needs a probe now.
func (e *Engine) minRateBehind(now time.Time) bool {
	return e.cfg.MinRate > 0 && !now.Before(e.noLater)
}

// globalOK is the group-level admission (§2.4), in Nmap's order.
func (e *Engine) globalOK(now time.Time, sentNow int) bool {
	if e.cfg.MaxInFlight > 0 && e.active >= e.cfg.MaxInFlight {
		return false
	}
	if e.cfg.MaxRate > 0 && now.Before(e.noEarlier) {
		return false
	}
	if e.minRateBehind(now) {
		return true
	}
	if sentNow >= sendsPerWait {
		return false
	}
	if len(e.live) < 2 {
		return true
	}
	return e.group.cwnd >= float64(e.active)+0.5
}

// hostOK is the host-level admission.
func (e *Engine) hostOK(h *host, now time.Time) bool {
	if h.done || !e.hasWork(h) {
		return false
	}
	if e.minRateBehind(now) {
		return true
	}
	if h.delay > 0 && !h.lastSend.IsZero() && now.Sub(h.lastSend) < h.delay {
		return false
	}
	return e.timing(h).cwnd >= float64(h.active)+0.5
}

// take picks h's next probe: retransmissions before fresh ports.
func (e *Engine) take(hi int, now time.Time) Probe {
	h := &e.hosts[hi]
	var pr Probe
	if len(h.retry) > 0 {
		old := h.retry[0]
		h.retry = h.retry[1:]
		e.settle(old)
		pr = Probe{Host: hi, Port: old.Port, Try: old.Try + 1}
	} else {
		pr = Probe{Host: hi, Port: e.ports[h.cursor]}
		h.cursor++
	}
	e.nextID++
	pr.ID = e.nextID
	p := &probe{Probe: pr, sent: now}
	e.out[pr.ID] = p
	h.fly = append(h.fly, p)
	h.active++
	h.sent++
	e.active++
	h.lastSend = now
	if h.start.IsZero() {
		h.start = now
	}
	if e.cfg.MaxRate > 0 {
		e.noEarlier = e.noEarlier.Add(time.Duration(float64(time.Second) / e.cfg.MaxRate))
	}
	if e.cfg.MinRate > 0 {
		if e.noLater.After(now) {
			e.noLater = now
		}
		e.noLater = e.noLater.Add(time.Duration(float64(time.Second) / e.cfg.MinRate))
	}
	return pr
}

// Next appends to send the probes to send now, records them as sent at now,
// and says when to call again at the latest (replies may come sooner). A
// zero wake time means the engine is done.
func (e *Engine) Next(now time.Time, send []Probe) ([]Probe, time.Time) {
	e.advance(now)
	n := 0
	for len(e.live) > 0 {
		progress := false
		for i := 0; i < len(e.live); i++ {
			if !e.globalOK(now, n) {
				break
			}
			hi := e.live[(e.rr+i)%len(e.live)]
			if !e.hostOK(&e.hosts[hi], now) {
				continue
			}
			send = append(send, e.take(hi, now))
			n++
			progress = true
		}
		e.rr = (e.rr + 1) % max(1, len(e.live))
		if !progress {
			break
		}
	}
	return send, e.wake(now, n)
}

// wake is the earliest time something can change without a reply: a probe
// timing out, a host timing out, or a blocked send becoming allowed.
func (e *Engine) wake(now time.Time, sentNow int) time.Time {
	if len(e.live) == 0 {
		return time.Time{}
	}
	var w time.Time
	at := func(t time.Time) {
		if w.IsZero() || t.Before(w) {
			w = t
		}
	}
	work := false
	for _, hi := range e.live {
		h := &e.hosts[hi]
		for _, p := range h.fly {
			if !p.settled && !p.timedOut {
				at(p.sent.Add(e.timeout(h)))
				break
			}
		}
		if e.cfg.HostTimeout > 0 && !h.start.IsZero() {
			at(h.start.Add(e.cfg.HostTimeout))
		}
		if e.hasWork(h) {
			work = true
			if h.delay > 0 && !h.lastSend.IsZero() {
				at(h.lastSend.Add(h.delay))
			}
		}
	}
	if work {
		if sentNow >= sendsPerWait {
			at(now)
		}
		if e.cfg.MaxRate > 0 {
			at(e.noEarlier)
		}
		if e.cfg.MinRate > 0 {
			at(e.noLater)
		}
	}
	if w.IsZero() {
		// Blocked only by windows with nothing in flight cannot happen;
		// never let a driver sleep forever on a bug.
		w = now.Add(e.cfg.MinRTT)
	}
	if w.Before(now) {
		w = now
	}
	return w
}

// Sent moves probe id's send time to now, for drivers that choose probes
// with Next and put them on the wire later.
func (e *Engine) Sent(now time.Time, id uint64) {
	if p, ok := e.out[id]; ok && !p.timedOut {
		p.sent = now
		e.hosts[p.Host].lastSend = now
	}
}

// Reply reports that probe id was answered at now and that the answer
// decides its port: the port is not probed again. Replies that decide
// nothing (an ignored ICMP code) must not be reported. Reply returns false
// for a probe the engine no longer tracks (answered, retransmitted, given
// up); the driver still records what the reply says about the port.
func (e *Engine) Reply(now time.Time, id uint64) bool {
	p, ok := e.out[id]
	if !ok {
		return false
	}
	h := &e.hosts[p.Host]
	delta := now.Sub(p.sent)
	h.rtt.update(delta, e.cfg.MinRTT, e.cfg.MaxRTT, h.delay)
	e.groupRTT.update(delta, e.cfg.MinRTT, e.cfg.MaxRTT, e.cfg.ScanDelay)

	// Only a reply to a retransmission proves loss (§2.3); react once per
	// burst, to probes sent after the last reaction.
	if p.Try > 0 {
		if p.sent.After(h.win.lastDrop) {
			h.win.dropHost(h.active, e.perf, now)
		}
		if p.sent.After(e.group.lastDrop) {
			e.group.dropGroup(e.active, e.perf, now)
		}
	}
	if !p.timedOut {
		h.active--
		e.active--
		h.win.expected++
		e.group.expected++
	}
	h.win.ack(e.perf)
	e.group.ack(e.perf)
	e.settle(p)

	if int(p.Try) > h.maxTry {
		before := e.allowedTry(h)
		h.maxTry = int(p.Try)
		if allowed := e.allowedTry(h); allowed > before {
			kept := h.bench[:0]
			for _, b := range h.bench {
				switch {
				case b.settled:
				case int(b.Try) < allowed:
					h.retry = append(h.retry, b)
				default:
					kept = append(kept, b)
				}
			}
			h.bench = kept
		}
	}
	e.checkDone(p.Host)
	return true
}

// Expired processes timeouts due by now and appends to dst the IDs of
// probes that timed out since the last call, including the probes in flight
// of hosts that hit the host timeout. A connect driver closes those
// sockets; a raw driver may still match late replies to them.
func (e *Engine) Expired(now time.Time, dst []uint64) []uint64 {
	e.advance(now)
	dst = append(dst, e.expired...)
	e.expired = e.expired[:0]
	return dst
}

// Finished appends the hosts completed since the last call, in completion
// order.
func (e *Engine) Finished(dst []int) []int {
	dst = append(dst, e.finished...)
	e.finished = e.finished[:0]
	return dst
}

// Done reports whether every host is complete.
func (e *Engine) Done() bool {
	e.compactLive()
	return len(e.live) == 0
}

// HostComplete reports whether host h is complete.
func (e *Engine) HostComplete(h int) bool { return e.hosts[h].done }

// HostTimedOut reports whether host h was given up at the host timeout.
func (e *Engine) HostTimedOut(h int) bool { return e.hosts[h].timedOut }

// HostStart is when host h's first probe was sent; zero before that.
func (e *Engine) HostStart(h int) time.Time { return e.hosts[h].start }

// HostTiming returns host h's estimates as Nmap's <times> element shows
// them: srtt and rttvar are -1µs before the first reply.
func (e *Engine) HostTiming(h int) (srtt, rttvar, timeout time.Duration) {
	r := e.hosts[h].rtt
	return us(r.srtt), us(r.rttvar), us(r.timeout)
}

// InFlight is the number of probes in flight over all hosts.
func (e *Engine) InFlight() int { return e.active }
