package relay

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Distribution is the shape of the jitter added to a direction's base delay.
type Distribution int

const (
	// Uniform draws the jitter from [-Jitter, +Jitter], like netem's default.
	Uniform Distribution = iota
	// Normal draws the jitter from a normal distribution with standard
	// deviation Jitter (no cut-off other than "never before arrival").
	Normal
)

// ParseDistribution accepts the flag spellings "uniform" and "normal".
func ParseDistribution(s string) (Distribution, error) {
	switch s {
	case "uniform":
		return Uniform, nil
	case "normal":
		return Normal, nil
	}
	return 0, fmt.Errorf("jitter distribution %q: want uniform or normal", s)
}

func (d Distribution) String() string {
	if d == Normal {
		return "normal"
	}
	return "uniform"
}

// Impairment is what one direction of the link does to its frames.
type Impairment struct {
	// Delay is the base one-way delay added to every forwarded frame.
	Delay time.Duration
	// Jitter is the spread around Delay: the half-width for Uniform, the
	// standard deviation for Normal. Zero means a constant delay.
	Jitter time.Duration
	// Dist selects the jitter distribution.
	Dist Distribution
	// Loss is the probability in [0, 1] that a frame is dropped on arrival.
	Loss float64
}

// Validate rejects settings the scheduler cannot honour.
func (im Impairment) Validate() error {
	switch {
	case im.Delay < 0:
		return fmt.Errorf("delay %v is negative", im.Delay)
	case im.Jitter < 0:
		return fmt.Errorf("jitter %v is negative", im.Jitter)
	case !(im.Loss >= 0 && im.Loss <= 1): // also rejects NaN
		return fmt.Errorf("loss %v is outside [0, 1]", im.Loss)
	case im.Dist != Uniform && im.Dist != Normal:
		return fmt.Errorf("unknown jitter distribution %d", im.Dist)
	}
	return nil
}

// Scheduler decides, for one direction, whether a frame is lost and when a
// kept frame leaves. It is pure: times are passed in, randomness comes from
// the seed, so the same seed and arrival sequence give the same decisions.
//
// Loss and jitter use separate random streams so that changing the jitter
// does not change which frames are lost (and vice versa).
type Scheduler struct {
	im      Impairment
	loss    *rand.Rand
	jitter  *rand.Rand
	reorder bool
	last    time.Duration
}

// NewScheduler returns a scheduler for im. stream separates directions that
// share one seed. With reorder false no frame is released before the frame
// scheduled ahead of it, so the direction keeps its order; the price is that
// the effective delay distribution is skewed upwards (a frame whose draw is
// earlier than its predecessor's release waits for it).
func NewScheduler(im Impairment, seed, stream uint64, reorder bool) *Scheduler {
	return &Scheduler{
		im:      im,
		loss:    rand.New(rand.NewPCG(seed, stream*2)),
		jitter:  rand.New(rand.NewPCG(seed, stream*2+1)),
		reorder: reorder,
	}
}

// Lose draws the loss decision for the next frame.
func (s *Scheduler) Lose() bool {
	if s.im.Loss <= 0 {
		return false
	}
	return s.loss.Float64() < s.im.Loss
}

// Release returns the time at which a frame that arrived at arrival may be
// sent. The result is never before arrival, and with reordering off never
// before the previous Release result.
func (s *Scheduler) Release(arrival time.Duration) time.Duration {
	d := s.im.Delay
	if j := s.im.Jitter; j > 0 {
		switch s.im.Dist {
		case Normal:
			d += time.Duration(s.jitter.NormFloat64() * float64(j))
		default:
			d += time.Duration((s.jitter.Float64()*2 - 1) * float64(j))
		}
	}
	if d < 0 {
		d = 0
	}
	at := arrival + d
	if !s.reorder {
		if at < s.last {
			at = s.last
		}
		s.last = at
	}
	return at
}
