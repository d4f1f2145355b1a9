package ultrascan

import "time"

// Seed is what an earlier phase learnt about a host's round trip (Nmap's
// Target::to): the port scan starts from it instead of the initial
// timeout. SRTT below zero means nothing was learnt.
type Seed struct {
	SRTT, RTTVar, Timeout time.Duration
}

// NoSeed leaves a host at the initial timeout.
var NoSeed = Seed{SRTT: -time.Microsecond, RTTVar: -time.Microsecond}

// AddHost admits one more host to a running engine and returns its index,
// so a driver can keep a group full as hosts finish (a streaming host
// group). The new host starts with the group's windows as every host does,
// and with seed's timing when it has one. Additive to New: an engine made
// with New(cfg, 0, ports, now) and filled with AddHost behaves as one made
// with all its hosts.
func (e *Engine) AddHost(now time.Time, seed Seed) int {
	hi := len(e.hosts)
	e.hosts = append(e.hosts, host{})
	h := &e.hosts[hi]
	// The same start as New gives every host.
	h.hostMore = new(hostMore)
	h.mayGrow = true
	h.delay = e.cfg.ScanDelay
	h.win = e.perf.initialWindow(now)
	h.rtt = newRTT(e.cfg.InitialRTT)
	h.lastRecv, h.lastPing, h.lastBoost = now, now, now
	e.SeedHost(hi, seed)
	if len(e.ports) == 0 {
		h.done = true
		e.finished = append(e.finished, hi)
		return hi
	}
	e.live++
	h.inRing = true
	e.ring = append(e.ring, int32(hi))
	return hi
}

// SeedHost sets host h's round-trip estimate from an earlier phase; it
// does nothing when seed has no sample.
func (e *Engine) SeedHost(h int, seed Seed) {
	if seed.SRTT < 0 || seed.Timeout <= 0 {
		return
	}
	e.hosts[h].rtt = rtt{
		srtt:    seed.SRTT.Microseconds(),
		rttvar:  max(seed.RTTVar.Microseconds(), 0),
		timeout: max(e.cfg.MinRTT.Microseconds(), min(e.cfg.MaxRTT.Microseconds(), seed.Timeout.Microseconds())),
	}
}

// Hosts is the number of hosts the engine holds, finished ones included.
func (e *Engine) Hosts() int { return len(e.hosts) }
