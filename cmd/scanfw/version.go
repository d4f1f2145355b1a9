package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/core/servicescan"
	"github.com/scanfw/scanfw/sdk"
)

// matcherID is the service matcher -sV uses.
const matcherID = "service.nmapdb"

// servicePhase starts the matcher plugin and sets up the service phase of
// -sV, or returns nil when version detection is off. The data options
// reach the matcher as its settings: --no-nmap-data (profile: no_nmap_data)
// leaves only the project's own probe file, --datadir DIR reads
// DIR/nmap-service-probes instead of the installed one.
func servicePhase(ctx context.Context, host *pluginhost.Host, r *pluginResolver, p *profile.Profile, timing profile.Resolved, names func(sdk.Proto, uint16) string, log hclog.Logger) (scan.ServicePhase, error) {
	if !p.Version.Enabled {
		return nil, nil
	}
	use := profile.PluginUse{ID: matcherID, Settings: map[string]cty.Value{}}
	if p.NoNmapData {
		use.Settings["no_nmap_data"] = cty.True
	} else if p.DataDir != "" {
		path := filepath.Join(p.DataDir, "nmap-service-probes")
		if _, err := os.Stat(path); err != nil {
			return nil, usagef("--datadir %s: %v", p.DataDir, err)
		}
		use.Settings["files"] = cty.ListVal([]cty.Value{cty.StringVal(path)})
	}
	pl, err := startPlugin(ctx, host, r, use, sdk.KindService)
	if err != nil {
		return nil, err
	}
	cat, err := pl.Client.Catalogue(ctx)
	if err != nil {
		return nil, usagef("plugin %s: catalogue: %v", matcherID, err)
	}
	intensity := profile.DefaultVersionIntensity
	if p.Version.Intensity != nil {
		intensity = *p.Version.Intensity
	}
	cfg := servicescan.Config{
		Matcher: pl.Client, Catalogue: cat, Intensity: intensity,
		Services:    serviceParallelism(timing),
		HostTimeout: timing.HostTimeout, ServiceName: names,
		Version: "scanfw-" + Version, Platform: runtime.GOARCH + "-" + runtime.GOOS,
		Log: log.Named("servicescan"),
	}
	s, err := servicescan.New(ctx, cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	log.Debug("service phase", "probes", len(cat.Probes), "intensity", intensity, "services", cfg.Services)
	return s, nil
}

// serviceParallelism is Nmap's number of services probed at once: 20 at
// -T3, 30 at -T4, 40 at -T5, one below, within --min/max-parallelism.
func serviceParallelism(t profile.Resolved) int {
	n := 1
	switch {
	case t.Level >= 5:
		n = 40
	case t.Level == 4:
		n = 30
	case t.Level == 3:
		n = 20
	}
	hi := 100
	if t.MaxParallelism > 0 {
		hi = t.MaxParallelism
	}
	return max(t.MinParallelism, min(hi, n))
}
