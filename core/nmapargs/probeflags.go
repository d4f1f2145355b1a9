package nmapargs

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/scanfw/scanfw/core/profile"
)

// probeFlags are the options that become settings of a probe plugin's
// block rather than fields of the profile: the plugin reads and checks
// them (a bad --scanflags value is reported by the plugin's Configure).
type probeFlags struct {
	scanflags    string
	scanflagsSet bool
	defeatICMP   bool
}

// rawTCPScan marks the TCP probes that send a raw header whose flags
// --scanflags replaces.
var rawTCPScan = map[string]bool{
	"probe.tcp_syn": true, "probe.tcp_fin": true, "probe.tcp_null": true, "probe.tcp_xmas": true,
	"probe.tcp_ack": true, "probe.tcp_window": true, "probe.tcp_maimon": true,
}

// apply writes the settings onto p.Scans. --scanflags goes to the raw TCP
// scan, whose table reads the replies (Nmap: "the base scan type"); with
// no scan type at all it means a SYN scan sending those flags, as Nmap's
// default scan for root. --defeat-icmp-ratelimit goes to the UDP scan and
// is ignored without one, as Nmap does.
func (f probeFlags) apply(p *profile.Profile, portScan bool) error {
	if f.scanflagsSet {
		if len(p.Scans) == 0 && portScan {
			p.Scans = []profile.PluginUse{{ID: "probe.tcp_syn"}}
		}
		var target *profile.PluginUse
		for i := range p.Scans {
			if rawTCPScan[p.Scans[i].ID] {
				target = &p.Scans[i]
			}
		}
		if target == nil {
			return usagef("--scanflags sets the flags of a raw TCP scan (-sS, -sA, -sF, -sN, -sX, -sM, -sW); this command line has none")
		}
		setting(target, "flags", cty.StringVal(f.scanflags))
	}
	if f.defeatICMP {
		if u := p.Find("probe.udp"); u != nil {
			setting(u, "defeat_icmp_ratelimit", cty.True)
		}
	}
	return nil
}

func setting(u *profile.PluginUse, name string, v cty.Value) {
	if u.Settings == nil {
		u.Settings = map[string]cty.Value{}
	}
	u.Settings[name] = v
}
