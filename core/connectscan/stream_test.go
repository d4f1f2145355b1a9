package connectscan

import (
	"context"
	"net/netip"
	"testing"

	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// TestStreamKeepsGroupFull scans 20 loopback hosts through a group of 3:
// every host is scanned once, never more than 3 are in the scan at once,
// and hosts are admitted as others finish.
func TestStreamKeepsGroupFull(t *testing.T) {
	t.Parallel()
	open, closed := listen(t, "tcp4", "127.0.0.1", 2)
	ports := append([]uint16{closed}, open...)
	const hosts, width = 20, 3
	var (
		given, finished, peak int
		seen                  = map[netip.Addr]int{}
	)
	next := func() (Target, bool) {
		if given == hosts {
			return Target{}, false
		}
		given++
		peak = max(peak, given-finished)
		return Target{Addr: netip.AddrFrom4([4]byte{127, 0, 0, byte(given)}), Seed: ultrascan.NoSeed}, true
	}
	err := Stream(context.Background(), ultrascan.DefaultConfig(), spec, ports, width, next, func(r HostResult) {
		finished++
		seen[r.Addr]++
		if r.Addr == netip.MustParseAddr("127.0.0.1") {
			for _, p := range open {
				if e, _ := r.Table.Get(sdk.ProtoTCP, p); e.State != sdk.StateOpen {
					t.Errorf("127.0.0.1:%d %+v, want open", p, e)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != hosts || finished != hosts {
		t.Errorf("%d hosts finished (%d distinct), want %d", finished, len(seen), hosts)
	}
	if peak > width {
		t.Errorf("%d hosts in the scan at once, want at most %d", peak, width)
	}
}

func TestStreamRejectsEmptyGroup(t *testing.T) {
	t.Parallel()
	err := Stream(context.Background(), ultrascan.DefaultConfig(), spec, []uint16{1}, 0, func() (Target, bool) { return Target{}, false }, func(HostResult) {})
	if err == nil {
		t.Error("a group of 0 hosts was accepted")
	}
}
