package scan

import (
	"context"
	"net/netip"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/rawscan"
)

// runRaw runs a raw-packet technique and reports hosts in the same shape as
// the connect driver, so the group logic stays one.
func runRaw(ctx context.Context, p Plan, tech Technique, addrs []netip.Addr, done func(connectscan.HostResult)) error {
	return rawscan.Run(ctx, p.Timing, tech.Spec, p.Raw, addrs, tech.Ports, func(r rawscan.HostResult) {
		done(connectscan.HostResult(r))
	})
}
