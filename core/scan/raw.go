package scan

import (
	"context"
	"net/netip"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/rawscan"
)

// runRaw runs a raw-packet technique over hosts, width at a time, and
// reports hosts in the same shape and numbering as the connect driver, so
// the group logic stays one. The raw driver takes fixed groups; it does not
// stream hosts in as others finish yet.
func runRaw(ctx context.Context, p Plan, tech Technique, hosts []*hostState, width int, done func(connectscan.HostResult)) error {
	for lo := 0; lo < len(hosts); lo += width {
		chunk := hosts[lo:min(lo+width, len(hosts))]
		addrs := make([]netip.Addr, len(chunk))
		for i, h := range chunk {
			addrs[i] = h.target.Addr
		}
		opt := p.Raw
		if opt.Debug == nil && p.Log.IsDebug() {
			opt.Debug = p.Log.Debug
		}
		err := rawscan.Run(ctx, p.Timing, tech.Spec, opt, addrs, tech.Ports, func(r rawscan.HostResult) {
			r.Host += lo
			done(connectscan.HostResult(r))
		})
		if err != nil {
			return err
		}
	}
	return nil
}
