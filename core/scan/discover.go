package scan

import (
	"context"
	"net"
	"net/netip"
	"sync"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/sdk"
)

// pingPorts are the ports of Nmap's unprivileged host discovery: a connect()
// to 80 and 443 (nmap-internals §4.1).
var pingPorts = []uint16{80, 443}

// pingSpec reads connect outcomes as evidence of a live host: an answer of
// either kind (handshake or reset) proves the host is there.
var pingSpec = sdk.ProbeSpec{
	ScanType: "connect-ping", Proto: sdk.ProtoTCP, Transport: sdk.TransportConnect,
	Rules: []sdk.ReplyRule{
		{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectConnected}, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}},
		{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectRefused}, Verdict: sdk.Verdict{State: sdk.StateClosed, Reason: "conn-refused"}},
		// The kernel gave up (no ARP/ND answer, no route): Nmap counts the
		// host down with that reason at once, without retries.
		{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectHostUnreachable}, Verdict: sdk.Verdict{State: sdk.StateFiltered, Reason: "host-unreach"}},
		{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectNetUnreachable}, Verdict: sdk.Verdict{State: sdk.StateFiltered, Reason: "net-unreach"}},
	},
	Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
}

// discover sets each host's status and returns the hosts that are up. It is
// the foundation's stand-in for the discovery probe plugins: -Pn, the
// scanner's own addresses (up without probes, as Nmap's localhost-response),
// and otherwise Nmap's unprivileged connect ping (to PingPorts with -PS).
func discover(ctx context.Context, p Plan, hosts []*hostState) ([]*hostState, error) {
	// Nmap 7.93 sends nothing under -Pn, not even ARP on a local link: every
	// target is user-set up without a MAC (checked in lab/rawpingtest).
	if p.RawPing != nil && p.Privileged && !p.SkipDiscovery {
		return discoverRaw(ctx, p, hosts)
	}
	var up, probe []*hostState
	for _, h := range hosts {
		switch {
		case p.SkipDiscovery:
			h.status = sdk.HostStatus{State: "up", Reason: "user-set"}
			up = append(up, h)
		case p.Privileged && isLocal(h.target.Addr):
			h.status = sdk.HostStatus{State: "up", Reason: "localhost-response"}
			up = append(up, h)
		default:
			h.status = sdk.HostStatus{State: "down", Reason: "no-response"}
			probe = append(probe, h)
		}
	}
	if len(probe) == 0 {
		return up, nil
	}
	addrs := make([]netip.Addr, len(probe))
	for i, h := range probe {
		addrs[i] = h.target.Addr
	}
	ports := pingPorts
	if p.PingPorts != nil {
		ports = p.PingPorts
	}
	err := connectscan.Run(ctx, p.Timing, pingSpec, addrs, ports, func(r connectscan.HostResult) {
		h := probe[r.Host]
		for _, port := range r.Table.Answered() {
			if port.State != sdk.StateOpen && port.State != sdk.StateClosed {
				h.status.Reason = port.Reason // down, and why; an answer on another port still wins
				continue
			}
			h.status = sdk.HostStatus{State: "up", Reason: port.Reason}
			h.srtt, h.rttvar, h.timeout = r.SRTT, r.RTTVar, r.Timeout
			break
		}
	}, traceOptions(p)...)
	for _, h := range probe {
		if h.status.State == "up" {
			up = append(up, h)
		}
	}
	return up, err
}

var (
	localOnce  sync.Once
	localAddrs map[netip.Addr]bool
)

func isLocal(a netip.Addr) bool {
	if a.IsLoopback() {
		return true
	}
	localOnce.Do(func() {
		localAddrs = map[netip.Addr]bool{}
		ifaddrs, err := net.InterfaceAddrs()
		if err != nil {
			return
		}
		for _, ia := range ifaddrs {
			if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
				localAddrs[pfx.Addr().Unmap()] = true
			}
		}
	})
	return localAddrs[a.Unmap()]
}
