package ultrascan

import "time"

// rtt is Nmap's round-trip estimator (timing.cc adjust_timeouts2,
// nmap-internals §2.2). It works in whole microseconds with integer shifts
// so its figures match Nmap's exactly.
type rtt struct {
	srtt, rttvar, timeout int64 // µs; srtt and rttvar are -1 before the first sample
}

func newRTT(initial time.Duration) rtt {
	return rtt{srtt: -1, rttvar: -1, timeout: initial.Microseconds()}
}

func (r *rtt) sampled() bool { return r.srtt >= 0 }

// update feeds one reply's delay; minRTT, maxRTT and scanDelay clamp the
// resulting timeout.
func (r *rtt) update(delta time.Duration, minRTT, maxRTT, scanDelay time.Duration) {
	d := delta.Microseconds()
	// Receive stamps may come from a different clock than send stamps.
	if d < 0 && d > -50000 {
		d = 10000
	}
	if !r.sampled() {
		r.srtt = d
		r.rttvar = max(5000, min(d, 2000000))
		r.timeout = r.srtt + r.rttvar<<2
	} else {
		if d >= 8000000 || d < 0 {
			return
		}
		rd := d - r.srtt
		if rd > 1500000 && rd > 3*r.srtt+2*r.rttvar {
			return
		}
		r.srtt += rd >> 3
		abs := rd
		if abs < 0 {
			abs = -abs
		}
		r.rttvar += (abs - r.rttvar) >> 2
		r.timeout = r.srtt + r.rttvar<<2
	}
	if r.rttvar > 2300000 {
		r.rttvar = 2000000
	}
	r.timeout = max(minRTT.Microseconds(), min(maxRTT.Microseconds(), r.timeout))
	r.timeout = max(r.timeout, scanDelay.Microseconds())
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
