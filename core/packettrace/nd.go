package packettrace

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// DescribeNeighbourAdvert renders the neighbour advertisement that answers
// an ND ping as Nmap does: Nmap prints this line, not the generic ICMPv6
// one, for the reply its neighbour discovery ping reads, with the target's
// link-layer address in lower case.
func DescribeNeighbourAdvert(src, dst, target netip.Addr, mac net.HardwareAddr) string {
	return fmt.Sprintf("neighbor advertisement %s > %s %s is at %s", src, dst, target, mac)
}

// NeighbourAdvert traces such an advertisement, received at the given time
// (the zero time means now).
func (t *Tracer) NeighbourAdvert(src, dst, target netip.Addr, mac net.HardwareAddr, at time.Time) {
	if t == nil {
		return
	}
	if at.IsZero() {
		at = t.now()
	}
	t.line("RCVD", at, DescribeNeighbourAdvert(src, dst, target, mac))
}
