// Package scan runs one scan from a plan: it streams targets into host
// groups, decides which hosts are up, runs each probe type's technique on
// them, and hands every finished host to the outputs at once, so the
// outputs grow while the scan runs and an interruption loses nothing that
// was finished.
package scan

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/core/hostping"
	"github.com/scanfw/scanfw/core/packettrace"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/rawscan"
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
	// MinGroup and MaxGroup bound how many hosts are port-scanned together
	// (--min-hostgroup, --max-hostgroup); 0 means no bound. Between them
	// the size is Nmap's (groupSize).
	MinGroup, MaxGroup int
	// Shuffle, when set, reorders each discovery batch (--randomize-hosts).
	Shuffle func(n int, swap func(i, j int))
	// ListOnly is -sL: list the targets and their names, probe nothing.
	ListOnly bool
	// PingPorts are the ports of connect discovery (-PS); nil means 80
	// and 443.
	PingPorts []uint16
	// Names finds the PTR names of addresses ("" for none); nil is -n.
	Names func(ctx context.Context, addrs []netip.Addr) ([]string, error)
	// Privileged says raw sockets are allowed. Nmap then reports the
	// scanner's own addresses up without probes (localhost-response);
	// unprivileged it pings them like any host.
	Privileged bool
	// NamesAll is -R: name every host, also those that are down.
	NamesAll bool
	// Raw holds -e, -S, -g, --ttl and --data-length for raw techniques.
	Raw rawscan.Options
	// RawPing, when set (privileged), is the raw host discovery: ARP/ND on
	// local links and its probes elsewhere, instead of the connect ping.
	RawPing *hostping.Config
	// MaxUDPScanDelay caps a UDP technique's boosted scan delay
	// (--max-scan-delay, or the timing template's UDP value).
	MaxUDPScanDelay time.Duration
	// Services, when set, runs on each host after its port scan (-sV);
	// the host reaches the outputs after it.
	Services ServicePhase
	Log      hclog.Logger
	// Watch, if set, hears of techniques and port answers as they happen.
	Watch Watcher
	// Trace, if set, prints every connect() and its outcome
	// (--packet-trace); raw techniques trace through Raw.Trace.
	Trace *packettrace.Tracer

	carries carries // set by Run
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
	p.carries = carries{}
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

type hostState struct {
	target                targets.Target
	status                sdk.HostStatus
	start, end            time.Time
	tables                []*portstate.Table
	srtt, rttvar, timeout time.Duration
	timedOut              bool
	ptr                   string // from reverse DNS
	mac, vendor           string // from ARP or ND discovery
}

func (h *hostState) result(p Plan) sdk.Host {
	out := sdk.Host{
		Addr: h.target.Addr, Status: h.status, Start: h.start, End: h.end, TimedOut: h.timedOut,
		SRTT: h.srtt, RTTVar: h.rttvar, Timeout: h.timeout,
		MAC: h.mac, MACVendor: h.vendor,
	}
	if out.End.IsZero() {
		out.End = time.Now()
	}
	if h.target.Name != "" {
		out.Hostnames = []sdk.Hostname{{Name: h.target.Name, Type: "user"}}
	}
	if h.ptr != "" {
		out.Hostnames = append(out.Hostnames, sdk.Hostname{Name: h.ptr, Type: "PTR"})
	}
	if h.status.State != "up" || h.tables == nil || h.timedOut {
		return out
	}
	// All techniques collapse together, as Nmap's one "Not shown" line
	// counts a state over every protocol scanned.
	scanned := make([]portstate.Scanned, len(p.Techniques))
	for i, tech := range p.Techniques {
		scanned[i] = portstate.Scanned{Proto: tech.Spec.Proto, Ports: tech.Ports, Silence: tech.Spec.Silence, Table: h.tables[i]}
	}
	all, extra := portstate.Collapse(nil, scanned, p.View)
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
