package ultrascan

import "time"

// Telling random loss from congestion (the default; Config.NmapCongestion
// turns it off). Nmap reads every reply to a retransmission as congestion
// and halves its windows, so a link that merely loses a few percent of
// packets at random keeps the window at the floor. A queue that overflows
// shows itself before and while it drops: round trips grow with the queue
// (the least RTT of the last samples rises above the least RTT ever seen),
// and a policer or rate-limited responder loses a large share of replies.
// Random loss does neither. So a drop counts as congestion only when the
// recent RTT floor is inflated or the share of replies that prove a loss
// is high; otherwise the windows stay, as BBR ignores loss it cannot tie
// to the path filling up.
const (
	// pathBucket samples make one bucket of the recent-RTT floor; the floor
	// is the least sample of the current and the previous bucket, so
	// jitter (which raises single samples, not the floor) does not read as
	// queueing.
	pathBucket     = 16
	pathMinSamples = 16
	// The recent floor is inflated above minRTT·(1+1/inflationDiv) +
	// inflationSlack.
	inflationDiv   = 4
	inflationSlack = 5 * time.Millisecond
	// baseBuckets buckets of pathBucket samples make the loaded floor.
	baseBuckets = 16
	// The share of timing replies that prove a loss is counted over the
	// last one or two buckets of lossBucket replies, so that the clumps in
	// which replies to retransmissions arrive do not read as a surge; above
	// lossTolerance, after lossMinEvents replies, loss is not random.
	lossBucket    = 128
	lossTolerance = 0.20
	lossMinEvents = 32
)

// path is what the engine knows about the path to a host (or the group).
type path struct {
	minRTT time.Duration
	// base holds the least sample of each of the last baseBuckets full
	// buckets (a ring at baseAt): the RTT floor under the load of the
	// last few hundred replies.
	base      [baseBuckets]time.Duration
	baseAt    int
	cur, prev time.Duration // least sample of the current and previous bucket
	n         int           // samples in the current bucket
	samples   int
	// Replies and the drops among them, in the current and previous
	// bucket.
	events, drops         int
	prevEvents, prevDrops int
}

func (s *path) sample(d time.Duration) {
	if d <= 0 {
		return
	}
	s.samples++
	if s.minRTT == 0 || d < s.minRTT {
		s.minRTT = d
	}
	if s.n == 0 || d < s.cur {
		s.cur = d
	}
	s.n++
	if s.n == pathBucket {
		s.base[s.baseAt] = s.cur
		s.baseAt = (s.baseAt + 1) % baseBuckets
		s.prev, s.cur, s.n = s.cur, 0, 0
	}
}

// recent is the least RTT of the last one or two buckets.
func (s *path) recent() time.Duration {
	switch {
	case s.n == 0:
		return s.prev
	case s.prev == 0:
		return s.cur
	}
	return min(s.cur, s.prev)
}

// inflated reports queueing: the recent RTT floor is well above the least
// RTT seen.
func (s *path) inflated() bool {
	if s.samples < pathMinSamples {
		return false
	}
	r, b := s.recent(), s.loadedFloor()
	return r > b+b/inflationDiv+inflationSlack || r > 2*s.minRTT+inflationSlack
}

// loadedFloor is the least RTT of the last baseBuckets buckets, or the
// least seen while fewer have filled. A link that keeps packets in order
// under jitter (the lab relay, many tunnels) delays dense traffic by up to
// twice the jitter: the floor rises once with the sending density and
// stays. A queue that overflows keeps rising within a few round trips, so
// the recent floor climbs above the floor of the last few hundred replies;
// a standing queue, which that floor forgets, shows as a recent floor of
// more than twice the least RTT ever seen (inflated).
func (s *path) loadedFloor() time.Duration {
	b := time.Duration(0)
	for _, d := range s.base {
		if d == 0 {
			return s.minRTT
		}
		if b == 0 || d < b {
			b = d
		}
	}
	return b
}

// lost records one timing reply (or lost ping): drop says whether it
// proved a loss.
func (s *path) lost(drop bool) {
	s.events++
	if drop {
		s.drops++
	}
	if s.events == lossBucket {
		s.prevEvents, s.prevDrops = s.events, s.drops
		s.events, s.drops = 0, 0
	}
}

// lossy reports loss too frequent to be random: a policer, a rate-limited
// responder or an overflowing queue.
func (s *path) lossy() bool {
	n := s.events + s.prevEvents
	return n >= lossMinEvents && float64(s.drops+s.prevDrops) > lossTolerance*float64(n)
}

// Extended slow start (perf.probeSSThresh) stops once the recent RTT floor
// is above minRTT·(1+1/idleDiv) + idleSlack: the first sign of a queue.
const (
	idleDiv   = 8
	idleSlack = time.Millisecond
)

// idle reports a path with no sign of a queue: enough samples, and the
// recent RTT floor at the least RTT seen.
func (s *path) idle() bool {
	return s.samples >= pathMinSamples && s.recent() <= s.minRTT+s.minRTT/idleDiv+idleSlack
}
