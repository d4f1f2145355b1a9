package ultrascan

import "time"

// Ping scans (host discovery, nmap-internals §4) run on the same engine:
// the "ports" are the ping probes, in Nmap's order (echo, SYN, ACK,
// timestamp, ...), and a host is decided by its first positive reply, not
// port by port. Two things differ from a port scan:
//
//   - FinishHost ends a host at that reply and drops its other probes, as
//     Nmap destroys a host's outstanding probes once it is up;
//   - by default no rate-limit-detection pause (§2.5): the pause lets a
//     responder that answered earlier probes refill its budget, but in a
//     ping scan a host that answered anything is already done, so every
//     retransmission goes to a host that answered nothing and the pause
//     would only idle it for a second (Nmap's -sn of a lab /24 spends most
//     of its 1.7 s in it). NmapCongestion keeps Nmap's pause.
//
//   - by default, while the group has heard (almost) nothing, its window
//     is set aside (pingSilentOpen);
//   - by default a silent probe is retransmitted a short spacing after it
//     was sent rather than a whole timeout later, and the host is given up
//     one timeout after its last try (retryAfter, pingHold).
//
// Timing pings need nothing special: a driver that reports replies with
// PingScore 0 gives no host a ping port, and a host done at its first
// reply is never silent long enough for one anyway.

// NewPingScan returns an engine for a ping scan of hosts hosts; probes
// names the ping probes each host gets, in order (the driver's indices,
// returned as Probe.Port; shared, not copied).
func NewPingScan(cfg Config, hosts int, probes []uint16, now time.Time) *Engine {
	return NewPingScanFrom(nil, cfg, hosts, probes, now)
}

// NewPingScanFrom is NewPingScan on the storage of spare, a ping-scan
// engine the driver is done with (nil: none), which must not be used
// again. A discovery batch is thousands of hosts, each with a record and
// a probe record per try; allocating them afresh per batch left the last
// batch's engine as garbage beside the new one, so a /16 of batches
// peaked far above one batch. The new engine behaves exactly as a fresh
// one.
func NewPingScanFrom(spare *Engine, cfg Config, hosts int, probes []uint16, now time.Time) *Engine {
	e := &Engine{pingScan: true}
	if spare != nil {
		e.recycle(spare)
	}
	e.init(cfg, hosts, probes, now)
	e.carveQueues()
	return e
}

// recycle takes old's storage, emptied, into e (a zero Engine).
func (e *Engine) recycle(old *Engine) {
	e.hosts = old.hosts[:0]
	e.ring, e.spare = old.ring[:0], old.spare[:0]
	for _, q := range []*timerHeap{&old.toCommon, &old.toOwn, &old.ready, &old.pings, &old.linger} {
		clear(*q)
	}
	e.toCommon, e.toOwn, e.ready, e.pings, e.linger = old.toCommon[:0], old.toOwn[:0], old.ready[:0], old.pings[:0], old.linger[:0]
	e.hostTO, e.expired, e.finished = old.hostTO[:0], old.expired[:0], old.finished[:0]
	// The records in the slabs are overwritten as they are handed out
	// again; nothing outside the old engine points at them.
	e.slabs, e.queueSlab = old.slabs, old.queueSlab
	*old = Engine{}
}

// Slab sizes: a ping-scan host sends each probe once and, silent, once
// more (the try allowance grows only with replies to retransmissions, and
// a reply finishes the host), so its queues hold at most twice its probes
// in flight and its probes once waiting for a retransmission. A host that
// needs more falls back to ordinary appends.
const (
	probeSlab   = 1024
	pingFlyCap  = 2 // times the probes per host
	pingWaitCap = 1
)

// carveQueues gives every host of a ping scan its in-flight and
// retransmission queues from one slab, instead of two small slices each
// that grow by doubling.
func (e *Engine) carveQueues() {
	per := (pingFlyCap + pingWaitCap) * len(e.ports)
	need := per * len(e.hosts)
	if cap(e.queueSlab) < need {
		e.queueSlab = make([]*probe, need)
	} else {
		e.queueSlab = e.queueSlab[:need]
		clear(e.queueSlab)
	}
	fly := pingFlyCap * len(e.ports)
	for i := range e.hosts {
		q := e.queueSlab[i*per : (i+1)*per]
		e.hosts[i].fly = q[:0:fly]
		e.hosts[i].retry = q[fly:fly:per]
	}
}

// own gives h a hostMore of its own, if it shares the engine's quiet one,
// before anything is written to it. Only a reply (or a lost timing ping)
// writes to a host's path, and only a reply starts its pacing: until
// then the shared zero record reads as a host's own would.
func (e *Engine) own(h *host) {
	if h.hostMore == &e.quiet {
		h.hostMore = new(hostMore)
	}
}

// lookup returns the probe id names while the engine still tracks it (in
// flight, or lingering for a late reply). A port scan keeps them in a map;
// a ping scan's IDs number its slab records in order (newProbe), which
// saves the map's ~30 bytes per probe, eight probes per silent host.
func (e *Engine) lookup(id uint64) (*probe, bool) {
	if !e.pingScan {
		p, ok := e.out[id]
		return p, ok
	}
	if id == 0 || id > e.nextID {
		return nil, false
	}
	i := id - 1
	p := &e.slabs[i/probeSlab][i%probeSlab]
	return p, !p.gone
}

// forget stops tracking p: a reply to it is no longer matched.
func (e *Engine) forget(p *probe) {
	if e.pingScan {
		p.gone = true
		return
	}
	delete(e.out, p.ID)
}

// newProbe returns a record for a probe about to be sent: a ping scan's
// from its slabs (its records all stay until the engine is done: they
// linger for late replies longer than a batch takes), a port scan's
// allocated alone.
func (e *Engine) newProbe() *probe {
	if !e.pingScan {
		return new(probe)
	}
	if len(e.slab) == cap(e.slab) {
		if e.slabAt == len(e.slabs) {
			e.slabs = append(e.slabs, make([]probe, probeSlab))
		}
		e.slab = e.slabs[e.slabAt][:0]
		e.slabAt++
	}
	e.slab = e.slab[:len(e.slab)+1]
	return &e.slab[len(e.slab)-1]
}

// FinishHost completes host h at a reply that decides it (a ping scan's
// first positive reply; report the reply with Receive first, so it times
// the path). Its probes in flight, waiting for a retransmission or benched
// are forgotten: none is sent again, none is reported by Expired, and a
// late reply to one is untracked. Finished reports the host once. It
// returns false if h was already complete.
func (e *Engine) FinishHost(h int) bool {
	hs := &e.hosts[h]
	if hs.done {
		return false
	}
	for _, p := range hs.fly {
		if p.dead || p.timedOut {
			continue
		}
		p.timedOut = true
		e.active--
		e.forget(p)
	}
	for _, list := range [][]*probe{hs.fly, hs.retry, hs.stack, hs.bench} {
		for _, p := range list {
			p.dead = true
			e.forget(p)
		}
	}
	hs.fly, hs.retry, hs.stack, hs.bench = nil, nil, nil, nil
	hs.active = 0
	hs.cursor = len(e.ports)
	hs.toAt = time.Time{} // its queued timeout timer is stale now
	hs.rldWaiting = false
	e.finish(h)
	return true
}

// pingSilentOpen reports whether a ping scan sends without the group
// window: by default, while the window was never cut and at most half
// of the group's timing events were replies. A ping scan of absent
// addresses has no replies to open the window with and no returning
// traffic to congest; silent.go's growth on timeouts doubles it only once
// per timeout (a whole second before anything was timed), so a silent /20
// crawls at 300 probes a second, or at --min-rate, where Nmap takes the
// same time and the old discovery loop sent at --max-rate. Probes still
// go out in bursts of 50 between reads of the replies, each host keeps its
// own window (10, more than its ping probes) and --max-rate holds; as soon
// as a share of the hosts answer, the windows govern as in a port scan.
func (e *Engine) pingSilentOpen() bool {
	return e.pingScan && !e.nmap() && !e.group.cut && e.group.received*silentShare <= e.group.expected
}

// retryAfter is how long a probe waits before it counts as unanswered and
// its retransmission may go: the timeout, or in a ping scan (by default)
// a quarter of it, at most 100 ms. A ping scan only retransmits to hosts
// that answered nothing, and mostly to addresses where nobody is: waiting
// a whole timeout per try (a second before anything was timed) doubled
// what a silent batch costs, where a spacing a quarter of the timeout
// still keeps the retransmission out of the burst that may have lost the
// first try, as zmap's duplicate probes do. The first try stays matchable
// for its expiry (a reply that comes later still finishes the host and is
// timed from the probe it names), and pingHold waits out a whole timeout
// after the last try before the host is given up.
func (e *Engine) retryAfter(timeout time.Duration) time.Duration {
	if !e.pingScan || e.nmap() {
		return timeout
	}
	return max(min(timeout/4, pingRetryCap), time.Millisecond)
}

// pingRetryCap bounds the retransmission spacing of a ping scan.
const pingRetryCap = 100 * time.Millisecond

// pingHold keeps a ping-scan host that has nothing left to send from being
// given up before one timeout after its last probe (see retryAfter): it
// parks the host until then and reports true.
func (e *Engine) pingHold(hi int, now time.Time) bool {
	h := &e.hosts[hi]
	if !e.pingScan || e.nmap() || h.lastSend.IsZero() {
		return false
	}
	end := h.lastSend.Add(e.timeout(h))
	if !now.Before(end) {
		return false
	}
	h.readyAt = end
	if !h.readyAt.Equal(h.readyQ) {
		h.readyQ = h.readyAt
		e.ready.push(timer{at: h.readyAt, h: int32(hi)})
	}
	return true
}
