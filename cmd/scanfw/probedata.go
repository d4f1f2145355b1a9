package main

import (
	"maps"

	"github.com/zclconf/go-cty/cty"

	"github.com/scanfw/scanfw/core/profile"
)

// readsNmapData lists the built-in probe plugins that read an installed
// Nmap's data at run time (nmap-payloads) and so take the
// no_nmap_data setting.
var readsNmapData = map[string]bool{"probe.udp": true}

// withDataSettings hands --no-nmap-data (profile: no_nmap_data) to a probe
// plugin that reads Nmap's files, as servicePhase does for the matcher. A
// block that sets no_nmap_data itself keeps its own value.
func withDataSettings(p *profile.Profile, use profile.PluginUse) profile.PluginUse {
	if !p.NoNmapData || !readsNmapData[use.ID] {
		return use
	}
	if _, set := use.Settings["no_nmap_data"]; set {
		return use
	}
	s := maps.Clone(use.Settings)
	if s == nil {
		s = map[string]cty.Value{}
	}
	s["no_nmap_data"] = cty.True
	use.Settings = s
	return use
}
