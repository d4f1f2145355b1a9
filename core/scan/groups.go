package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// discoveryBatch is how many targets discovery and reverse DNS take at
// once (Nmap's PING_GROUP_SZ), whatever the port-scan group size.
const discoveryBatch = 4096

// run takes the targets in discovery batches: each batch is discovered,
// named, and its live hosts port-scanned in a streaming group before the
// next batch is read, so memory stays flat over any number of targets.
func run(ctx context.Context, p Plan, sink Sink, end *sdk.ScanEnd) error {
	size := max(discoveryBatch, p.MinGroup)
	for {
		batch, err := nextBatch(ctx, p, size)
		if len(batch) > 0 {
			if p.Shuffle != nil {
				p.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			}
			end.HostsTotal += len(batch)
			if berr := runBatch(ctx, p, sink, batch, end); berr != nil {
				return berr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// nextBatch takes up to n targets. Resolution failures of single names are
// logged and skipped, as Nmap does ("Failed to resolve"), and do not stop
// the scan.
func nextBatch(ctx context.Context, p Plan, n int) ([]targets.Target, error) {
	var out []targets.Target
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		t, err := p.Targets(ctx)
		if errors.Is(err, io.EOF) {
			return out, err
		}
		var re *targets.ResolveError
		if errors.As(err, &re) {
			p.Log.Warn("failed to resolve", "target", re.Name, "error", re.Err)
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

func runBatch(ctx context.Context, p Plan, sink Sink, batch []targets.Target, end *sdk.ScanEnd) error {
	hosts := make([]*hostState, len(batch))
	for i, t := range batch {
		hosts[i] = &hostState{target: t, start: time.Now()}
	}
	if p.ListOnly {
		// Nmap lists every target as "unknown", counted as not up.
		for _, h := range hosts {
			h.status = sdk.HostStatus{State: "unknown", Reason: "user-set"}
		}
		if err := nameHosts(ctx, p, hosts); err != nil {
			return err
		}
		for _, h := range hosts {
			end.HostsDown++
			h.end = time.Now()
			if err := sink.Host(ctx, h.result(p)); err != nil {
				return err
			}
		}
		return nil
	}
	up, err := discover(ctx, p, hosts)
	if err != nil {
		return err
	}
	named := up
	if p.NamesAll {
		named = hosts
	}
	if err := nameHosts(ctx, p, named); err != nil {
		return err
	}
	for _, h := range hosts {
		if h.status.State != "up" {
			end.HostsDown++
			if err := sink.Host(ctx, h.result(p)); err != nil {
				return err
			}
		}
	}
	if p.PingOnly || len(p.Techniques) == 0 {
		for _, h := range up {
			end.HostsUp++
			h.end = time.Now()
			if err := sink.Host(ctx, h.result(p)); err != nil {
				return err
			}
		}
		return nil
	}
	return portScan(ctx, p, sink, up, end)
}

// nameHosts gives hosts their PTR names. A resolver that fails (no server
// reachable) costs the names, not the scan.
func nameHosts(ctx context.Context, p Plan, hosts []*hostState) error {
	if p.Names == nil || len(hosts) == 0 {
		return nil
	}
	addrs := make([]netip.Addr, len(hosts))
	for i, h := range hosts {
		addrs[i] = h.target.Addr
	}
	names, err := p.Names(ctx, addrs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.Log.Warn("reverse DNS failed; hosts keep no names", "error", err)
	}
	for i, n := range names {
		hosts[i].ptr = n
	}
	return nil
}

// groupSize is Nmap's port-scan group size (nmap-internals §2.8): 128 with
// a UDP or SCTP scan, else max(1024/TCP ports, 64), within the user's
// bounds. Nmap's smaller first group for quick first results is left out:
// a streaming group reports each host as soon as it finishes anyway.
func groupSize(p Plan) int {
	n, tcp := 64, 0
	for _, t := range p.Techniques {
		switch t.Spec.Proto {
		case sdk.ProtoUDP, sdk.ProtoSCTP:
			n = 128
		case sdk.ProtoTCP:
			tcp += len(t.Ports)
		}
	}
	if n != 128 && tcp > 0 {
		n = max(1024/tcp, 64)
	}
	if p.MaxGroup > 0 {
		n = min(n, p.MaxGroup)
	}
	return max(n, p.MinGroup, 1)
}

// portScan scans the live hosts of a batch. With one technique the hosts
// stream through one group that admits the next host as soon as another
// finishes. With several, Nmap runs them one after another over a fixed
// group, and so does this, each technique streaming over that group.
func portScan(ctx context.Context, p Plan, sink Sink, up []*hostState, end *sdk.ScanEnd) error {
	width := groupSize(p)
	if len(p.Techniques) == 1 {
		return scanGroup(ctx, p, sink, up, width, end)
	}
	for lo := 0; lo < len(up); lo += width {
		if err := scanGroup(ctx, p, sink, up[lo:min(lo+width, len(up))], width, end); err != nil {
			return err
		}
	}
	return nil
}

// scanGroup runs every technique over hosts, at most width hosts at once;
// a host goes to the outputs when its last technique finishes.
func scanGroup(ctx context.Context, p Plan, sink Sink, hosts []*hostState, width int, end *sdk.ScanEnd) error {
	for _, h := range hosts {
		h.tables = make([]*portstate.Table, len(p.Techniques))
	}
	// A host is finished after its last technique and its service phase
	// (-sV), which runs while the group scans on.
	deliver := &delivery{ctx: ctx, phase: p.Services, sink: sink}
	for ti, tech := range p.Techniques {
		last := ti == len(p.Techniques)-1
		ended := phaseStart(p, tech, hosts)
		finished := 0
		done := func(r connectscan.HostResult) {
			if finished++; finished == len(hosts) {
				ended()
			}
			h := hosts[r.Host]
			h.tables[ti] = r.Table
			h.srtt, h.rttvar, h.timeout = r.SRTT, r.RTTVar, r.Timeout
			h.timedOut = h.timedOut || r.TimedOut
			if !last {
				return
			}
			h.end = r.End
			end.HostsUp++
			deliver.host(h.result(p))
		}
		i := 0
		next := func() (connectscan.Target, bool) {
			if i == len(hosts) || deliver.failed() {
				return connectscan.Target{}, false
			}
			h := hosts[i]
			i++
			return connectscan.Target{Addr: h.target.Addr, Seed: h.seed()}, true
		}
		var err error
		switch tech.Spec.Transport {
		case sdk.TransportConnect:
			addr := func(h int) netip.Addr { return hosts[h].target.Addr }
			err = connectscan.Stream(ctx, p.Timing, tech.Spec, tech.Ports, width, next, done, append(watchOptions(p, tech, len(hosts), addr), traceOptions(p)...)...)
		case sdk.TransportRawIP, sdk.TransportEthernet:
			err = runRaw(ctx, p, tech, hosts, width, done)
		default:
			return fmt.Errorf("%s: transport %d is not supported by this build", tech.PluginID, tech.Spec.Transport)
		}
		if err != nil {
			deliver.wait()
			return err
		}
		ended()
	}
	return deliver.wait()
}

// seed is what the host's last phase learnt about its round trip, for the
// next phase to start from (Nmap keeps it in Target::to).
func (h *hostState) seed() ultrascan.Seed {
	if h.srtt <= 0 || h.timeout <= 0 {
		return ultrascan.NoSeed
	}
	return ultrascan.Seed{SRTT: h.srtt, RTTVar: h.rttvar, Timeout: h.timeout}
}
