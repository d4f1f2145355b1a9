package scan

import (
	"context"
	"net/netip"
	"strings"

	"github.com/scanfw/scanfw/core/hostping"
	"github.com/scanfw/scanfw/sdk"
)

// discoverRaw is privileged discovery: the scanner's own addresses are up
// without probes, hosts on a local Ethernet link are found by ARP or ND, and
// the rest by the raw probes of p.RawPing.
func discoverRaw(ctx context.Context, p Plan, hosts []*hostState) ([]*hostState, error) {
	var probe []*hostState
	for _, h := range hosts {
		if isLocal(h.target.Addr) {
			h.status = sdk.HostStatus{State: "up", Reason: "localhost-response"}
			continue
		}
		h.status = sdk.HostStatus{State: "down", Reason: "no-response"}
		probe = append(probe, h)
	}
	cfg := *p.RawPing
	cfg.Trace = p.Trace
	addrs := make([]netip.Addr, len(probe))
	for i, h := range probe {
		addrs[i] = h.target.Addr
	}
	var res []hostping.Result
	if len(probe) > 0 {
		var err error
		if res, err = hostping.Run(ctx, cfg, addrs); err != nil {
			return nil, err
		}
	}
	for i, h := range probe {
		r := res[i]
		switch {
		case !r.Probed:
			// No probe has a form for this host (-PP alone on IPv6).
		case r.Up:
			h.status = sdk.HostStatus{State: "up", Reason: r.Reason, ReasonTTL: r.TTL}
			h.srtt, h.rttvar, h.timeout = r.SRTT, r.RTTVar, r.Timeout
		default:
			h.status = sdk.HostStatus{State: "down", Reason: r.Reason, ReasonTTL: r.TTL}
		}
		if r.MAC != nil {
			// Nmap writes MACs in capitals.
			h.mac, h.vendor = strings.ToUpper(r.MAC.String()), hostping.Vendor(r.MAC)
		}
	}
	var up []*hostState
	for _, h := range hosts {
		if h.status.State == "up" {
			up = append(up, h)
		}
	}
	return up, nil
}
