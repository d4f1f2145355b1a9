// Package scan runs one scan from a plan: it streams targets into host
// groups, decides which hosts are up, runs each probe type's technique on
// them, and hands every finished host to the outputs at once, so the
// outputs grow while the scan runs and an interruption loses nothing that
// was finished.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// Technique is one scan technique of the plan: a probe type's spec and the
// ports it scans.
type Technique struct {
	PluginID string
	Spec     sdk.ProbeSpec
	Ports    []uint16
}

// Plan is everything a scan needs, already resolved from the profile.
type Plan struct {
	Start      sdk.ScanStart
	Targets    func(ctx context.Context) (targets.Target, error) // io.EOF at the end
	Techniques []Technique
	Timing     ultrascan.Config
	// SkipDiscovery is -Pn: every target is up.
	SkipDiscovery bool
	// PingOnly is -sn: discovery only, no port scan.
	PingOnly bool
	View     portstate.View
	// ServiceName names a port from the services table ("" if unknown).
	ServiceName func(sdk.Proto, uint16) string
	// GroupSize is how many hosts are scanned together; 0 picks Nmap's size.
	GroupSize int
	// Services, when set, runs on each host after its port scan (-sV);
	// the host reaches the outputs after it.
	Services ServicePhase
	Log      hclog.Logger
}

// Sink receives the scan's events; the output fan-out implements it.
type Sink interface {
	Start(ctx context.Context, s sdk.ScanStart) error
	Host(ctx context.Context, h sdk.Host) error
	End(ctx context.Context, e sdk.ScanEnd) error
}

// Run executes the plan. It always ends the sink, also when the scan fails
// or ctx is cancelled, so that every output closes its format properly; the
// returned error says why the scan stopped early.
func Run(ctx context.Context, p Plan, sink Sink) (sdk.ScanEnd, error) {
	if p.Log == nil {
		p.Log = hclog.NewNullLogger()
	}
	start := p.Start.Start
	if start.IsZero() {
		start = time.Now()
		p.Start.Start = start
	}
	end := sdk.ScanEnd{Exit: "success"}
	if err := sink.Start(ctx, p.Start); err != nil {
		return end, fmt.Errorf("start outputs: %w", err)
	}
	runErr := run(ctx, p, sink, &end)
	if runErr != nil && ctx.Err() != nil {
		// Report why the scan was stopped (a signal, a plugin that died),
		// not just that it was.
		if cause := context.Cause(ctx); cause != nil {
			runErr = cause
		}
	}
	end.End = time.Now()
	end.Elapsed = end.End.Sub(start)
	if runErr != nil {
		end.Exit = "error"
		end.ErrorMsg = runErr.Error()
	}
	// The scan's context may be cancelled already; ending the outputs must
	// still happen.
	if err := sink.End(context.WithoutCancel(ctx), end); err != nil && runErr == nil {
		runErr = fmt.Errorf("end outputs: %w", err)
	}
	return end, runErr
}

func run(ctx context.Context, p Plan, sink Sink, end *sdk.ScanEnd) error {
	group := p.GroupSize
	if group <= 0 {
		group = groupSize(p.Techniques)
	}
	for {
		batch, err := nextBatch(ctx, p, group)
		if len(batch) > 0 {
			end.HostsTotal += len(batch)
			if gerr := scanGroup(ctx, p, sink, batch, end); gerr != nil {
				return gerr
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

// groupSize follows Nmap's rule for TCP scans: max(1024/ports, 64) hosts,
// so a group holds about the same number of probes whatever the port count.
func groupSize(techs []Technique) int {
	n := 0
	for _, t := range techs {
		n += len(t.Ports)
	}
	if n == 0 {
		return 64
	}
	return max(1024/n, 64)
}

func scanGroup(ctx context.Context, p Plan, sink Sink, batch []targets.Target, end *sdk.ScanEnd) error {
	hosts := make([]*hostState, len(batch))
	for i, t := range batch {
		hosts[i] = &hostState{target: t, start: time.Now()}
	}
	up, err := discover(ctx, p, hosts)
	if err != nil {
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
	if len(up) == 0 {
		return nil
	}
	if p.PingOnly {
		for _, h := range up {
			end.HostsUp++
			h.end = time.Now()
			if err := sink.Host(ctx, h.result(p)); err != nil {
				return err
			}
		}
		return nil
	}
	addrs := make([]netip.Addr, len(up))
	for i, h := range up {
		addrs[i] = h.target.Addr
		h.tables = make([]*portstate.Table, len(p.Techniques))
	}
	// Techniques run one after another over the group, in the plan's order
	// (Nmap's fixed order); a host is finished after the last one and its
	// service phase.
	deliver := &delivery{ctx: ctx, phase: p.Services, sink: sink}
	for ti, tech := range p.Techniques {
		last := ti == len(p.Techniques)-1
		done := func(r connectscan.HostResult) {
			h := up[r.Host]
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
		switch tech.Spec.Transport {
		case sdk.TransportConnect:
			err = connectscan.Run(ctx, p.Timing, tech.Spec, addrs, tech.Ports, done)
		default:
			return fmt.Errorf("%s: transport %d is not supported by this build", tech.PluginID, tech.Spec.Transport)
		}
		if err != nil {
			deliver.wait()
			return err
		}
	}
	return deliver.wait()
}

type hostState struct {
	target                targets.Target
	status                sdk.HostStatus
	start, end            time.Time
	tables                []*portstate.Table
	srtt, rttvar, timeout time.Duration
	timedOut              bool
}

func (h *hostState) result(p Plan) sdk.Host {
	out := sdk.Host{
		Addr: h.target.Addr, Status: h.status, Start: h.start, End: h.end, TimedOut: h.timedOut,
		SRTT: h.srtt, RTTVar: h.rttvar, Timeout: h.timeout,
	}
	if out.End.IsZero() {
		out.End = time.Now()
	}
	if h.target.Name != "" {
		out.Hostnames = []sdk.Hostname{{Name: h.target.Name, Type: "user"}}
	}
	if h.status.State != "up" || h.tables == nil || h.timedOut {
		return out
	}
	var all []sdk.Port
	var extra []sdk.ExtraPorts
	for i, tech := range p.Techniques {
		shown, ex := portstate.Collapse(h.tables[i], []portstate.Scanned{{Proto: tech.Spec.Proto, Ports: tech.Ports, Silence: tech.Spec.Silence}}, p.View)
		all = append(all, shown...)
		extra = append(extra, ex...)
	}
	for i := range all {
		if p.ServiceName == nil {
			break
		}
		// A port the table does not name gets no service at all, as in
		// Nmap's XML; human formats print "unknown" for it.
		if name := p.ServiceName(all[i].Proto, all[i].Number); name != "" {
			all[i].Service = &sdk.Service{Name: name, Method: "table", Conf: 3}
		}
	}
	out.Ports, out.ExtraPorts = all, extra
	return out
}
