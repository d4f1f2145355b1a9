package relay

import (
	"encoding/binary"
	"testing"
	"time"
)

// fakeClock is the injected clock: tests move time by hand.
type fakeClock struct{ now time.Duration }

func (c *fakeClock) Now() time.Duration      { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now += d }

func frame(i int) []byte {
	b := make([]byte, 60)
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

func ids(fs [][]byte) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = int(binary.BigEndian.Uint32(f))
	}
	return out
}

func TestLinkReleasesAfterDelay(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	l := NewLink(Impairment{Delay: 50 * time.Millisecond}, 1, 0, false, 16, 64)
	for i := range 3 {
		l.Offer(frame(i), clk.Now())
		clk.Advance(time.Millisecond)
	}
	clk.Advance(46 * time.Millisecond) // now 49 ms: nothing due
	if got := l.Take(clk.Now(), make([][]byte, 0, 8)); len(got) != 0 {
		t.Fatalf("%d frames released before the delay", len(got))
	}
	clk.Advance(time.Millisecond + 500*time.Microsecond) // 50.5 ms
	if got := ids(l.Take(clk.Now(), make([][]byte, 0, 8))); len(got) != 1 || got[0] != 0 {
		t.Fatalf("at 50.5 ms got %v, want [0]", got)
	}
	clk.Advance(10 * time.Millisecond)
	if got := ids(l.Take(clk.Now(), make([][]byte, 0, 8))); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("got %v, want [1 2]", got)
	}
	if s := l.Stats(); s.In != 3 || s.Out != 3 || s.MaxDepth != 3 || s.Dropped() != 0 {
		t.Errorf("stats %v", s)
	}
}

func TestLinkOrderWithJitter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		reorder bool
	}{{"in order", false}, {"reordering allowed", true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{}
			l := NewLink(Impairment{Delay: 10 * time.Millisecond, Jitter: 8 * time.Millisecond}, 5, 0, c.reorder, 2048, 64)
			var got []int
			buf := make([][]byte, 0, 64)
			for i := range 1000 {
				l.Offer(frame(i), clk.Now())
				clk.Advance(100 * time.Microsecond)
				got = append(got, ids(l.Take(clk.Now(), buf[:0]))...)
			}
			clk.Advance(time.Second)
			for {
				b := l.Take(clk.Now(), buf[:0])
				if len(b) == 0 {
					break
				}
				got = append(got, ids(b)...)
			}
			if len(got) != 1000 {
				t.Fatalf("released %d of 1000", len(got))
			}
			inversions := 0
			for i := 1; i < len(got); i++ {
				if got[i] < got[i-1] {
					inversions++
				}
			}
			if !c.reorder && inversions != 0 {
				t.Errorf("%d reordered frames with reordering off", inversions)
			}
			if c.reorder && inversions == 0 {
				t.Errorf("no reordering with 8 ms jitter over 0.1 ms spacing")
			}
		})
	}
}

func TestLinkDropTail(t *testing.T) {
	t.Parallel()
	l := NewLink(Impairment{Delay: time.Second}, 1, 0, false, 4, 64)
	for i := range 10 {
		l.Offer(frame(i), 0)
	}
	l.Offer(make([]byte, 65), 0) // larger than a slot
	s := l.Stats()
	if s.In != 11 || s.QueueFull != 6 || s.Oversize != 1 || s.MaxDepth != 4 {
		t.Fatalf("stats %v, want in=11 queue-full=6 oversize=1 max-queue=4", s)
	}
	if got := ids(l.Take(time.Second, make([][]byte, 0, 10))); len(got) != 4 || got[0] != 0 || got[3] != 3 {
		t.Fatalf("kept %v, want the first four (drop-tail)", got)
	}
	// Slots come back: the queue accepts again.
	l.Offer(frame(99), time.Second)
	if got := ids(l.Take(3*time.Second, make([][]byte, 0, 10))); len(got) != 1 || got[0] != 99 {
		t.Fatalf("after freeing got %v", got)
	}
}

func TestLinkLossMatchesScheduler(t *testing.T) {
	t.Parallel()
	im := Impairment{Loss: 0.1}
	l := NewLink(im, 77, 1, false, 64, 64)
	s := NewScheduler(im, 77, 1, false)
	want := 0
	for i := range 5000 {
		l.Offer(frame(i), 0)
		l.Take(0, make([][]byte, 0, 4))
		if s.Lose() {
			want++
		}
	}
	if got := l.Stats().Lost; got != uint64(want) {
		t.Errorf("link lost %d, scheduler with the same seed loses %d", got, want)
	}
}

func TestLinkOfferDoesNotAllocate(t *testing.T) {
	l := NewLink(Impairment{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 0.1}, 1, 0, false, 1024, 64)
	f := frame(1)
	slots := make([]int32, 0, 64)
	var now time.Duration
	allocs := testing.AllocsPerRun(1000, func() {
		l.Offer(f, now)
		now += 10 * time.Microsecond
		slots, _, _ = l.takeSlots(now, slots, slots[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame in steady state", allocs)
	}
}
