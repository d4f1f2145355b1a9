package scan

import (
	"context"
	"net/netip"
	"time"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/rawscan"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// runRaw runs a raw-packet technique over hosts, width at a time, and
// reports hosts in the same shape and numbering as the connect driver, so
// the group logic stays one. The raw driver takes fixed groups; it does not
// stream hosts in as others finish yet.
func runRaw(ctx context.Context, p Plan, tech Technique, hosts []*hostState, width int, done func(connectscan.HostResult)) error {
	if p.Watch != nil {
		p.Watch.Technique(tech.Spec.ScanType, len(hosts), len(tech.Ports))
	}
	for lo := 0; lo < len(hosts); lo += width {
		chunk := hosts[lo:min(lo+width, len(hosts))]
		addrs := make([]netip.Addr, len(chunk))
		for i, h := range chunk {
			addrs[i] = h.target.Addr
		}
		opt := p.Raw
		opt.Carry = p.carries.of(tech.PluginID)
		if opt.Debug == nil && p.Log.IsDebug() {
			opt.Debug = p.Log.Debug
		}
		if p.Watch != nil {
			base := lo
			opt.OnPort = func(h int, port sdk.Port) { p.Watch.Port(hosts[base+h].target.Addr, port) }
		}
		err := rawscan.Run(ctx, rawTiming(p, tech), tech.Spec, opt, addrs, tech.Ports, func(r rawscan.HostResult) {
			r.Host += lo
			done(connectscan.HostResult(r))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// udpBoostStart is Nmap's first boosted scan delay for UDP (§2.5): Linux
// answers about one ICMP port unreachable per second per host, so a UDP
// scan slows much faster than a TCP one once its probes go unanswered.
const udpBoostStart = 50 * time.Millisecond

// rawTiming is the engine's configuration for one technique: UDP starts
// its scan-delay boosts at 50 ms and is capped by the UDP maximum.
func rawTiming(p Plan, tech Technique) ultrascan.Config {
	cfg := p.Timing
	// An IP protocol scan's closed answer is an ICMP error too, under the
	// same rate limit.
	if tech.Spec.Proto == sdk.ProtoUDP || tech.Spec.Proto == sdk.ProtoIP {
		cfg.BoostStart = udpBoostStart
		if p.MaxUDPScanDelay > 0 {
			cfg.MaxScanDelay = p.MaxUDPScanDelay
		}
	}
	// --defeat-icmp-ratelimit makes silence closed|filtered: the user
	// chose not to wait out the ICMP rate limit, which is all pacing does.
	if tech.Spec.Silence.State == sdk.StateClosedFiltered {
		cfg.NoPacing = true
	}
	return cfg
}
