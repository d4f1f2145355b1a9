package servicescan

import (
	"context"
	"fmt"
	"sync"

	"github.com/scanfw/scanfw/sdk"
)

// Matcher is what the service phase needs of a service.* plugin.
type Matcher interface {
	Match(ctx context.Context, items []sdk.MatchItem) ([]sdk.MatchResult, error)
}

// maxBatch bounds one Match call; more waiting items go in the next one.
const maxBatch = 256

// batcher turns many goroutines' single matches into few Match calls: one
// call is in flight at a time (the plugin's stream is one conversation),
// and everything that arrives meanwhile goes into the next.
type batcher struct {
	m Matcher

	mu      sync.Mutex
	nextID  uint64
	queue   []pending
	running bool
	err     error // sticky: a matcher that failed once fails the phase
}

type pending struct {
	item sdk.MatchItem
	done chan matchAnswer
}

type matchAnswer struct {
	res sdk.MatchResult
	err error
}

func newBatcher(m Matcher) *batcher { return &batcher{m: m} }

// match submits one item and waits for its answer or ctx. ctx bounds only
// the waiting: the batch itself runs on the scan's context, so giving up
// on one port does not break the stream for every other.
func (b *batcher) match(ctx, scanCtx context.Context, it sdk.MatchItem) (sdk.MatchResult, error) {
	done := make(chan matchAnswer, 1)
	b.mu.Lock()
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return sdk.MatchResult{}, err
	}
	b.nextID++
	it.ID = b.nextID
	b.queue = append(b.queue, pending{it, done})
	if !b.running {
		b.running = true
		go b.loop(scanCtx)
	}
	b.mu.Unlock()
	select {
	case a := <-done:
		return a.res, a.err
	case <-ctx.Done():
		return sdk.MatchResult{}, ctx.Err()
	}
}

func (b *batcher) loop(ctx context.Context) {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		n := min(len(b.queue), maxBatch)
		batch := b.queue[:n:n]
		b.queue = append([]pending(nil), b.queue[n:]...)
		b.mu.Unlock()

		items := make([]sdk.MatchItem, len(batch))
		for i, p := range batch {
			items[i] = p.item
		}
		res, err := b.m.Match(ctx, items)
		if err == nil && len(res) != len(items) {
			err = fmt.Errorf("matcher answered %d of %d items", len(res), len(items))
		}
		if err != nil {
			err = fmt.Errorf("service matcher: %w", err)
			b.mu.Lock()
			b.err = err
			rest := b.queue
			b.queue = nil
			b.running = false
			b.mu.Unlock()
			for _, p := range append(batch, rest...) {
				p.done <- matchAnswer{err: err}
			}
			return
		}
		byID := make(map[uint64]sdk.MatchResult, len(res))
		for _, r := range res {
			byID[r.ID] = r
		}
		for _, p := range batch {
			p.done <- matchAnswer{res: byID[p.item.ID]}
		}
	}
}
