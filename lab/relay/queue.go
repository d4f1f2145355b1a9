package relay

import "time"

// Queue holds frames waiting for their release time. All frame memory is
// allocated once in NewQueue: a frame lives in a fixed-size slot from Reserve
// until Free, so the steady state allocates nothing.
//
// Without reordering the release times are non-decreasing (the Scheduler
// guarantees it), so a FIFO ring is already time-ordered and costs O(1).
// With reordering a binary heap orders the slots by (release, arrival
// sequence), so frames with equal release times keep their order.
//
// Queue is not safe for concurrent use; Link adds the lock.
type Queue struct {
	slotSize int
	buf      []byte
	length   []int
	release  []time.Duration
	seq      []uint64
	free     []int32 // stack of unused slots
	nextSeq  uint64

	reorder bool
	order   []int32 // FIFO ring (reorder off) or heap (reorder on)
	head    int     // FIFO only
	n       int
	max     int
}

// NewQueue returns a queue of capacity frames of at most slotSize bytes.
func NewQueue(capacity, slotSize int, reorder bool) *Queue {
	q := &Queue{
		slotSize: slotSize,
		buf:      make([]byte, capacity*slotSize),
		length:   make([]int, capacity),
		release:  make([]time.Duration, capacity),
		seq:      make([]uint64, capacity),
		free:     make([]int32, capacity),
		reorder:  reorder,
		order:    make([]int32, capacity),
	}
	for i := range q.free {
		q.free[i] = int32(capacity - 1 - i)
	}
	return q
}

// Len is the number of frames waiting to be released.
func (q *Queue) Len() int { return q.n }

// MaxDepth is the largest Len seen so far.
func (q *Queue) MaxDepth() int { return q.max }

// SlotSize is the largest frame a slot holds.
func (q *Queue) SlotSize() int { return q.slotSize }

// Reserve hands out a free slot to copy a frame into; ok is false when every
// slot is queued or still being sent (the caller drops the frame: drop-tail).
func (q *Queue) Reserve() (slot int32, buf []byte, ok bool) {
	if len(q.free) == 0 {
		return 0, nil, false
	}
	slot = q.free[len(q.free)-1]
	q.free = q.free[:len(q.free)-1]
	off := int(slot) * q.slotSize
	return slot, q.buf[off : off+q.slotSize : off+q.slotSize], true
}

// Unreserve gives back a slot from Reserve that will not be committed.
func (q *Queue) Unreserve(slot int32) { q.free = append(q.free, slot) }

// Commit queues the n bytes written into slot for release at the given time.
func (q *Queue) Commit(slot int32, n int, release time.Duration) {
	q.length[slot] = n
	q.release[slot] = release
	q.seq[slot] = q.nextSeq
	q.nextSeq++
	if q.reorder {
		q.order[q.n] = slot
		q.n++
		q.up(q.n - 1)
	} else {
		q.order[(q.head+q.n)%len(q.order)] = slot
		q.n++
	}
	q.max = max(q.max, q.n)
}

// Next reports the release time of the earliest queued frame.
func (q *Queue) Next() (release time.Duration, ok bool) {
	if q.n == 0 {
		return 0, false
	}
	if q.reorder {
		return q.release[q.order[0]], true
	}
	return q.release[q.order[q.head]], true
}

// PopDue moves frames whose release time is not after now, earliest first,
// onto out until out is full (cap), and returns it. The slots stay owned by
// the caller until Free.
func (q *Queue) PopDue(now time.Duration, out []int32) []int32 {
	for len(out) < cap(out) && q.n > 0 {
		var s int32
		if q.reorder {
			s = q.order[0]
			if q.release[s] > now {
				break
			}
			q.n--
			q.order[0] = q.order[q.n]
			q.down(0)
		} else {
			s = q.order[q.head]
			if q.release[s] > now {
				break
			}
			q.head = (q.head + 1) % len(q.order)
			q.n--
		}
		out = append(out, s)
	}
	return out
}

// Frame returns the bytes held in a slot handed out by PopDue.
func (q *Queue) Frame(slot int32) []byte {
	off := int(slot) * q.slotSize
	return q.buf[off : off+q.length[slot]]
}

// Free returns slots handed out by PopDue.
func (q *Queue) Free(slots []int32) { q.free = append(q.free, slots...) }

func (q *Queue) less(i, j int) bool {
	a, b := q.order[i], q.order[j]
	if q.release[a] != q.release[b] {
		return q.release[a] < q.release[b]
	}
	return q.seq[a] < q.seq[b]
}

func (q *Queue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.order[i], q.order[p] = q.order[p], q.order[i]
		i = p
	}
}

func (q *Queue) down(i int) {
	for {
		l := 2*i + 1
		if l >= q.n {
			return
		}
		m := l
		if r := l + 1; r < q.n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q.order[i], q.order[m] = q.order[m], q.order[i]
		i = m
	}
}
