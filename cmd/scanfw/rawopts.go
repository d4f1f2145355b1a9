package main

import (
	"net/netip"

	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/rawscan"
	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/sdk"
)

// rawOptions turns -e, -S, -g, --ttl and --data-length into the raw driver's
// options. They only mean something to raw techniques; a scan without one
// refuses them rather than ignoring them.
func rawOptions(p *profile.Profile, techs []scan.Technique) (rawscan.Options, error) {
	var o rawscan.Options
	// --open implies --defeat-rst-ratelimit, as in Nmap 7.80+: closed
	// ports are not shown, so waiting out a RST rate limit buys nothing.
	o.DefeatRSTRateLimit = p.Timing.DefeatRSTRateLimit || p.OpenOnly
	asked := p.Interface != "" || p.SourceAddr != "" || p.SourcePort != nil || p.TTL != nil || p.DataLength != 0
	if !asked {
		return o, nil
	}
	raw := false
	for _, t := range techs {
		raw = raw || t.Spec.Transport == sdk.TransportRawIP || t.Spec.Transport == sdk.TransportEthernet
	}
	if !raw {
		return o, usagef("raw-packet options (-e, -S, -g, --ttl, --data-length) need a raw scan such as -sS; a connect scan (-sT) cannot honour them")
	}
	o.Iface = p.Interface
	if p.SourceAddr != "" {
		a, err := netip.ParseAddr(p.SourceAddr)
		if err != nil {
			return o, usagef("-S %q: not an IP address", p.SourceAddr)
		}
		o.Src = a
	}
	if p.SourcePort != nil {
		o.SrcPort, o.FixSrcPort = uint16(*p.SourcePort), true
	}
	if p.TTL != nil {
		o.TTL, o.FixTTL = uint8(*p.TTL), true
	}
	o.DataLength = p.DataLength
	return o, nil
}
