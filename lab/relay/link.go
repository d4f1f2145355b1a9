package relay

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// DirStats are the counters of one direction.
type DirStats struct {
	In        uint64 // frames received from the input interface
	Out       uint64 // frames sent on the output interface
	Lost      uint64 // frames dropped by the configured loss
	QueueFull uint64 // frames dropped because the queue was full (drop-tail)
	Oversize  uint64 // frames larger than a queue slot, dropped
	SendDrops uint64 // frames the kernel refused to send after retries
	RingDrops uint64 // frames the kernel dropped because the receive ring was full
	CsumFixed uint64 // frames whose TCP/UDP checksum the relay completed
	MaxDepth  uint64 // largest number of frames queued at once
}

// Dropped is every frame that came in and will not go out.
func (d DirStats) Dropped() uint64 {
	return d.Lost + d.QueueFull + d.Oversize + d.SendDrops
}

func (d DirStats) String() string {
	return fmt.Sprintf("in=%d out=%d dropped=%d (loss=%d queue-full=%d oversize=%d send=%d) ring-drops=%d csum-fixed=%d max-queue=%d",
		d.In, d.Out, d.Dropped(), d.Lost, d.QueueFull, d.Oversize, d.SendDrops, d.RingDrops, d.CsumFixed, d.MaxDepth)
}

// Stats are the counters of both directions.
type Stats struct {
	AB, BA DirStats
}

// WriteTo prints one line per direction, the format the CLI uses on stderr.
func (s Stats) WriteTo(w io.Writer) (int64, error) {
	n, err := fmt.Fprintf(w, "relay a->b: %v\nrelay b->a: %v\n", s.AB, s.BA)
	return int64(n), err
}

type counters struct {
	in, out, lost, full, oversize, sendDrops, ringDrops, csumFixed atomic.Uint64
}

// Link is one direction of the relay: the scheduler that decides each frame's
// fate, the queue that holds it until then, and the counters. The receiver
// offers frames under one lock per receive block; the sender takes due frames
// in batches under one lock per batch.
type Link struct {
	mu    sync.Mutex
	q     *Queue
	sched *Scheduler
	wake  chan struct{} // capacity 1: "the earliest release time moved earlier"
	c     counters
}

// NewLink builds one direction with room for capacity frames of slotSize bytes.
func NewLink(im Impairment, seed, stream uint64, reorder bool, capacity, slotSize int) *Link {
	return &Link{
		q:     NewQueue(capacity, slotSize, reorder),
		sched: NewScheduler(im, seed, stream, reorder),
		wake:  make(chan struct{}, 1),
	}
}

// Offer copies one frame that arrived at arrival into the link, or counts why
// it was dropped. It is the convenience form of the receiver's batch path.
func (l *Link) Offer(frame []byte, arrival time.Duration) {
	b := l.begin()
	if buf, ok := b.admit(len(frame)); ok {
		b.commit(copy(buf, frame), arrival)
	}
	b.end()
}

// Take appends the frames due at now to out (up to its capacity), copying
// them out of the queue. Tests and simple callers use it; the sender uses
// the zero-copy batch path.
func (l *Link) Take(now time.Duration, out [][]byte) [][]byte {
	slots := make([]int32, 0, cap(out)-len(out))
	l.mu.Lock()
	slots = l.q.PopDue(now, slots)
	for _, s := range slots {
		out = append(out, append([]byte(nil), l.q.Frame(s)...))
	}
	l.q.Free(slots)
	l.mu.Unlock()
	l.c.out.Add(uint64(len(slots)))
	return out
}

// Stats returns a snapshot of the counters.
func (l *Link) Stats() DirStats {
	l.mu.Lock()
	depth := l.q.MaxDepth()
	l.mu.Unlock()
	return DirStats{
		In:        l.c.in.Load(),
		Out:       l.c.out.Load(),
		Lost:      l.c.lost.Load(),
		QueueFull: l.c.full.Load(),
		Oversize:  l.c.oversize.Load(),
		SendDrops: l.c.sendDrops.Load(),
		RingDrops: l.c.ringDrops.Load(),
		CsumFixed: l.c.csumFixed.Load(),
		MaxDepth:  uint64(depth),
	}
}

// batch is a receiver's hold on the link for one receive block.
type batch struct {
	l          *Link
	slot       int32
	reserved   bool
	before     time.Duration
	hadBefore  bool
	in, lost   uint64
	full, over uint64
}

func (l *Link) begin() batch {
	l.mu.Lock()
	b := batch{l: l}
	b.before, b.hadBefore = l.q.Next()
	return b
}

// admit counts a frame of size n and draws its fate; when it is kept it
// returns the slot buffer to copy it into, to be followed by commit.
func (b *batch) admit(n int) ([]byte, bool) {
	b.in++
	if b.l.sched.Lose() {
		b.lost++
		return nil, false
	}
	if n > b.l.q.SlotSize() {
		b.over++
		return nil, false
	}
	slot, buf, ok := b.l.q.Reserve()
	if !ok {
		b.full++
		return nil, false
	}
	b.slot, b.reserved = slot, true
	return buf, true
}

// commit queues the frame written by the last admit; n <= 0 gives the slot back.
func (b *batch) commit(n int, arrival time.Duration) {
	if !b.reserved {
		return
	}
	b.reserved = false
	if n <= 0 {
		b.l.q.Unreserve(b.slot)
		return
	}
	b.l.q.Commit(b.slot, n, b.l.sched.Release(arrival))
}

func (b *batch) end() {
	l := b.l
	after, ok := l.q.Next()
	l.mu.Unlock()
	l.c.in.Add(b.in)
	l.c.lost.Add(b.lost)
	l.c.full.Add(b.full)
	l.c.oversize.Add(b.over)
	if ok && (!b.hadBefore || after < b.before) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// takeSlots frees the previous batch's slots and pops the next due batch; it
// also reports the earliest remaining release time.
func (l *Link) takeSlots(now time.Duration, done, out []int32) ([]int32, time.Duration, bool) {
	l.mu.Lock()
	l.q.Free(done)
	out = l.q.PopDue(now, out)
	next, ok := l.q.Next()
	l.mu.Unlock()
	return out, next, ok
}
