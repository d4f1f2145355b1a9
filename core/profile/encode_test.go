package profile

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func TestHCLRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    *Profile
	}{
		{"empty", &Profile{}},
		{"targets only", &Profile{Targets: []string{"127.0.0.1", "::1", "198.18.0.0/30"}}},
		{"ports", &Profile{Ports: "T:22,U:53,1000-2000", ExcludePorts: "1500", TopPorts: 100, Sequential: true, RandomizeHosts: true, Unprivileged: true}},
		{"fast", &Profile{Fast: true}},
		{"timing", &Profile{Timing: Timing{Template: ptr(0), MinRTTTimeout: ptr(ms(50)), MaxRTTTimeout: ptr(ms(1500)),
			InitialRTTTimeout: ptr(ms(700)), MaxRetries: ptr(0), ScanDelay: ptr(time.Duration(0)), MaxScanDelay: ptr(ms(20)),
			HostTimeout: ptr(90 * time.Minute), MinRate: ptr(0.5), MaxRate: ptr(1e6), MinParallelism: ptr(1),
			MaxParallelism: ptr(512), MinHostgroup: ptr(4), MaxHostgroup: ptr(4096), DefeatRSTRateLimit: true}}},
		{"discovery and dns", &Profile{
			Discovery: Discovery{TCPSyn: "22,80", TCPAck: "80", UDP: "40125", SCTPInit: "80", IPProto: "1,2,4",
				ICMPEcho: true, ICMPTimestamp: true, ICMPMask: true, DisableARP: true},
			DNS: DNS{Always: true, System: true, Servers: []string{"127.0.0.53", "::1"}}}},
		{"list only", &Profile{Discovery: Discovery{ListOnly: true, Skip: true}, DNS: DNS{Never: true}}},
		{"raw options", &Profile{IPv6: true, Interface: "lo", SourceAddr: "::1", SourcePort: ptr(0), TTL: ptr(0), DataLength: 1400}},
		{"misc", &Profile{Verbosity: 3, Debugging: 2, Reason: true, OpenOnly: true, DataDir: "/d", NoNmapData: true,
			PluginDirs: []string{"/a", "/b c"}, TargetFiles: []string{"t"}, ExcludeFiles: []string{"e"}, Exclude: []string{"x"},
			Version: Version{Enabled: true, Intensity: ptr(0)}}},
		{"plugins with settings", &Profile{
			Scans: []PluginUse{
				{ID: "probe.udp"},
				{ID: "probe.tcp_syn", Settings: map[string]cty.Value{
					"n": cty.NumberIntVal(3), "f": cty.NumberFloatVal(0.25), "s": cty.StringVal(`quote " and ${x}`),
					"b": cty.True, "l": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)}),
					"o": cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("v")}),
				}},
			},
			Outputs: []OutputUse{
				{PluginUse: PluginUse{ID: "output.normal"}, Path: "-"},
				{PluginUse: PluginUse{ID: "output.xml", Settings: map[string]cty.Value{"stylesheet": cty.StringVal("x.xsl")}}, Path: "o.xml", Append: true},
			},
			Plugins: []PluginSource{{ID: "vendor.probe.thing", Source: "/opt/t", SHA256: strings.Repeat("ab", 32)}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			text := tc.p.HCL()
			got, diags := Parse(text, "printed.hcl")
			if diags.HasErrors() {
				t.Fatalf("Parse(HCL()) failed: %v\n%s", diags, text)
			}
			if !got.Equal(tc.p) {
				t.Errorf("round trip changed the profile:\n%s\nreprinted:\n%s", text, got.HCL())
			}
			if again := got.HCL(); string(again) != string(text) {
				t.Errorf("HCL not stable:\n%s\nthen\n%s", text, again)
			}
		})
	}
}

func TestHCLOmitsDefaults(t *testing.T) {
	t.Parallel()
	if got := (&Profile{}).HCL(); len(got) != 0 {
		t.Errorf("empty profile prints %q, want nothing", got)
	}
	got := string((&Profile{Targets: []string{"127.0.0.1"}, Timing: Timing{MaxRetries: ptr(2)}}).HCL())
	want := "targets = [\"127.0.0.1\"]\n\ntiming {\n  max_retries = 2\n}\n"
	if got != want {
		t.Errorf("HCL() =\n%s\nwant\n%s", got, want)
	}
}

func TestEqualDetectsDifferences(t *testing.T) {
	t.Parallel()
	base := func() *Profile {
		return &Profile{Targets: []string{"a"}, Scans: []PluginUse{{ID: "probe.udp", Settings: map[string]cty.Value{"x": cty.NumberIntVal(1)}}}}
	}
	changes := map[string]func(*Profile){
		"target":        func(p *Profile) { p.Targets[0] = "b" },
		"setting value": func(p *Profile) { p.Scans[0].Settings["x"] = cty.NumberIntVal(2) },
		"setting type":  func(p *Profile) { p.Scans[0].Settings["x"] = cty.StringVal("1") },
		"timing":        func(p *Profile) { p.Timing.MaxRetries = ptr(0) },
		"ttl zero":      func(p *Profile) { p.TTL = ptr(0) },
		"extra output":  func(p *Profile) { p.Outputs = append(p.Outputs, OutputUse{Path: "-"}) },
	}
	for name, change := range changes {
		p := base()
		change(p)
		if p.Equal(base()) {
			t.Errorf("%s: Equal ignored the change", name)
		}
	}
	if !base().Equal(base()) {
		t.Error("equal profiles differ")
	}
}
