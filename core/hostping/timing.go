package hostping

import "time"

// rttEstimate is the round trip learnt from the answers of one kind of
// probe in a run (link-layer ARP/ND apart from IP: a neighbour's 0.1 ms says
// nothing about a routed host), in Nmap's form (timing.cc).
type rttEstimate struct {
	srtt, rttvar time.Duration
}

// add takes one measured round trip: the first sets srtt to it and rttvar
// to it as well (at least 5 ms, at most 2 s, as Nmap's first measurement
// of a host); later ones are smoothed by 1/8 and 1/4.
func (e *rttEstimate) add(rtt time.Duration) {
	rtt = max(rtt, time.Microsecond)
	if e.srtt == 0 {
		e.srtt, e.rttvar = rtt, firstVar(rtt)
		return
	}
	d := e.srtt - rtt
	if d < 0 {
		d = -d
	}
	e.rttvar += (d - e.rttvar) / 4
	e.srtt += (rtt - e.srtt) / 8
}

// firstVar is rttvar after a first measurement.
func firstVar(rtt time.Duration) time.Duration {
	return min(max(rtt, 5*time.Millisecond), 2*time.Second)
}

// timeout is how long a probe of this kind waits for its answer: the
// initial timeout until something was timed, then srtt + 4 rttvar; always
// within [minT, maxT] (--min-rtt-timeout, --max-rtt-timeout).
func (e rttEstimate) timeout(initial, minT, maxT time.Duration) time.Duration {
	t := initial
	if e.srtt != 0 {
		t = e.srtt + 4*e.rttvar
	}
	return min(max(t, minT), maxT)
}

// retrySpacing is how long after a host's previous try its next one goes
// out: a quarter of the timeout, at most 100 ms. Retransmissions follow
// closely (as zmap's duplicate probes do) instead of a whole timeout later,
// so a run costs one timeout after its last probe rather than one per try;
// the spacing keeps a try out of the burst that may have lost the previous
// one and spares hosts that answer faster than it their retransmission.
func retrySpacing(timeout time.Duration) time.Duration {
	return max(min(timeout/4, 100*time.Millisecond), time.Millisecond)
}

// runEnd is when a run stops waiting: one timeout after the last probe of
// each kind that still has unanswered hosts. Replies that come in earlier
// for a host are taken as they arrive; later ones are stragglers past the
// timeout (bounded by --max-rtt-timeout) and do not hold the run.
func runEnd(kinds []kindWait) time.Time {
	var end time.Time
	for _, k := range kinds {
		if k.remaining == 0 || k.lastSent.IsZero() {
			continue
		}
		if t := k.lastSent.Add(k.timeout); t.After(end) {
			end = t
		}
	}
	return end
}

// kindWait is what runEnd needs of one kind of probe.
type kindWait struct {
	remaining int
	lastSent  time.Time
	timeout   time.Duration
}

// rttSample is the round trip an answer measures. An answer that names its
// try (ICMP: the sequence number) is timed from that try; one that cannot
// is timed from the first try, an upper bound: an estimate that errs long
// never makes the run miss a slower host.
func rttSample(now, first, last time.Time, tries, answeredTry int) time.Duration {
	if answeredTry >= 0 && answeredTry == tries-1 {
		return now.Sub(last)
	}
	return now.Sub(first)
}
