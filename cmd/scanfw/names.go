package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/rdns"
	"github.com/scanfw/scanfw/core/services"
)

// System files the stub resolver reads, as Nmap's does.
const (
	resolvConf = "/etc/resolv.conf"
	hostsFile  = "/etc/hosts"
)

// nameResolver is reverse DNS as the profile asks for it: nil with -n,
// the operating system's resolver with --system-dns, else the parallel
// stub resolver over --dns-servers or the servers of resolv.conf.
func nameResolver(p *profile.Profile, log hclog.Logger, stderr io.Writer) (func(context.Context, []netip.Addr) ([]string, error), error) {
	if p.DNS.Never {
		return nil, nil
	}
	var servers []netip.AddrPort
	for _, s := range p.DNS.Servers {
		ap, err := rdns.ParseServer(s)
		if err != nil {
			return nil, usagef("--dns-servers: %v", err)
		}
		servers = append(servers, ap)
	}
	system := func(ctx context.Context, addrs []netip.Addr) ([]string, error) {
		return rdns.System(ctx, addrs), ctx.Err()
	}
	if p.DNS.System {
		return system, nil
	}
	if len(servers) == 0 {
		f, err := os.Open(resolvConf)
		if err == nil {
			servers, err = rdns.ParseResolvConf(f)
			f.Close()
		}
		if len(servers) == 0 {
			// Nmap warns the same way and goes on.
			fmt.Fprintf(stderr, "mass_dns: warning: Unable to determine any DNS servers (%s). Reverse DNS uses the system resolver. Try using --system-dns or specify valid servers with --dns-servers\n", resolvConf)
			return system, nil
		}
	}
	cfg := rdns.Config{Servers: servers}
	if f, err := os.Open(hostsFile); err == nil {
		cfg.Hosts, err = rdns.ParseHosts(f)
		f.Close()
		if err != nil {
			log.Warn("hosts file", "path", hostsFile, "error", err)
		}
	}
	r, err := rdns.New(cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return func(ctx context.Context, addrs []netip.Addr) ([]string, error) {
		names, st, err := r.Lookup(ctx, addrs)
		log.Debug("reverse DNS", "hosts", len(addrs), "named", st.Named, "queries", st.Queries, "timeouts", st.Timeouts, "tcp", st.TCP)
		return names, err
	}, nil
}

// pingPorts is the -PS port list; nil means discovery's default ports.
func pingPorts(p *profile.Profile, db *services.DB) ([]uint16, error) {
	if p.Discovery.TCPSyn == "" {
		return nil, nil
	}
	spec, err := ports.ParseSpec(p.Discovery.TCPSyn)
	if err != nil {
		return nil, usagef("-PS%s: %v", p.Discovery.TCPSyn, err)
	}
	list, _, err := ports.Select(ports.Options{Ports: spec, Scanned: []ports.Proto{ports.TCP}, Catalog: db})
	if err != nil {
		return nil, usagef("-PS%s: %v", p.Discovery.TCPSyn, err)
	}
	out := list.Get(ports.TCP)
	if len(out) == 0 {
		return nil, usagef("-PS%s: no TCP ports", p.Discovery.TCPSyn)
	}
	return out, nil
}

// privileged is whether the scan may use raw sockets, as Nmap decides it:
// root, unless --unprivileged.
func privileged(p *profile.Profile) bool { return os.Geteuid() == 0 && !p.Unprivileged }

// hostShuffler is --randomize-hosts: each discovery batch in a random order.
func hostShuffler(p *profile.Profile) func(int, func(int, int)) {
	if !p.RandomizeHosts {
		return nil
	}
	return rand.Shuffle
}
