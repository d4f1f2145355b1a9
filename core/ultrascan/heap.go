package ultrascan

import "time"

// timer is one entry of a lazy timer heap: host h (or probe p) wants
// attention at at. Entries are never removed or re-keyed in place: an
// owner that needs an earlier time pushes a new entry and remembers its
// time, so an entry whose time no longer matches its owner's is stale and
// skipped when it surfaces. This keeps every operation O(log n) without
// index bookkeeping.
type timer struct {
	at time.Time
	h  int32
	p  *probe
}

type timerHeap []timer

func (q timerHeap) Len() int { return len(q) }

func (q timerHeap) top() (timer, bool) {
	if len(q) == 0 {
		return timer{}, false
	}
	return q[0], true
}

func (q *timerHeap) push(t timer) {
	*q = append(*q, t)
	s := *q
	i := len(s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !s[i].at.Before(s[parent].at) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

// popDue removes and returns the earliest entry if it is due by now.
func (q *timerHeap) popDue(now time.Time) (timer, bool) {
	s := *q
	if len(s) == 0 || s[0].at.After(now) {
		return timer{}, false
	}
	t := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].at.Before(s[m].at) {
			m = l
		}
		if r < len(s) && s[r].at.Before(s[m].at) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*q = s
	return t, true
}
