package rawio

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// SenderPool fills batches of frames on the caller's goroutine and sends
// each full batch on one of several sender goroutines, each with its own
// AF_PACKET socket on its own OS thread.
//
// Why: on veth (and lo) the receiving side's kernel work, the target's SYN
// handling and its RST, runs as softirq inside the sender's system call.
// One sending thread therefore does the target's work too and is the
// scan's limit on a machine with idle CPUs (packet-rate.md: one sendmmsg
// thread 215 k probes/s, two 370 k). With a pool the scan loop keeps
// deciding and building while the kernel work of earlier batches runs on
// every CPU.
//
// Every committed frame is sent exactly once, by exactly one worker; frames
// of one batch keep their order, batches on different workers may overtake
// each other. Flush hands over the part-filled batch without waiting for
// it to leave. A send error is returned by a later Commit, Flush or Close.
type SenderPool struct {
	slot, batch int
	cur         *poolBatch
	free        chan *poolBatch
	work        chan *poolBatch
	workers     []*Sender
	wg          sync.WaitGroup
	sent        atomic.Uint64
	errOnce     sync.Once
	err         atomic.Pointer[error]
	closed      bool
}

// poolBatch is a batch's frames, back to back in slot-sized buffers.
type poolBatch struct {
	buf  []byte
	lens []int
	n    int
}

// batchesPerWorker bounds how far the filling side may run ahead of the
// senders: enough to keep every worker busy while the next batch fills,
// small enough that a stalled device blocks Commit instead of buffering
// the scan.
const batchesPerWorker = 4

// NewSenderPool opens workers senders (0 means GOMAXPROCS) on interface
// ifindex for frames of up to maxFrame bytes, batch frames per system call
// (0 means DefaultBatch).
func NewSenderPool(ifindex, maxFrame, batch, workers int) (*SenderPool, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nb := workers * batchesPerWorker
	p := &SenderPool{slot: maxFrame, batch: batch,
		free: make(chan *poolBatch, nb), work: make(chan *poolBatch, nb)}
	for range workers {
		// A worker's own frame buffers stay unused: its message headers
		// are pointed into the pool's batches.
		s, err := NewSender(ifindex, maxFrame, batch)
		if err != nil {
			for _, w := range p.workers {
				_ = w.Close()
			}
			return nil, fmt.Errorf("sender pool: %w", err)
		}
		p.workers = append(p.workers, s)
	}
	for range nb {
		p.free <- &poolBatch{buf: make([]byte, batch*maxFrame), lens: make([]int, batch)}
	}
	p.cur = <-p.free
	for _, s := range p.workers {
		p.wg.Add(1)
		go p.run(s)
	}
	return p, nil
}

// run sends the batches handed to one worker until the pool closes.
func (p *SenderPool) run(s *Sender) {
	defer p.wg.Done()
	// A locked thread: the kernel work done inside sendmmsg is what the
	// pool spreads over CPUs, so each worker should be a thread of its own.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b := range p.work {
		if p.err.Load() == nil {
			for i := 0; i < b.n; i++ {
				f := b.buf[i*p.slot : i*p.slot+b.lens[i]]
				s.iov[i].Base = &f[0]
				s.iov[i].SetLen(len(f))
				s.addrs[i].Protocol = 0
				if len(f) >= ethLen {
					s.addrs[i].Protocol = uint16(f[13])<<8 | uint16(f[12])
				}
			}
			s.n = b.n
			before := s.sent
			if err := s.Flush(); err != nil {
				p.fail(err)
			}
			p.sent.Add(s.sent - before)
		}
		b.n = 0
		p.free <- b
	}
}

func (p *SenderPool) fail(err error) {
	p.errOnce.Do(func() { p.err.Store(&err) })
}

func (p *SenderPool) loadErr() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Slot returns the buffer for the next frame. Fill it and call Commit.
func (p *SenderPool) Slot() []byte {
	o := p.cur.n * p.slot
	return p.cur.buf[o : o+p.slot : o+p.slot]
}

// Commit queues the frame of length n written into Slot, handing the batch
// to a worker when it is full.
func (p *SenderPool) Commit(n int) error {
	if n <= 0 {
		return nil
	}
	p.cur.lens[p.cur.n] = n
	p.cur.n++
	if p.cur.n == p.batch {
		p.handOver()
	}
	return p.loadErr()
}

// Flush hands the queued frames to a worker; it does not wait for them to
// leave.
func (p *SenderPool) Flush() error {
	if p.cur.n > 0 {
		p.handOver()
	}
	return p.loadErr()
}

func (p *SenderPool) handOver() {
	p.work <- p.cur
	p.cur = <-p.free
}

// Sent is the number of frames the kernel accepted so far.
func (p *SenderPool) Sent() uint64 { return p.sent.Load() }

// Close sends what is queued, waits for the workers and closes their
// sockets.
func (p *SenderPool) Close() error {
	if p.closed {
		return p.loadErr()
	}
	p.closed = true
	if p.cur.n > 0 {
		p.work <- p.cur
	}
	close(p.work)
	p.wg.Wait()
	// Side by side: each close waits an RCU grace period.
	errs := make([]error, len(p.workers)+1)
	errs[0] = p.loadErr()
	var wg sync.WaitGroup
	for i, s := range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = s.Close()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
