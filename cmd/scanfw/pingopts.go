package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/scanfw/scanfw/core/hostping"
	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// pingUse is one -P flag's probes: the ping probe type that sends them and
// the ports (or, for -PO, IP protocols) they go to.
type pingUse struct {
	id, flag string
	proto    ports.Proto // of the port list; "" for no list (ICMP), or -PO's protocols
	list     []uint16
	ipProto  bool
}

// describeFunc starts a probe plugin and returns its declared spec.
type describeFunc func(ctx context.Context, id string) (sdk.ProbeSpec, error)

// rawPing is privileged host discovery as Nmap chooses it (nmap-internals
// §4.1): the -P probes given, or ICMP echo, SYN 443, ACK 80 and ICMP
// timestamp; ARP and ND on local links unless --disable-arp-ping or
// --send-ip. Each probe is a ping probe-type plugin's declared template
// and rules, built when discovery first needs one (a scan of a local link
// starts no ping plugin). The flags are checked here. Unprivileged it is
// nil: the connect ping.
func rawPing(ctx context.Context, p *profile.Profile, db *services.DB, t ultrascan.Config, describe describeFunc) (*hostping.Config, error) {
	if !privileged(p) {
		return nil, nil
	}
	if p.Discovery.Skip || p.Discovery.ListOnly {
		// -Pn and -sL send no pings (core/scan never runs them), so their
		// plugins are not started: four processes a scan would not use.
		return nil, nil
	}
	uses, err := pingUses(p.Discovery, db)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, u := range uses {
		n += max(len(u.list), 1)
	}
	if n > hostping.MaxProbes {
		return nil, usagef("%d discovery probes per host; at most %d", n, hostping.MaxProbes)
	}
	var once sync.Once
	var probes []hostping.Probe
	var loadErr error
	load := func(ctx context.Context) ([]hostping.Probe, error) {
		once.Do(func() { probes, loadErr = pingProbes(ctx, uses, describe) })
		return probes, loadErr
	}
	return &hostping.Config{
		LoadProbes: load, NoARP: p.Discovery.DisableARP, Iface: p.Interface,
		Timing: t, Spare: new(hostping.Spare),
	}, nil
}

// pingProbes starts the ping plugins of uses side by side and builds their
// probes.
func pingProbes(ctx context.Context, uses []pingUse, describe describeFunc) ([]hostping.Probe, error) {
	specs := make([]sdk.ProbeSpec, len(uses))
	errs := make([]error, len(uses))
	var wg sync.WaitGroup
	for i, u := range uses {
		wg.Go(func() { specs[i], errs[i] = describe(ctx, u.id) })
	}
	wg.Wait()
	var probes []hostping.Probe
	for i, u := range uses {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", u.flag, errs[i])
		}
		if len(u.list) == 0 {
			pr, err := hostping.NewProbe(u.id, specs[i], 0)
			if err != nil {
				return nil, err
			}
			probes = append(probes, pr)
		}
		for _, n := range u.list {
			var pr hostping.Probe
			var err error
			if u.ipProto {
				pr, err = hostping.NewProtoProbe(fmt.Sprintf("%s/%d", u.id, n), specs[i], uint8(n))
			} else {
				pr, err = hostping.NewProbe(fmt.Sprintf("%s/%d", u.id, n), specs[i], n)
			}
			if err != nil {
				return nil, err
			}
			probes = append(probes, pr)
		}
	}
	return probes, nil
}

// pingUses lists the probes the -P flags ask for in Nmap's order per host
// (echo, SYN, ACK, timestamp, UDP, mask, then SCTP and IP protocol), or
// Nmap's default set when none is given.
func pingUses(d profile.Discovery, db *services.DB) ([]pingUse, error) {
	var out []pingUse
	portList := func(id, flag, spec string, proto ports.Proto) error {
		if spec == "" {
			return nil
		}
		ps, err := ports.ParseSpec(spec)
		if err != nil {
			return usagef("%s%s: %v", flag, spec, err)
		}
		list, _, err := ports.Select(ports.Options{Ports: ps, Scanned: []ports.Proto{proto}, Catalog: db})
		if err != nil {
			return usagef("%s%s: %v", flag, spec, err)
		}
		got := list.Get(proto)
		if len(got) == 0 {
			return usagef("%s%s: no %s ports", flag, spec, proto)
		}
		out = append(out, pingUse{id: id, flag: flag, proto: proto, list: got})
		return nil
	}
	flag := func(on bool, id, f string) {
		if on {
			out = append(out, pingUse{id: id, flag: f})
		}
	}
	flag(d.ICMPEcho, "ping.icmp_echo", "-PE")
	for _, s := range []struct {
		id, flag, spec string
		proto          ports.Proto
	}{{"ping.tcp_syn", "-PS", d.TCPSyn, ports.TCP}, {"ping.tcp_ack", "-PA", d.TCPAck, ports.TCP}} {
		if err := portList(s.id, s.flag, s.spec, s.proto); err != nil {
			return nil, err
		}
	}
	flag(d.ICMPTimestamp, "ping.icmp_timestamp", "-PP")
	if err := portList("ping.udp", "-PU", d.UDP, ports.UDP); err != nil {
		return nil, err
	}
	flag(d.ICMPMask, "ping.icmp_mask", "-PM")
	if err := portList("ping.sctp_init", "-PY", d.SCTPInit, ports.SCTP); err != nil {
		return nil, err
	}
	if d.IPProto != "" {
		protos, err := protoList(d.IPProto)
		if err != nil {
			return nil, usagef("-PO%s: %v", d.IPProto, err)
		}
		out = append(out, pingUse{id: "ping.ip_proto", flag: "-PO", list: protos, ipProto: true})
	}
	if len(out) == 0 {
		out = []pingUse{
			{id: "ping.icmp_echo", flag: "-PE"},
			{id: "ping.tcp_syn", flag: "-PS", list: []uint16{443}},
			{id: "ping.tcp_ack", flag: "-PA", list: []uint16{80}},
			{id: "ping.icmp_timestamp", flag: "-PP"},
		}
	}
	return out, nil
}

// protoList parses -PO's IP protocol numbers: a comma list of numbers and
// ranges from 0 to 255, duplicates dropped.
func protoList(s string) ([]uint16, error) {
	seen := map[uint16]bool{}
	var out []uint16
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 8)
		b, err2 := strconv.ParseUint(hi, 10, 8)
		if err1 != nil || err2 != nil || a > b {
			return nil, fmt.Errorf("%q is not an IP protocol number or range (0-255)", part)
		}
		for n := a; n <= b; n++ {
			if !seen[uint16(n)] {
				seen[uint16(n)] = true
				out = append(out, uint16(n))
			}
		}
	}
	return out, nil
}
