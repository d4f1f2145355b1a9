package main

import (
	"io"

	"github.com/scanfw/scanfw/core/nmapargs"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/progress"
	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/sdk"
)

// newTerminal sets up what the scan shows besides its outputs. Open ports
// are announced with -v only when stdout carries the human-readable output,
// as in Nmap: a machine format on stdout (-oX -) must stay parseable.
func newTerminal(inv *nmapargs.Invocation, stdout, stderr io.Writer) *progress.Terminal {
	p := inv.Profile
	discovered := !writesStdout(p.Outputs)
	for _, o := range p.Outputs {
		if o.Path == "-" && o.ID == "output.normal" {
			discovered = true
		}
	}
	opt := progress.Options{Verbose: p.Verbosity, Debugging: p.Debugging, Discovered: discovered, StatsEvery: inv.StatsEvery}
	return progress.New(stdout, stderr, opt)
}

// verbosityImplies applies what Nmap's -vv and -d turn on besides more
// lines: the reason column and "received" reasons, as --reason does.
func verbosityImplies(p *profile.Profile, s *session) {
	if p.Verbosity >= 2 || p.Debugging >= 1 {
		s.plan.Start.Reason = true
	}
}

// scope is the size of the scan for percent done: the addresses the target
// expressions hold (one per hostname) and the ports of every technique.
func scope(s *session, exprs []targets.Expr) (int64, int) {
	addrs, names := targets.Count(exprs)
	total := int64(names)
	if addrs.IsInt64() {
		total += addrs.Int64()
	}
	ports := 0
	for _, t := range s.plan.Techniques {
		ports += len(t.Ports)
	}
	if s.plan.PingOnly {
		ports = 0
	}
	return total, ports
}

// sendsRaw says whether the scan puts raw packets on the wire (Nmap's
// RawScan): a raw technique, or privileged host discovery.
func sendsRaw(p scan.Plan) bool {
	for _, t := range p.Techniques {
		if t.Spec.Transport == sdk.TransportRawIP || t.Spec.Transport == sdk.TransportEthernet {
			return true
		}
	}
	return p.RawPing != nil && p.Privileged && !p.SkipDiscovery
}
