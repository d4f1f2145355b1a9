package ports_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/scanfw/scanfw/core/ports"
)

// TestRangesLongUnsorted checks the bitmap path of Ranges (long unsorted
// input) against the sorted path on the same ports.
func TestRangesLongUnsorted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 2))
	shuffled := func(ps []uint16) []uint16 {
		ps = slices.Clone(ps)
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		return ps
	}
	span := func(lo, hi int) []uint16 {
		var ps []uint16
		for p := lo; p <= hi; p++ {
			ps = append(ps, uint16(p))
		}
		return ps
	}
	random := make([]uint16, 5000)
	for i := range random {
		random[i] = uint16(rng.IntN(1 << 16)) // with repeats
	}
	tests := []struct {
		name string
		in   []uint16
		want string // "" means: what the sorted input gives
	}{
		{"every port but 0", shuffled(span(1, 65535)), "1-65535"},
		{"every port", shuffled(span(0, 65535)), "0-65535"},
		{"word edges", shuffled(append(span(2000, 3100), 0, 63, 64, 127, 129, 65534, 65535)),
			"0,63-64,127,129,2000-3100,65534-65535"},
		{"random with repeats", random, ""},
		{"the top port alone after a gap", shuffled(append(span(1, 1100), 65535)), "1-1100,65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if slices.IsSorted(tc.in) {
				t.Fatal("input is sorted: the case would not take the bitmap path")
			}
			want := tc.want
			if want == "" {
				sorted := slices.Clone(tc.in)
				slices.Sort(sorted)
				want = ports.Ranges(sorted)
			}
			if got := ports.Ranges(tc.in); got != want {
				t.Errorf("Ranges = %.80q..., want %.80q...", got, want)
			}
		})
	}
}
