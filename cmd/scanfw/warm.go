package main

import (
	"context"

	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/services"
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

// warmPingPlugins warms the ping probe types of privileged host discovery.
func warmPingPlugins(ctx context.Context, host *pluginhost.Host, r *pluginResolver, p *profile.Profile, db *services.DB) {
	if !privileged(p) || p.Discovery.Skip || p.Discovery.ListOnly {
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
