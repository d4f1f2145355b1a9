package main

import (
	"slices"

	"github.com/scanfw/scanfw/core/hostping"
	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/core/ultrascan"
)

// rawPing is privileged host discovery as Nmap chooses it (nmap-internals
// §4.1): the -P probes given, or ICMP echo, SYN 443, ACK 80 and ICMP
// timestamp; ARP and ND on local links unless --disable-arp-ping or
// --send-ip. Unprivileged it is nil: the connect ping.
func rawPing(p *profile.Profile, db *services.DB, t ultrascan.Config) (*hostping.Config, error) {
	if !privileged(p) {
		return nil, nil
	}
	d := p.Discovery
	var probes []hostping.Probe
	for _, pl := range []struct {
		kind hostping.Kind
		spec string
		flag string
	}{{hostping.TCPSyn, d.TCPSyn, "-PS"}, {hostping.TCPAck, d.TCPAck, "-PA"}, {hostping.UDP, d.UDP, "-PU"}} {
		if pl.spec == "" {
			continue
		}
		proto := ports.TCP
		if pl.kind == hostping.UDP {
			proto = ports.UDP
		}
		spec, err := ports.ParseSpec(pl.spec)
		if err != nil {
			return nil, usagef("%s%s: %v", pl.flag, pl.spec, err)
		}
		list, _, err := ports.Select(ports.Options{Ports: spec, Scanned: []ports.Proto{proto}, Catalog: db})
		if err != nil {
			return nil, usagef("%s%s: %v", pl.flag, pl.spec, err)
		}
		got := list.Get(proto)
		if len(got) == 0 {
			return nil, usagef("%s%s: no %s ports", pl.flag, pl.spec, proto)
		}
		for _, port := range got {
			probes = append(probes, hostping.Probe{Kind: pl.kind, Port: port})
		}
	}
	for _, pl := range []struct {
		kind hostping.Kind
		on   bool
	}{{hostping.ICMPEcho, d.ICMPEcho}, {hostping.ICMPTimestamp, d.ICMPTimestamp}, {hostping.ICMPMask, d.ICMPMask}} {
		if pl.on {
			probes = append(probes, hostping.Probe{Kind: pl.kind})
		}
	}
	if len(probes) == 0 {
		probes = []hostping.Probe{{Kind: hostping.ICMPEcho}, {Kind: hostping.TCPSyn, Port: 443}, {Kind: hostping.TCPAck, Port: 80}, {Kind: hostping.ICMPTimestamp}}
	}
	// Nmap's order per host: echo, SYN, ACK, timestamp, UDP, mask (the
	// Kind values follow it); ports keep the user's order.
	slices.SortStableFunc(probes, func(a, b hostping.Probe) int { return int(a.Kind) - int(b.Kind) })
	return &hostping.Config{
		Probes: probes, NoARP: d.DisableARP, Iface: p.Interface,
		InitialRTT: t.InitialRTT, MinRTT: t.MinRTT, MaxRTT: t.MaxRTT,
		Tries: min(2, t.MaxRetries+1), MaxRate: t.MaxRate,
	}, nil
}
