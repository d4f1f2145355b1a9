package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a relay between interfaces A and B.
type Config struct {
	// A and B are the interface names; frames from A go out on B (direction
	// AB) and frames from B go out on A (direction BA).
	A, B string
	// AB and BA are the impairments of the two directions.
	AB, BA Impairment
	// Seed makes loss and jitter reproducible; both directions derive their
	// own streams from it.
	Seed uint64
	// QueueLen bounds the frames held per direction (delayed or being sent);
	// arrivals beyond it are dropped and counted as queue-full. Default 16384.
	QueueLen int
	// Reorder lets jitter reorder frames within a direction. By default a
	// frame is never released before the one ahead of it.
	Reorder bool
	// Batch is the most frames handed to one sendmmsg. Default 256.
	Batch int
	// Clock returns monotonic time; nil means the process clock. Tests
	// inject their own.
	Clock func() time.Duration
}

// Relay moves Ethernet frames between two interfaces with per-direction
// delay, jitter and loss. Create it with New, then call Run.
type Relay struct {
	cfg      Config
	ab, ba   *Link
	rxA, rxB *rxRing
	txA, txB *txSocket
	stop     atomic.Bool
	done     chan struct{}
	mu       sync.Mutex // guards closed against Stats reading the rings
	closed   bool
}

// New opens the sockets and allocates every buffer the relay will use.
func New(cfg Config) (*Relay, error) {
	if cfg.A == "" || cfg.B == "" || cfg.A == cfg.B {
		return nil, fmt.Errorf("relay needs two different interfaces, got %q and %q", cfg.A, cfg.B)
	}
	if err := cfg.AB.Validate(); err != nil {
		return nil, fmt.Errorf("direction a->b: %w", err)
	}
	if err := cfg.BA.Validate(); err != nil {
		return nil, fmt.Errorf("direction b->a: %w", err)
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = 16384
	}
	if cfg.Batch == 0 {
		cfg.Batch = 256
	}
	if cfg.QueueLen < 1 || cfg.Batch < 1 {
		return nil, fmt.Errorf("queue length %d and batch %d must be positive", cfg.QueueLen, cfg.Batch)
	}
	if cfg.Clock == nil {
		start := time.Now()
		cfg.Clock = func() time.Duration { return time.Since(start) }
	}
	ifA, err := net.InterfaceByName(cfg.A)
	if err != nil {
		return nil, fmt.Errorf("interface a: %w", err)
	}
	ifB, err := net.InterfaceByName(cfg.B)
	if err != nil {
		return nil, fmt.Errorf("interface b: %w", err)
	}
	// A slot holds the largest frame either side can carry: MTU plus the
	// Ethernet header and one VLAN tag.
	slot := max(ifA.MTU, ifB.MTU) + 14 + 4
	r := &Relay{
		cfg:  cfg,
		ab:   NewLink(cfg.AB, cfg.Seed, 0, cfg.Reorder, cfg.QueueLen, slot),
		ba:   NewLink(cfg.BA, cfg.Seed, 1, cfg.Reorder, cfg.QueueLen, slot),
		done: make(chan struct{}),
	}
	if r.txA, err = openTx(ifA, cfg.Batch); err == nil {
		if r.txB, err = openTx(ifB, cfg.Batch); err == nil {
			if r.rxA, err = openRxRing(ifA); err == nil {
				r.rxB, err = openRxRing(ifB)
			}
		}
	}
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *Relay) close() {
	for _, rx := range []*rxRing{r.rxA, r.rxB} {
		if rx != nil {
			rx.close()
		}
	}
	for _, tx := range []*txSocket{r.txA, r.txB} {
		if tx != nil {
			tx.close()
		}
	}
}

// Run relays until ctx is cancelled or a receive loop fails, then closes
// the sockets. Frames still queued at that point are discarded. A Relay
// runs once.
func (r *Relay) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	failed := make(chan struct{})
	var failOnce sync.Once
	receive := func(i int, rx *rxRing, l *Link) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A receive loop spends its life in poll and ring reads; its own
			// OS thread keeps it from being shuffled between calls.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := rx.run(l, r.cfg.Clock, &r.stop); err != nil {
				errs[i] = err
				failOnce.Do(func() { close(failed) })
			}
		}()
	}
	send := func(l *Link, tx *txSocket) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runSender(l, tx, r.cfg.Clock, &r.stop, r.done)
		}()
	}
	receive(0, r.rxA, r.ab)
	receive(1, r.rxB, r.ba)
	send(r.ab, r.txB)
	send(r.ba, r.txA)
	select {
	case <-ctx.Done():
	case <-failed:
	}
	r.stop.Store(true)
	close(r.done)
	wg.Wait()
	r.mu.Lock()
	r.collectRingDrops()
	r.close()
	r.closed = true
	r.mu.Unlock()
	return errors.Join(errs...)
}

func (r *Relay) collectRingDrops() {
	// PACKET_STATISTICS resets on read, so fold it into the counter.
	r.ab.c.ringDrops.Add(r.rxA.drops())
	r.ba.c.ringDrops.Add(r.rxB.drops())
}

// Stats returns the counters of both directions; safe to call while running.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	if !r.closed {
		r.collectRingDrops()
	}
	r.mu.Unlock()
	return Stats{AB: r.ab.Stats(), BA: r.ba.Stats()}
}
