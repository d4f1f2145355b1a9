package hostping

import (
	"testing"
	"time"
)

const ms = time.Millisecond

func TestRTTEstimateTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		samples    []time.Duration
		min, max   time.Duration
		want       time.Duration
		srtt, rvar time.Duration
	}{
		{name: "nothing timed: the initial timeout", min: 100 * ms, max: 10 * time.Second, want: time.Second},
		{name: "initial above --max-rtt-timeout", min: 100 * ms, max: 500 * ms, want: 500 * ms},
		{name: "initial below --min-rtt-timeout", min: 2 * time.Second, max: 10 * time.Second, want: 2 * time.Second},
		// A farm answer (0.1 ms): srtt 0.1 ms + 4 * 5 ms is under the floor.
		{name: "fast answer: never below --min-rtt-timeout", samples: []time.Duration{100 * time.Microsecond},
			min: 100 * ms, max: 10 * time.Second, want: 100 * ms, srtt: 100 * time.Microsecond, rvar: 5 * ms},
		{name: "one 50 ms answer", samples: []time.Duration{50 * ms},
			min: 100 * ms, max: 10 * time.Second, want: 250 * ms, srtt: 50 * ms, rvar: 50 * ms},
		// srtt 100 + (20-100)/8 = 90; rttvar 100 + (80-100)/4 = 95.
		{name: "smoothed", samples: []time.Duration{100 * ms, 20 * ms},
			min: 100 * ms, max: 10 * time.Second, want: 470 * ms, srtt: 90 * ms, rvar: 95 * ms},
		{name: "slow answer capped by --max-rtt-timeout", samples: []time.Duration{3 * time.Second},
			min: 100 * ms, max: 5 * time.Second, want: 5 * time.Second, srtt: 3 * time.Second, rvar: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var e rttEstimate
			for _, s := range tc.samples {
				e.add(s)
			}
			if got := e.timeout(time.Second, tc.min, tc.max); got != tc.want {
				t.Errorf("timeout = %v, want %v", got, tc.want)
			}
			if e.srtt != tc.srtt || e.rttvar != tc.rvar {
				t.Errorf("srtt, rttvar = %v, %v; want %v, %v", e.srtt, e.rttvar, tc.srtt, tc.rvar)
			}
		})
	}
}

func TestRetrySpacing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		timeout, want time.Duration
	}{
		{"initial timeout: capped at 100 ms", time.Second, 100 * ms},
		{"learnt floor: a quarter", 100 * ms, 25 * ms},
		{"tiny --max-rtt-timeout: at least 1 ms", 2 * ms, ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := retrySpacing(tc.timeout); got != tc.want {
				t.Errorf("retrySpacing(%v) = %v, want %v", tc.timeout, got, tc.want)
			}
		})
	}
}

func TestRunEnd(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		kinds []kindWait
		want  time.Time
	}{
		{"one timeout after the last probe", []kindWait{{remaining: 3, lastSent: t0, timeout: time.Second}}, t0.Add(time.Second)},
		{"the later of two kinds", []kindWait{
			{remaining: 1, lastSent: t0.Add(300 * ms), timeout: 100 * ms},
			{remaining: 1, lastSent: t0.Add(100 * ms), timeout: time.Second},
		}, t0.Add(1100 * ms)},
		{"a kind with every host answered does not hold the run", []kindWait{
			{remaining: 2, lastSent: t0.Add(300 * ms), timeout: 100 * ms},
			{remaining: 0, lastSent: t0.Add(100 * ms), timeout: time.Second},
		}, t0.Add(400 * ms)},
		{"a kind never sent does not either", []kindWait{{remaining: 5, timeout: time.Second}}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := runEnd(tc.kinds); !got.Equal(tc.want) {
				t.Errorf("runEnd = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRTTSample(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	last := first.Add(100 * ms)
	now := first.Add(130 * ms)
	for _, tc := range []struct {
		name         string
		tries, which int
		want         time.Duration
	}{
		{"answer to the last try", 2, 1, 30 * ms},
		{"answer to the first try", 2, 0, 130 * ms},
		{"answer that names no try: from the first, an upper bound", 2, -1, 130 * ms},
		{"only one try sent", 1, -1, 130 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, l := first, last
			if tc.tries == 1 {
				l = first
			}
			if got := rttSample(now, f, l, tc.tries, tc.which); got != tc.want {
				t.Errorf("rttSample = %v, want %v", got, tc.want)
			}
		})
	}
}
