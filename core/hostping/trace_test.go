package hostping

import (
	"testing"

	"github.com/scanfw/scanfw/core/packettrace"
)

func TestTracedProbeShowsTheKernelsHeader(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		probe Probe
		want  string
	}{
		{"echo request", list[0], "ICMP [198.18.3.1 > 198.18.3.10 Echo request (type=8/code=0) id=4660 seq=257] IP [ttl=64 id=0 iplen=28 ]"},
		{"SYN to 443", list[1], "TCP 198.18.3.1:40000 > 198.18.3.10:443 S ttl=64 id=0 iplen=40  seq=305398017 win=0 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			buf := make([]byte, 1500)
			n := c.probe.formFor(target).build(buf, us, target, m.port, uint32(m.id)<<16|uint32(seq(1, 1)))
			pkt := ipv4Packet(make([]byte, 20+n), us, target, c.probe.formFor(target).proto, buf[:n])
			if got := packettrace.Describe(pkt); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
			// The header checksum is right: summed with it, all ones.
			var sum uint32
			for i := 0; i < 20; i += 2 {
				sum += uint32(pkt[i])<<8 | uint32(pkt[i+1])
			}
			for sum > 0xffff {
				sum = sum>>16 + sum&0xffff
			}
			if sum != 0xffff {
				t.Errorf("header checksum sums to %#x", sum)
			}
		})
	}
}
