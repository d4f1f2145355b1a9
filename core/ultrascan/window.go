package ultrascan

import "time"

// window is a congestion window in probes in flight (nmap-internals §2.3).
type window struct {
	cwnd, ssthresh float64
	// expected counts every timing event (replies and timeouts), received
	// only replies; their ratio scales growth so that a mostly silent host
	// still opens its window on the few replies it gives.
	expected, received int
	lastDrop           time.Time
	cut                bool // congestion cut the window at least once
}

func (w *window) scale() float64 {
	if w.received == 0 {
		return 1
	}
	return min(float64(w.expected)/float64(w.received), ccScaleMax)
}

// ack grows the window for one reply: by one (scaled) per reply in slow
// start, by caIncr/cwnd (scaled) in congestion avoidance. mult weighs the
// reply (a timing ping counts pingMagnifier times). extend keeps slow start
// past ssthresh for a window congestion never cut (see perf.probeSSThresh);
// the caller passes it only while the path shows no queue at all.
func (w *window) ack(p perf, mult float64, extend bool) {
	w.received++
	switch {
	case extend && p.probeSSThresh && !w.cut && w.cwnd >= w.ssthresh:
		w.cwnd += w.scale() * mult
	case w.cwnd < w.ssthresh:
		w.cwnd += w.scale() * mult
		w.cwnd = min(w.cwnd, w.ssthresh)
	default:
		w.cwnd += p.caIncr / w.cwnd * w.scale() * mult
	}
	w.cwnd = min(w.cwnd, p.maxCwnd)
}

// dropHost reacts to loss seen by one host: back to the floor.
func (w *window) dropHost(inFlight int, p perf, now time.Time) {
	w.cwnd = p.lowCwnd
	w.ssthresh = float64(int(max(float64(inFlight)/p.ssthreshDiv, 2)))
	w.lastDrop = now
	w.cut = true
}

// dropGroup reacts to loss in the group more gently: one host's loss
// should not stall the others.
func (w *window) dropGroup(inFlight int, p perf, now time.Time) {
	w.cwnd = max(p.lowCwnd, w.cwnd/groupCwndDiv)
	w.ssthresh = float64(int(max(float64(inFlight)/p.ssthreshDiv, 2)))
	w.lastDrop = now
	w.cut = true
}
