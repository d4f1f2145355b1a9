package main

import (
	"context"

	"github.com/scanfw/scanfw/core/hostping"
	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/core/targets"
)

// warmPlugins starts, side by side and in the background, the built-in
// plugins the scan is about to use one after another: its probe types, its
// outputs and, with -sV, the service matcher. startPlugin then takes the
// running process (pluginhost.Host.Warm). Only built-ins are warmed: an
// external plugin is verified and started when it is used, so a bad one
// fails where its use is named.
func warmPlugins(ctx context.Context, host *pluginhost.Host, r *pluginResolver, scans []profile.PluginUse, p *profile.Profile) {
	ids := make([]string, 0, len(scans)+len(p.Outputs)+2)
	for _, u := range scans {
		ids = append(ids, u.ID)
	}
	for _, o := range outputUses(p) {
		ids = append(ids, o.ID)
	}
	if p.Version.Enabled {
		ids = append(ids, matcherID)
	}
	warmBuiltins(ctx, host, r, ids)
}

// warmPingPlugins warms the ping probe types of privileged host discovery,
// unless every target lies on a local Ethernet link: ARP and ND find those,
// and discovery starts the ping plugins only for a host that needs them
// (hostping.Config.LoadProbes), so warming them would cost four processes
// for nothing.
func warmPingPlugins(ctx context.Context, host *pluginhost.Host, r *pluginResolver, p *profile.Profile, db *services.DB) {
	if !privileged(p) || p.Discovery.Skip || p.Discovery.ListOnly || allOnLocalLink(p) {
		return
	}
	uses, err := pingUses(p.Discovery, db)
	if err != nil {
		return // rawPing reports it where the flags are read
	}
	ids := make([]string, 0, len(uses))
	for _, u := range uses {
		ids = append(ids, u.id)
	}
	warmBuiltins(ctx, host, r, ids)
}

func warmBuiltins(ctx context.Context, host *pluginhost.Host, r *pluginResolver, ids []string) {
	var srcs []pluginhost.Source
	for _, id := range ids {
		if !r.isBuiltin(id) {
			continue
		}
		src, err := r.source(id)
		if err != nil {
			continue
		}
		srcs = append(srcs, src)
	}
	host.Warm(ctx, srcs...)
}

// allOnLocalLink says whether every target expression on the command line
// lies on a local Ethernet link where ARP or ND serves it (judged by its
// first address; names and -iL lists are not looked at, and count as not).
func allOnLocalLink(p *profile.Profile) bool {
	if p.Discovery.DisableARP || len(p.TargetFiles) > 0 || len(p.Targets) == 0 {
		return false
	}
	exprs, err := targets.ParseList(p.Targets)
	if err != nil {
		return false
	}
	for _, e := range exprs {
		a, ok := e.Sample()
		if !ok || !hostping.OnLocalLink(a, p.Interface) {
			return false
		}
	}
	return true
}
