package packettrace

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestNeighbourAdvertIsTracedAsNmapShowsIt(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out bytes.Buffer
	tr := New(&out, start)
	tr.now = func() time.Time { return start.Add(6600 * time.Microsecond) }
	src, dst := netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:1::1")
	mac := net.HardwareAddr{0xd6, 0x61, 0xd7, 0xb8, 0x35, 0x14}
	tr.NeighbourAdvert(src, dst, src, mac, time.Time{})
	tr.NeighbourAdvert(src, dst, src, mac, start.Add(1500*time.Millisecond))
	// Nmap 7.93's line for the same advertisement, time included.
	want := "RCVD (0.0066s) neighbor advertisement 2001:db8:1::2 > 2001:db8:1::1 2001:db8:1::2 is at d6:61:d7:b8:35:14\n" +
		"RCVD (1.5000s) neighbor advertisement 2001:db8:1::2 > 2001:db8:1::1 2001:db8:1::2 is at d6:61:d7:b8:35:14\n"
	if out.String() != want {
		t.Errorf("\n got %q\nwant %q", out.String(), want)
	}
	var none *Tracer
	none.NeighbourAdvert(src, dst, src, mac, time.Time{}) // a nil tracer does nothing
}
