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
	// Ping marks a timing ping (§2.7): a probe to the host's best answering
	// port, sent because the host has been silent. The driver sends it as
	// it sends a scan probe to Port and reports the reply with its ID; the
	// reply only feeds timing (it is the same port, so recording what it
	// says changes nothing).
	Ping bool
}

// probe is a probe the engine still knows. It stays matchable (in
// Engine.out, or a ping scan's slabs: lookup) after it timed out, until
// its expiry, so a late reply still decides its port and counts for
// timing.
type probe struct {
	Probe
	sent, prevSent time.Time // prevSent: when the previous try of the port went out
	timedOut       bool      // no longer in flight
	dead           bool      // no longer scheduled: answered, retransmitted, decided or given up
	decided        bool      // another try of the port was answered
	gone           bool      // a ping scan's record no longer matchable (lookup)
	paced          uint8     // tries of the port sent while its host was paced (limiter.go)
	next           *probe    // the retransmission of this try
}

type host struct {
	cursor int      // next fresh index into Engine.ports
	active int      // probes in flight (pings included)
	fly    []*probe // probes in flight in send order; dead and timed-out ones are skipped
	retry  []*probe // timed out, waiting for a retransmission
	stack  []*probe // revived from the bench, retransmitted after retry
	bench  []*probe // timed out at the allowed try; revived if the allowance grows
	maxTry int      // highest try that got a timing reply (max_successful_tryno)
	sent   int      // scan probes sent, pings excluded (numprobes_sent)
	start  time.Time
	// lastSend, lastRecv: the last probe sent and reply received.
	lastSend, lastRecv time.Time
	win                window
	rtt                rtt
	// path and lim (the host's path and its pacing) are behind a pointer:
	// a ping scan's silent hosts share one zero record that nothing
	// writes (hostMore).
	*hostMore

	// Scan-delay boosting (§2.5).
	delay         time.Duration
	lastBoost     time.Time
	good, dropped int
	// By default: the delay before the last boost and the rate of answers
	// before it.
	delayBefore   time.Duration
	boostGoodRate float64
	// Rate-limit detection: the highest try a retransmission was sent at
	// (or paused for), and the pause.
	rldTry   int
	rldUntil time.Time

	// Timing pings (§2.7): the best positive-response port seen so far.
	pingScore    int
	lastPing     time.Time
	lastPingSent int // h.sent at the last ping
	pingAt       time.Time
	pingPort     uint16

	// Scheduler bookkeeping: the valid timer of each heap (see timer) and
	// whether the host is in the send ring.
	toAt    time.Time
	readyAt time.Time // when a waiting host may send
	readyQ  time.Time // the time of its valid ready timer

	// The flags, together so that they share one word (the record is
	// held for every host of a group, thousands in a discovery batch).
	// mayGrow: the try allowance may still grow. randomLoss: by default,
	// a boost proved the loss random. rldWaiting: in the RLD pause.
	// pingArmed: silent long enough; the ping goes with the next send.
	// toOwn: in the own-timeout heap rather than the common one.
	mayGrow, randomLoss, rldWaiting, pingArmed bool
	toOwn, inRing                              bool
	done, timedOut                             bool
}

// hostMore is the part of a host's record that a ping scan's silent hosts
// never write: what the replies taught about the path to the host, and
// the pacing of a rate-limited responder (which only replies start).
// Those hosts, thousands per discovery batch, share the engine's zero
// record (Engine.quiet); a host gets its own before its first write
// (Engine.own). A port scan gives every host its own from the start.
type hostMore struct {
	path path
	// lim paces a responder that answers at a limited rate (limiter.go).
	lim limiter
}

// Engine is the adaptive probe scheduler of one host group. It does no I/O
// and reads no clock: every method takes the current time, so a test can
// drive it through hours of simulated scanning in milliseconds.
type Engine struct {
	cfg   Config
	perf  perf
	ports []uint16
	hosts []host
	live  int

	// ring holds the hosts that may be able to send; a host leaves it when
	// it cannot (window full, nothing to send, waiting for a time) and
	// comes back on an event that may change that.
	ring, spare []int32
	// Timers: probe timeouts of hosts on the common timeout (keyed by the
	// oldest probe's send time: they share one timeout), probe timeouts of
	// hosts with their own estimate (keyed by deadline), scan-delay and
	// RLD waits, timing pings, host timeouts (first-send order is deadline
	// order) and the expiry of timed-out probes.
	toCommon, toOwn, ready, pings, linger timerHeap
	hostTO                                []int32

	out    map[uint64]*probe
	nextID uint64

	group    window
	groupRTT rtt
	gpath    path
	active   int // probes in flight, all hosts
	sentAll  int // probes sent, pings included
	lastRecv time.Time

	// The global ping (§2.7): a completed host with a ping port.
	pingHost         int
	lastGPing        time.Time
	lastGPingSentAll int

	noEarlier time.Time // --max-rate schedule; may lag in the past for catch-up
	noLater   time.Time // --min-rate schedule

	expired  []uint64
	finished []int
	stats    Stats

	pingScan bool // host discovery (ping.go)
	// A ping scan's probe records and its hosts' queues come from slabs
	// that a recycled engine reuses (ping.go).
	slabs     [][]probe
	slab      []probe
	slabAt    int
	queueSlab []*probe
	// quiet is the hostMore a ping scan's hosts share until they need
	// their own (own); it stays zero.
	quiet hostMore
}

// Stats counts what the engine did, for tests and reports.
type Stats struct {
	Probes, Pings, Retransmits int
	// Drops are replies that proved a loss (and lost pings); Congestion
	// those read as congestion; Reactions those that cut a window.
	Drops, Congestion, Reactions int
	Boosts, RLDPauses            int
	LateReplies                  int
	// Limited counts hosts paced as rate-limited responders, PacingSpent
	// those whose pacing budget ran out.
	Limited, PacingSpent int
	// By default, why drops read as congestion: a queueing path (the
	// host's or the group's RTT floor rose) or loss too frequent to be
	// random.
	QueueCongestion, LossCongestion int
}

// New returns an engine that will probe every port of ports on hosts
// hosts, numbered 0..hosts-1. ports is shared by all hosts and not copied.
func New(cfg Config, hosts int, ports []uint16, now time.Time) *Engine {
	e := &Engine{}
	e.init(cfg, hosts, ports, now)
	return e
}

// init starts e as New describes. Storage e already holds (a ping scan's
// recycled engine, ping.go) is emptied and reused rather than allocated.
func (e *Engine) init(cfg Config, hosts int, ports []uint16, now time.Time) {
	e.cfg, e.perf, e.ports = cfg, newPerf(cfg), ports
	if cap(e.hosts) >= hosts {
		e.hosts = e.hosts[:hosts]
		clear(e.hosts)
	} else {
		e.hosts = make([]host, hosts)
	}
	if e.out == nil && !e.pingScan {
		e.out = make(map[uint64]*probe)
	}
	e.groupRTT = newRTT(cfg.InitialRTT)
	e.noEarlier, e.noLater, e.lastRecv, e.lastGPing = now, now, now, now
	e.pingHost = -1
	e.group = e.perf.initialWindow(now)
	if cap(e.ring) < hosts {
		e.ring = make([]int32, 0, hosts)
	}
	var more []hostMore
	if !e.pingScan {
		more = make([]hostMore, hosts)
	}
	for i := range e.hosts {
		h := &e.hosts[i]
		h.hostMore = &e.quiet
		if more != nil {
			h.hostMore = &more[i]
		}
		h.mayGrow = true
		h.delay = cfg.ScanDelay
		h.win = e.perf.initialWindow(now)
		h.rtt = newRTT(cfg.InitialRTT)
		h.lastRecv, h.lastPing, h.lastBoost = now, now, now
		if len(ports) == 0 {
			h.done = true
			e.finished = append(e.finished, i)
			continue
		}
		e.live++
		h.inRing = true
		e.ring = append(e.ring, int32(i))
	}
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
	if h.rtt.sampled() {
		return us(h.rtt.timeout)
	}
	return e.commonTimeout()
}

// commonTimeout is the timeout of every host without its own estimate.
func (e *Engine) commonTimeout() time.Duration {
	if e.groupRTT.sampled() {
		return us(e.groupRTT.timeout)
	}
	return e.cfg.InitialRTT
}

// expireAfter is how long a probe stays matchable after it was sent.
func (e *Engine) expireAfter(h *host) time.Duration {
	return probeExpireFactor * min(probeExpireCap, e.timeout(h))
}

// timing is the window that admits h's probes: its own while young or
// while it has a ping port, then the group's, which has seen far more
// replies (Nmap's getTiming).
func (e *Engine) timing(h *host) window {
	if h.pingScore > 0 || h.sent < hostWindowProbes {
		return h.win
	}
	if e.group.expected > 1 {
		return e.group
	}
	return e.perf.initialWindow(time.Time{})
}

func (e *Engine) nmap() bool { return e.cfg.NmapCongestion }

// trim drops dead records from the heads of h's retransmission queues.
func trim(list []*probe) []*probe {
	for len(list) > 0 && list[0].dead {
		list[0] = nil
		list = list[1:]
	}
	return list
}

// hasWork reports whether h has a probe to send.
func (e *Engine) hasWork(h *host) bool {
	h.retry = trim(h.retry)
	h.stack = trim(h.stack)
	return len(h.retry) > 0 || len(h.stack) > 0 || h.cursor < len(e.ports)
}

// touch puts h back in the send ring after an event that may let it send.
func (e *Engine) touch(hi int) {
	h := &e.hosts[hi]
	if h.done || h.inRing {
		return
	}
	h.inRing = true
	e.ring = append(e.ring, int32(hi))
}

// armTimeout makes sure h has a valid timeout timer for its oldest probe
// in flight.
func (e *Engine) armTimeout(hi int) {
	h := &e.hosts[hi]
	for len(h.fly) > 0 && (h.fly[0].dead || h.fly[0].timedOut) {
		h.fly[0] = nil
		h.fly = h.fly[1:]
	}
	if len(h.fly) == 0 {
		h.toAt = time.Time{}
		return
	}
	head := h.fly[0].sent
	if h.rtt.sampled() {
		at := head.Add(us(h.rtt.timeout))
		if h.toOwn && !h.toAt.IsZero() && !at.Before(h.toAt) {
			return // the queued timer is early or exact: it will re-arm
		}
		h.toOwn, h.toAt = true, at
		e.toOwn.push(timer{at: at, h: int32(hi)})
		return
	}
	if !h.toOwn && !h.toAt.IsZero() && !head.Before(h.toAt) {
		return
	}
	h.toOwn, h.toAt = false, head
	e.toCommon.push(timer{at: head, h: int32(hi)})
}

// advance processes everything due by now: host timeouts, probe timeouts,
// expiry of lingering probes, and waits that end.
func (e *Engine) advance(now time.Time) {
	if e.cfg.HostTimeout > 0 {
		for len(e.hostTO) > 0 {
			h := &e.hosts[e.hostTO[0]]
			if !h.done && now.Before(h.start.Add(e.cfg.HostTimeout)) {
				break
			}
			hi := int(e.hostTO[0])
			e.hostTO = e.hostTO[1:]
			if !h.done {
				e.giveUp(hi)
			}
		}
	}
	common := e.retryAfter(e.commonTimeout())
	for {
		t, ok := e.toCommon.top()
		if !ok || t.at.Add(common).After(now) {
			break
		}
		e.toCommon.popDue(t.at)
		if h := &e.hosts[t.h]; !h.toOwn && t.at.Equal(h.toAt) {
			h.toAt = time.Time{}
			e.expireDue(int(t.h), now)
		}
	}
	for {
		t, ok := e.toOwn.popDue(now)
		if !ok {
			break
		}
		if h := &e.hosts[t.h]; h.toOwn && t.at.Equal(h.toAt) {
			h.toAt = time.Time{}
			e.expireDue(int(t.h), now)
		}
	}
	for {
		t, ok := e.linger.popDue(now)
		if !ok {
			break
		}
		e.forget(t.p)
	}
	for {
		t, ok := e.ready.popDue(now)
		if !ok {
			break
		}
		if h := &e.hosts[t.h]; t.at.Equal(h.readyQ) {
			h.readyQ = time.Time{}
			e.touch(int(t.h))
		}
	}
	for {
		t, ok := e.pings.popDue(now)
		if !ok {
			break
		}
		h := &e.hosts[t.h]
		if !t.at.Equal(h.pingAt) || h.done {
			continue
		}
		h.pingAt = time.Time{}
		if due := e.pingDue(h); due.After(now) {
			e.schedulePing(int(t.h), due)
			continue
		}
		h.pingArmed = true
		e.touch(int(t.h))
	}
}

// expireDue times out h's probes whose timeout has passed, then re-arms
// its timer.
func (e *Engine) expireDue(hi int, now time.Time) {
	h := &e.hosts[hi]
	to := e.retryAfter(e.timeout(h))
	for len(h.fly) > 0 {
		p := h.fly[0]
		if !p.dead && !p.timedOut {
			if now.Sub(p.sent) < to {
				break
			}
			e.expire(hi, p, now)
		}
		h.fly[0] = nil
		h.fly = h.fly[1:]
	}
	e.armTimeout(hi)
	e.checkDone(hi, now)
}

// expire handles a probe that got no reply in time (markProbeTimedout).
// Silence is not loss: a filtered port never answers, so a scan probe's
// timeout shrinks no window (§2.3); it only counts as an event without a
// reply, which makes the replies that do come count more. A lost ping is a
// drop.
func (e *Engine) expire(hi int, p *probe, now time.Time) {
	h := &e.hosts[hi]
	p.timedOut = true
	h.active--
	e.active--
	e.adjustTiming(h, p, now, false, nil)
	e.silentGrowth(h, p)
	e.expired = append(e.expired, p.ID)
	e.linger.push(timer{at: p.sent.Add(e.expireAfter(h)), p: p})
	h.lim.timedOut(p, now)
	switch allowed := e.allowedTry(h); {
	case p.Ping || p.decided || h.done:
		p.dead = true
	case h.lim.retry(p):
		h.retry = append(h.retry, p)
	case h.lim.expired(p):
		p.dead = true
	case int(p.Try) < allowed:
		h.retry = append(h.retry, p)
	case h.mayGrow && allowed < e.cfg.MaxRetries:
		h.bench = append(h.bench, p)
	default:
		p.dead = true
	}
	e.touch(hi)
}

// adjustTiming is Nmap's ultrascan_adjust_timing for one timing event: a
// reply (received) or a timeout. It counts the event, detects a drop
// (a reply to a retransmission, or a lost ping), reacts to it once per
// burst, grows the windows on a reply and boosts the scan delay when drops
// pile up. v, if not nil, receives how the event was counted.
func (e *Engine) adjustTiming(h *host, p *probe, now time.Time, received bool, v *Verdict) {
	h.win.expected++
	e.group.expected++
	drop := (p.Try > 0 && received && !p.decided) || (p.Ping && !received)
	if e.nmap() {
		drop = (p.Try > 0 && received) || (p.Ping && !received)
	}
	if received || drop {
		e.own(h)
		h.path.lost(drop)
		e.gpath.lost(drop)
	}
	if drop {
		e.stats.Drops++
		// A paced host's drops are its responder's budget, which the
		// pace already follows (limiter.go).
		congestion := e.nmap() || (!h.lim.on && e.congested(h))
		if v != nil {
			v.Drop, v.Congestion = true, congestion
		}
		if congestion {
			e.stats.Congestion++
			reacted := false
			if p.sent.After(h.win.lastDrop) {
				h.win.dropHost(h.active, e.perf, now)
				reacted = true
			}
			if p.sent.After(e.group.lastDrop) {
				e.group.dropGroup(e.active, e.perf, now)
				reacted = true
			}
			if reacted {
				e.stats.Reactions++
			}
			if v != nil {
				v.Reacted = reacted
			}
		}
	}
	if received {
		mult := 1.0
		if p.Ping {
			mult = pingMagnifier
		}
		// Growth waits while the path is queueing: the window that filled
		// the queue is already large enough.
		gInflated := !e.nmap() && e.gpath.inflated()
		// Only a host's window keeps slow start past ssthresh on an idle
		// path: the group window shares whatever bottleneck the hosts
		// share, where an overshoot costs every host.
		gIdle := e.gpath.idle()
		if !gInflated {
			e.group.ack(e.perf, mult, false)
		} else {
			e.group.received++
		}
		if !gInflated && (e.nmap() || !h.path.inflated()) {
			h.win.ack(e.perf, mult, gIdle && h.path.idle())
		} else {
			h.win.received++
		}
	}
	// Scan-delay boosting counts drops of probes sent since the last boost
	// (for a retransmission: whether the lost try was).
	switch {
	case p.Ping && !received && p.sent.After(h.lastBoost),
		drop && p.Try > 0 && p.prevSent.After(h.lastBoost):
		h.dropped++
	case received:
		h.good++
	}
	if h.lim.on {
		return // the pace follows the responder's budget, not the drops
	}
	ratio := boostRatio
	if e.cfg.TimingLevel >= 4 {
		ratio = boostRatioFast
	}
	if h.dropped > boostMinDrops && float64(h.dropped)/float64(h.dropped+h.good) > ratio {
		if e.slowingCostsReplies(h, now) {
			// The last boost only cost answers: the loss is the link's, not
			// a responder's budget. Undo it and stop reading the loss as
			// rate limiting.
			h.delay, h.randomLoss = h.delayBefore, true
			h.lastBoost, h.good, h.dropped = now, 0, 0
			return
		}
		e.boost(h, now)
	}
}

// slowingCostsReplies reports, by default, whether the last boost cut the
// rate of answered probes in proportion to the pace: a rate-limited
// responder answers as many per second at a slower pace (so slowing down
// is free and right), a randomly lossy link answers proportionally fewer.
func (e *Engine) slowingCostsReplies(h *host, now time.Time) bool {
	if e.nmap() || h.boostGoodRate == 0 {
		return false
	}
	d := now.Sub(h.lastBoost).Seconds()
	return d > 0 && float64(h.good)/d < boostRateKept*h.boostGoodRate
}

// congested tells congestion from random loss for a drop at h: the path
// to h, or the group's, is queueing or losing too much to be chance.
func (e *Engine) congested(h *host) bool {
	switch {
	case h.path.inflated() || e.gpath.inflated():
		e.stats.QueueCongestion++
	case e.lossy(h):
		e.stats.LossCongestion++
	default:
		return false
	}
	return true
}

// lossy reports loss at h too frequent to be random, unless slowing down
// proved it random.
func (e *Engine) lossy(h *host) bool {
	return !h.randomLoss && (h.path.lossy() || e.gpath.lossy())
}

// boost raises h's scan delay (boostScanDelay): 0 becomes BoostStart,
// anything else doubles, never beyond MaxScanDelay.
func (e *Engine) boost(h *host, now time.Time) {
	h.delayBefore = h.delay
	switch {
	case h.delay == 0 && e.cfg.BoostStart > 0:
		h.delay = e.cfg.BoostStart
	case h.delay == 0:
		h.delay = boostStartTCP
	default:
		h.delay = min(h.delay*2, max(h.delay, boostDoubleCap))
	}
	h.delay = min(h.delay, e.cfg.MaxScanDelay)
	if d := now.Sub(h.lastBoost).Seconds(); d > 0 {
		h.boostGoodRate = float64(h.good) / d
	}
	h.lastBoost = now
	h.good, h.dropped = 0, 0
	e.stats.Boosts++
}

// giveUp ends a host at its host timeout; its probes in flight are
// reported by Expired so the driver can cancel them.
func (e *Engine) giveUp(hi int) {
	h := &e.hosts[hi]
	for _, p := range h.fly {
		if p.dead || p.timedOut {
			continue
		}
		p.timedOut = true
		e.active--
		e.expired = append(e.expired, p.ID)
		e.forget(p)
	}
	for _, list := range [][]*probe{h.retry, h.stack, h.bench} {
		for _, p := range list {
			p.dead = true
			e.forget(p)
		}
	}
	h.fly, h.retry, h.stack, h.bench = nil, nil, nil, nil
	h.active = 0
	h.timedOut = true
	e.finish(hi)
}

// checkDone completes h when nothing is left to send or wait for. Benched
// probes only wait for the allowance to grow, which needs a reply to a
// probe in flight; with none in flight they are given up.
func (e *Engine) checkDone(hi int, now time.Time) {
	h := &e.hosts[hi]
	if h.done || h.active > 0 || e.hasWork(h) {
		return
	}
	if e.limHold(h) {
		e.touch(hi)
		return
	}
	if e.pingHold(hi, now) {
		return
	}
	h.mayGrow = false
	for _, p := range h.bench {
		p.dead = true
	}
	h.bench = nil
	e.finish(hi)
}

func (e *Engine) finish(hi int) {
	h := &e.hosts[hi]
	h.done = true
	e.live--
	e.finished = append(e.finished, hi)
	// A completed host with a ping port may serve as the global ping host
	// (removeCompletedHosts): it replaces the current one unless that one
	// has a ping in flight or a better port.
	if ph := e.pingHost; (ph < 0 && h.pingScore > 0) ||
		(ph >= 0 && e.hosts[ph].active == 0 && !(e.hosts[ph].pingScore > h.pingScore)) {
		e.pingHost = hi
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
	if e.live < 2 || e.pingSilentOpen() {
		return true
	}
	return e.group.cwnd >= float64(e.active)+0.5
}

// verdicts of hostCheck.
const (
	hostSend   = iota
	hostLeave  // cannot send until an event of its own: leaves the ring
	hostWait   // cannot send before h.readyAt
	hostBlockd // window full but --min-rate may override it: stays
)

// hostCheck is the host-level admission (§2.4).
func (e *Engine) hostCheck(h *host, now time.Time) int {
	if h.done || !e.hasWork(h) {
		return hostLeave
	}
	if e.minRateBehind(now) {
		return hostSend
	}
	if h.rldWaiting {
		e.rldExtend(h)
		switch {
		case now.Before(h.rldUntil) && (e.rldHoldsHost(h) || (len(h.stack) == 0 && h.cursor >= len(e.ports))):
			// Nmap pauses the whole host; by default only the
			// retransmissions wait, so the host waits only without other work.
			h.readyAt = h.rldUntil
			return hostWait
		case !now.Before(h.rldUntil) && e.nmap():
			return hostSend // Nmap lets the delayed retransmission through at once
		}
	}
	if h.lim.on {
		if at := h.lim.ready(now); at.After(now) {
			h.readyAt = at
			return hostWait
		}
	}
	if h.delay > 0 && !h.lastSend.IsZero() && now.Sub(h.lastSend) < h.delay {
		h.readyAt = h.lastSend.Add(h.delay)
		return hostWait
	}
	if e.timing(h).cwnd >= float64(h.active)+0.5 {
		return hostSend
	}
	if e.cfg.MinRate > 0 {
		return hostBlockd
	}
	return hostLeave
}

// rldHoldsHost reports whether an RLD pause stops all of h's probes, as in
// Nmap, rather than only its retransmissions. By default the first pause
// holds the host, so a rate-limited responder refills its budget and
// answers the retransmissions, which shows its loss is not random; later
// pauses hold the host only while loss is not random, so on a randomly
// lossy link fresh ports keep flowing.
func (e *Engine) rldHoldsHost(h *host) bool {
	return e.nmap() || h.rldTry <= 1 || e.lossy(h)
}

// rldExtend makes, by default, an RLD pause of a mostly silent host last
// rldTime after its last reply. The pause is there to let a rate-limited
// responder refill its budget, but while it holds only retransmissions the
// fresh ports that keep flowing spend each token as it comes: on the lab's
// fw host (ICMP 1/s) the retransmissions then met an empty budget, no
// reply to a retransmission raised the try allowance, and a -T4 scan gave
// up every closed port within 3 s without ever pacing.
func (e *Engine) rldExtend(h *host) {
	silent := h.win.expected - h.win.received
	if e.nmap() || silent*limSilentDiv <= h.win.expected {
		return
	}
	if until := h.lastRecv.Add(rldTime); until.After(h.rldUntil) {
		h.rldUntil = until
	}
}

// rldNeeded reports whether a retransmission at a new try waits for the
// RLD pause. Nmap always pauses. By default the first pause is skipped
// for a host that answered nearly every probe so far (rldSilent is false,
// loss not lossy): it has no budget to refill, and the pause would idle it
// for a second, or keep it waiting a second after its last fresh port. A
// later timeout at try 0 asks again.
func (e *Engine) rldNeeded(h *host) bool {
	if h.lim.on {
		return false // paced: every retransmission waits for a token anyway
	}
	if e.pingScan && !e.nmap() {
		return false // nothing to refill (ping.go)
	}
	return e.nmap() || h.rldTry >= 1 || e.rldSilent(h) || e.lossy(h)
}

// rldSilent reports whether a real share of h's probes went unanswered:
// a responder out of its RST or ICMP budget falls silent for many probes
// in a row, while a host that answered nearly everything (one port behind
// a silent drop among thousands) has nothing to refill.
func (e *Engine) rldSilent(h *host) bool {
	silent := h.win.expected - h.win.received
	return h.win.expected < rldMinEvents || silent*rldSilentDiv > h.win.expected
}

// pingDue is when h has been silent long enough for a timing ping.
func (e *Engine) pingDue(h *host) time.Time {
	last := h.lastRecv
	if h.lastPing.After(last) {
		last = h.lastPing
	}
	return last.Add(pingTime + time.Microsecond) // Nmap waits strictly longer
}

func (e *Engine) schedulePing(hi int, at time.Time) {
	h := &e.hosts[hi]
	if !h.pingAt.IsZero() && !h.pingAt.After(at) {
		return
	}
	h.pingAt = at
	e.pings.push(timer{at: at, h: int32(hi)})
}

// pingNow reports whether h's next send should be a timing ping
// (doAnyPings): it has a ping port, is not pausing for RLD, sent at least
// pingEvery probes since its last ping, and nothing was heard from it and
// no ping sent for pingTime.
func (e *Engine) pingNow(hi int, now time.Time) bool {
	h := &e.hosts[hi]
	if !h.pingArmed {
		return false
	}
	if now.Before(e.pingDue(h)) {
		h.pingArmed = false
		e.schedulePing(hi, e.pingDue(h))
		return false
	}
	return h.pingScore > 0 && !h.rldWaiting && !h.lim.on && h.sent >= h.lastPingSent+pingEvery
}

// take sends h's next probe, or starts an RLD pause instead and returns
// false. Retransmissions go before revived bench probes, those before
// fresh ports.
func (e *Engine) take(hi int, now time.Time, ping bool) (Probe, bool) {
	h := &e.hosts[hi]
	var pr Probe
	var prev *probe
	if h.rldWaiting && !ping {
		e.rldExtend(h)
	}
	switch {
	case ping:
		pr = Probe{Host: hi, Port: h.pingPort, Ping: true}
		h.pingArmed = false
		h.lastPing = now
		h.lastPingSent = h.sent
		e.schedulePing(hi, e.pingDue(h))
		e.stats.Pings++
	case len(h.retry) > 0 && (!h.rldWaiting || !now.Before(h.rldUntil) || e.minRateBehind(now)):
		old := h.retry[0]
		// Rate-limit detection: pause before the first retransmission at
		// a new try. Nmap holds the whole host; the default holds only the
		// retransmissions, so fresh ports keep flowing.
		if int(old.Try)+1 > h.rldTry && len(e.ports) > 1 && e.rldNeeded(h) {
			h.rldTry = int(old.Try) + 1
			h.rldWaiting = true
			h.rldUntil = now.Add(rldTime)
			e.stats.RLDPauses++
			if e.rldHoldsHost(h) || (len(h.stack) == 0 && h.cursor >= len(e.ports)) {
				h.readyAt = h.rldUntil
				return Probe{}, false
			}
			return e.take(hi, now, false)
		}
		h.rldWaiting = false
		h.retry = h.retry[1:]
		prev = old
	case len(h.stack) > 0:
		prev = h.stack[0]
		h.stack = h.stack[1:]
	case h.cursor < len(e.ports):
		pr = Probe{Host: hi, Port: e.ports[h.cursor]}
		h.cursor++
	default:
		// Only held retransmissions are left.
		h.readyAt = h.rldUntil
		return Probe{}, false
	}
	if prev != nil {
		prev.dead = true
		pr = Probe{Host: hi, Port: prev.Port, Try: prev.Try + 1}
		e.stats.Retransmits++
	}
	e.nextID++
	pr.ID = e.nextID
	p := e.newProbe()
	*p = probe{Probe: pr, sent: now}
	if prev != nil {
		p.prevSent = prev.sent
		p.paced = prev.paced
		prev.next = p
	}
	if h.lim.on && !ping {
		h.lim.fill(now)
		h.lim.tokens--
		p.paced++
	}
	if !e.pingScan {
		e.out[pr.ID] = p // a ping scan's slabs hold it by ID (lookup)
	}
	h.fly = append(h.fly, p)
	h.active++
	e.active++
	e.sentAll++
	e.stats.Probes++
	if !ping {
		h.sent++
	}
	h.lastSend = now
	if h.start.IsZero() {
		h.start = now
		if e.cfg.HostTimeout > 0 {
			e.hostTO = append(e.hostTO, int32(hi))
		}
	}
	if len(h.fly) == 1 || h.toAt.IsZero() {
		e.armTimeout(hi)
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
	return pr, true
}

// wait parks h until h.readyAt. Under --min-rate it also stays in the
// ring, since a rate that falls behind overrides every wait.
func (e *Engine) wait(h *host, hi int32) {
	if !h.readyAt.Equal(h.readyQ) {
		h.readyQ = h.readyAt
		e.ready.push(timer{at: h.readyAt, h: hi})
	}
	if e.cfg.MinRate == 0 {
		h.inRing = false
	}
}

// globalPing sends the group's timing ping when every host has been
// silent for pingTime (doAnyPings).
func (e *Engine) globalPing(now time.Time, send []Probe) ([]Probe, int) {
	ph := e.pingHost
	if ph < 0 || !e.globalOK(now, 0) {
		return send, 0
	}
	h := &e.hosts[ph]
	if h.pingScore == 0 || h.active > 0 || e.sentAll < e.lastGPingSentAll+globalPingEvery ||
		now.Sub(e.lastRecv) <= pingTime || now.Sub(e.lastGPing) <= pingTime {
		return send, 0
	}
	pr, _ := e.take(ph, now, true)
	e.lastGPing, e.lastGPingSentAll = now, e.sentAll
	return append(send, pr), 1
}

// Next appends to send the probes to send now, records them as sent at now,
// and says when to call again at the latest (replies may come sooner). A
// zero wake time means the engine is done.
func (e *Engine) Next(now time.Time, send []Probe) ([]Probe, time.Time) {
	e.advance(now)
	n := 0
	stopped := false
	for len(e.ring) > 0 && !stopped {
		progress := false
		stop := len(e.ring)
		for i, hi := range e.ring {
			if !e.globalOK(now, n) {
				stopped, stop = true, i
				break
			}
			h := &e.hosts[hi]
			if e.limStop(h, now) || e.pingScan {
				e.checkDone(int(hi), now)
			}
			switch e.hostCheck(h, now) {
			case hostSend:
				pr, ok := e.take(int(hi), now, e.pingNow(int(hi), now))
				if ok {
					send = append(send, pr)
					n++
					progress = true
					continue
				}
				e.wait(h, hi)
			case hostWait:
				e.wait(h, hi)
			case hostLeave:
				h.inRing = false
			}
		}
		// Rotate so the next pass (or call) starts where this one stopped,
		// and drop hosts that left.
		rotated := e.spare[:0]
		for _, part := range [2][]int32{e.ring[stop:], e.ring[:stop]} {
			for _, hi := range part {
				if e.hosts[hi].inRing {
					rotated = append(rotated, hi)
				}
			}
		}
		e.ring, e.spare = rotated, e.ring
		if !progress {
			break
		}
	}
	var g int
	send, g = e.globalPing(now, send)
	n += g
	return send, e.wake(now, n, stopped)
}

// wake is the earliest time something can change without a reply: a probe
// or host timing out, a wait ending, a ping falling due, a blocked send
// becoming allowed.
func (e *Engine) wake(now time.Time, sentNow int, stopped bool) time.Time {
	if e.live == 0 {
		return time.Time{}
	}
	var w time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	if t, ok := e.toCommon.top(); ok {
		at(t.at.Add(e.retryAfter(e.commonTimeout())))
	}
	for _, q := range []timerHeap{e.toOwn, e.ready, e.pings} {
		if t, ok := q.top(); ok {
			at(t.at)
		}
	}
	if len(e.hostTO) > 0 {
		at(e.hosts[e.hostTO[0]].start.Add(e.cfg.HostTimeout))
	}
	if ph := e.pingHost; ph >= 0 && e.sentAll >= e.lastGPingSentAll+globalPingEvery {
		last := e.lastRecv
		if e.lastGPing.After(last) {
			last = e.lastGPing
		}
		at(last.Add(pingTime + time.Microsecond))
	}
	if len(e.ring) > 0 {
		if stopped && sentNow >= sendsPerWait {
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
	if p, ok := e.lookup(id); ok && !p.timedOut {
		p.sent = now
		e.hosts[p.Host].lastSend = now
	}
}

// ReplyKind says what a reply is worth for timing.
type ReplyKind uint8

const (
	// Positive: the target itself answered for the port (SYN/ACK, RST, a
	// connect result). It times the path, may prove a loss, and the probe
	// may become the host's timing ping.
	Positive ReplyKind = iota
	// RateLimited: an answer that routers and stacks rate-limit, so its
	// absence proves nothing (an ICMP error meaning filtered, RFC 1812; a
	// RST under --defeat-rst-ratelimit). It decides the port and times the
	// path, but on a retransmission it neither counts as a drop nor raises
	// the try allowance, and it never becomes the timing ping (§2.3).
	RateLimited
)

// Response is what the driver knows about a reply.
type Response struct {
	Kind ReplyKind
	// PingScore ranks the probe as a timing ping, higher is better
	// (pingprobe_score: 6 for a raw TCP probe answered by anything but an
	// open port, 3 for a SYN to an open port, 2 for UDP or ICMP errors, 1
	// for a connect). 0 means the probe cannot serve as one.
	PingScore int
}

// Verdict says how the engine counted a reply.
type Verdict struct {
	Tracked bool // the engine knew the probe (in flight or lingering)
	Late    bool // it had already timed out
	Ping    bool // it was a timing ping
	Timing  bool // it fed the windows (a rate-limited retransmission reply does not)
	// Drop: the reply proved that an earlier try was lost (§2.3);
	// Congestion: the drop was read as congestion (always with
	// NmapCongestion); Reacted: it cut a window, being the first of its
	// burst.
	Drop, Congestion, Reacted bool
	// HostFinished: the host was already reported by Finished; the reply
	// still decides its port if the driver keeps the host's results.
	HostFinished bool
}

// Reply reports a positive reply that decides its port (see Receive). It
// returns false for a probe the engine no longer tracks.
func (e *Engine) Reply(now time.Time, id uint64) bool {
	return e.Receive(now, id, Response{}).Tracked
}

// Receive reports that probe id was answered at now, and that the answer
// decides its port: the port is not probed again. Replies that decide
// nothing (an ignored ICMP code) must not be reported. A probe stays known
// for a while after it timed out, so a late reply still counts; for one
// the engine no longer tracks the verdict is zero and the driver still
// records what the reply says about the port.
func (e *Engine) Receive(now time.Time, id uint64, r Response) Verdict {
	p, ok := e.lookup(id)
	if !ok {
		return Verdict{}
	}
	e.forget(p)
	hi := p.Host
	h := &e.hosts[hi]
	v := Verdict{Tracked: true, Late: p.timedOut, Ping: p.Ping, HostFinished: h.done}
	if p.timedOut {
		e.stats.LateReplies++
	}
	delta := now.Sub(p.sent)
	had := h.rtt.sampled()
	before := h.rtt.timeout
	h.rtt.update(delta, e.cfg.MinRTT, e.cfg.MaxRTT, e.cfg.ScanDelay)
	e.groupRTT.update(delta, e.cfg.MinRTT, e.cfg.MaxRTT, e.cfg.ScanDelay)
	e.own(h) // before the path, and the pacing (limReply), learn from it
	h.path.sample(delta)
	e.gpath.sample(delta)
	h.lastRecv, e.lastRecv = now, now

	v.Timing = !(r.Kind == RateLimited && p.Try > 0)
	if v.Timing {
		// The drop reaction sees this probe still in flight, as Nmap's does.
		e.adjustTiming(h, p, now, true, &v)
		if !p.Ping && int(p.Try) > h.maxTry {
			e.raiseMaxTry(h, int(p.Try), now)
		}
		if !p.Ping {
			e.limReply(h, p, v.Drop, now)
		}
	}
	if !p.timedOut {
		p.timedOut = true
		h.active--
		e.active--
	}
	if r.Kind == Positive && !p.Ping && r.PingScore > h.pingScore {
		first := h.pingScore == 0
		h.pingPort, h.pingScore = p.Port, r.PingScore
		if first && !h.done {
			e.schedulePing(hi, e.pingDue(h))
		}
	}
	if !p.Ping {
		// The port is decided: no try of it is sent again, and a later
		// try's reply proves nothing about loss.
		p.dead = true
		for q := p.next; q != nil; q = q.next {
			q.decided = true
			if q.timedOut {
				q.dead = true
			}
		}
	} else {
		p.dead = true
	}
	if !h.done {
		if !had || h.rtt.timeout < before {
			e.armTimeout(hi)
		}
		e.touch(hi)
		e.checkDone(hi, now)
	}
	return v
}

// raiseMaxTry records a timing reply to try t above any before: the try
// allowance may grow, which revives benched probes, and a reply to a late
// try is a sign of rate limiting that boosts the scan delay (§2.5, §2.6).
// By default the boost waits for loss that is not random: on a lossy link
// a fourth retransmission is answered now and then by chance.
func (e *Engine) raiseMaxTry(h *host, t int, now time.Time) {
	before := e.allowedTry(h)
	h.maxTry = t
	limit := boostTryLimit
	if e.cfg.TimingLevel >= 4 {
		limit = boostTryLimitFast
	}
	if h.maxTry > limit && (e.nmap() || e.lossy(h)) && !h.lim.on {
		e.boost(h, now)
	}
	allowed := e.allowedTry(h)
	if allowed <= before {
		return
	}
	kept := h.bench[:0]
	for _, b := range h.bench {
		switch {
		case b.dead:
		case int(b.Try) < allowed:
			h.stack = append(h.stack, b)
		default:
			kept = append(kept, b)
		}
	}
	clear(h.bench[len(kept):])
	h.bench = kept
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
func (e *Engine) Done() bool { return e.live == 0 }

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

// HostDelay is host h's current scan delay, boosts included.
func (e *Engine) HostDelay(h int) time.Duration { return e.hosts[h].delay }

// HostWindow is host h's own congestion window and slow-start threshold.
func (e *Engine) HostWindow(h int) (cwnd, ssthresh float64) {
	w := e.hosts[h].win
	return w.cwnd, w.ssthresh
}

// GroupWindow is the group's congestion window and slow-start threshold.
func (e *Engine) GroupWindow() (cwnd, ssthresh float64) { return e.group.cwnd, e.group.ssthresh }

// PingPort is the port host h's timing pings go to, and its score; score 0
// means the host has none yet.
func (e *Engine) PingPort(h int) (port uint16, score int) {
	return e.hosts[h].pingPort, e.hosts[h].pingScore
}

// InFlight is the number of probes in flight over all hosts.
func (e *Engine) InFlight() int { return e.active }

// Stats returns the counts so far.
func (e *Engine) Stats() Stats { return e.stats }
