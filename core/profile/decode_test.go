package profile

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func TestParseFull(t *testing.T) {
	t.Parallel()
	src := `
targets       = ["127.0.0.1", "198.18.0.0/24"]
exclude       = ["198.18.0.7"]
target_files  = ["hosts.txt"]
exclude_files = ["skip.txt"]
ports         = ["22", "80-90"]
exclude_ports = "85"
top_ports     = 50
sequential    = true
verbosity     = 2
debugging     = 1
reason        = true
open_only     = true
data_dir      = "/opt/data"
no_nmap_data  = true
plugin_dirs   = ["/opt/plugins"]
ipv6          = false
interface     = "lo"
source_address = "127.0.0.2"
source_port   = 0
ttl           = 64
data_length   = 20

timing {
  template     = "aggressive"
  max_retries  = 0
  host_timeout = 900
  scan_delay   = "250ms"
  min_rate     = 100.5
  max_hostgroup = 64
}

discovery {
  skip    = true
  tcp_syn = "22,443"
}

dns {
  never   = true
  servers = ["127.0.0.53"]
}

version {
  enabled   = true
  intensity = 2
}

probe "probe.tcp_syn" {
  badsum = false
  flags  = ["syn", "ece"]
}

output "output.xml" {
  path       = "out.xml"
  append     = true
  stylesheet = "nmap.xsl"
}

plugin "vendor.thing" {
  source = "/opt/thing"
  sha256 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
}
`
	p, diags := Parse([]byte(src), "full.hcl")
	if diags.HasErrors() {
		t.Fatalf("Parse: %v", diags)
	}
	want := &Profile{
		Targets: []string{"127.0.0.1", "198.18.0.0/24"}, Exclude: []string{"198.18.0.7"},
		TargetFiles: []string{"hosts.txt"}, ExcludeFiles: []string{"skip.txt"},
		Ports: "22,80-90", ExcludePorts: "85", TopPorts: 50, Sequential: true,
		Verbosity: 2, Debugging: 1, Reason: true, OpenOnly: true, DataDir: "/opt/data", NoNmapData: true,
		PluginDirs: []string{"/opt/plugins"}, Interface: "lo", SourceAddr: "127.0.0.2",
		SourcePort: ptr(0), TTL: ptr(64), DataLength: 20,
		Timing: Timing{Template: ptr(4), MaxRetries: ptr(0), HostTimeout: ptr(15 * time.Minute),
			ScanDelay: ptr(250 * time.Millisecond), MinRate: ptr(100.5), MaxHostgroup: ptr(64)},
		Discovery: Discovery{Skip: true, TCPSyn: "22,443"},
		DNS:       DNS{Never: true, Servers: []string{"127.0.0.53"}},
		Version:   Version{Enabled: true, Intensity: ptr(2)},
		Scans: []PluginUse{{ID: "probe.tcp_syn", Settings: map[string]cty.Value{
			"badsum": cty.False, "flags": cty.TupleVal([]cty.Value{cty.StringVal("syn"), cty.StringVal("ece")}),
		}}},
		Outputs: []OutputUse{{PluginUse: PluginUse{ID: "output.xml", Settings: map[string]cty.Value{"stylesheet": cty.StringVal("nmap.xsl")}},
			Path: "out.xml", Append: true}},
		Plugins: []PluginSource{{ID: "vendor.thing", Source: "/opt/thing", SHA256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}},
	}
	if !p.Equal(want) {
		t.Errorf("Parse =\n%s\nwant\n%s", p.HCL(), want.HCL())
	}
	if r := p.Scans[0].SettingRanges["flags"]; r.Start.Line != 50 {
		t.Errorf("flags setting range starts at line %d, want 50", r.Start.Line)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src   string
		wantSummary string
		wantDetail  string // substring
		wantLine    int
	}{
		{"unknown attribute", "target = [\"a\"]\n", "Unsupported argument", `Did you mean "targets"?`, 1},
		{"unknown block", "timings {}\n", "Unsupported block type", `Did you mean "timing"?`, 1},
		{"wrong type", "\nfast = \"yes please\"\n", "Incorrect attribute value type", "bool required", 2},
		{"template out of range", "timing {\n  template = 6\n}\n", "Invalid timing template", "0..5", 2},
		{"template bad name", "timing {\n  template = \"quick\"\n}\n", "Invalid timing template", "paranoid", 2},
		{"bad duration", "timing {\n  host_timeout = \"5d\"\n}\n", "Invalid time", "ms, s, m or h", 2},
		{"zero rtt", "timing {\n  max_rtt_timeout = \"0ms\"\n}\n", "Value out of range", "greater than zero", 2},
		{"negative retries", "timing {\n  max_retries = -1\n}\n", "Value out of range", "0 to", 2},
		{"fractional port count", "top_ports = 1.5\n", "Value out of range", "whole number", 1},
		{"ttl too big", "ttl = 256\n", "Value out of range", "0 to 255", 1},
		{"unknown timing attribute", "timing {\n  max_retres = 2\n}\n", "Unsupported argument", `"max_retries"`, 2},
		{"probe with output ID", "probe \"output.xml\" {}\n", "Wrong kind of plugin", `"probe.xml"`, 1},
		{"probe without namespace", "probe \"tcp_syn\" {}\n", "Invalid plugin ID", "probe.name", 1},
		{"output without path", "output \"output.xml\" {}\n", "Missing required argument", "path", 1},
		{"plugin bad checksum", "plugin \"x.y\" {\n  source = \"/bin/x\"\n  sha256 = \"abc\"\n}\n", "Invalid checksum", "64", 3},
		{"duplicate probe", "probe \"probe.udp\" {}\nprobe \"probe.udp\" {}\n", "Duplicate block", "already defined", 2},
		{"duplicate timing", "timing {}\n\ntiming {}\n", "Duplicate block", "", 3},
		{"rates conflict", "timing {\n  min_rate = 10\n  max_rate = 5\n}\n", "Conflicting rates", "must not exceed", 2},
		{"fast with ports", "ports = \"22\"\nfast = true\n", "Conflicting port selection", "", 2},
		{"ping only with probes", "discovery {\n  ping_only = true\n}\nprobe \"probe.udp\" {}\n", "Conflicting scan settings", "", 2},
		{"variables not allowed", "ports = var.x\n", "Variables not allowed", "", 1},
		{"block inside probe", "probe \"probe.udp\" {\n  inner {}\n}\n", "Unexpected \"inner\" block", "", 2},
		{"syntax error", "targets = [\n", "Missing expression", "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := Parse([]byte(tc.src), "bad.hcl")
			if !diags.HasErrors() {
				t.Fatalf("Parse succeeded, want %q", tc.wantSummary)
			}
			d := diags[0]
			if d.Summary != tc.wantSummary || !strings.Contains(d.Detail, tc.wantDetail) {
				t.Errorf("diag = %q / %q, want %q / ...%q...", d.Summary, d.Detail, tc.wantSummary, tc.wantDetail)
			}
			if d.Subject == nil || d.Subject.Start.Line != tc.wantLine || d.Subject.Filename != "bad.hcl" {
				t.Errorf("diag subject = %v, want bad.hcl line %d", d.Subject, tc.wantLine)
			}
		})
	}
}

func TestWriteDiagnosticsShowsSource(t *testing.T) {
	t.Parallel()
	l := NewLoader()
	_, diags := l.Parse([]byte("targets = [\"127.0.0.1\"]\ntiming {\n  template = 9\n}\n"), "scan.hcl")
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Error: Invalid timing template", "on scan.hcl line 3", "template = 9"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestLoadDefaultProfile(t *testing.T) {
	t.Parallel()
	p, diags := Load(filepath.Join("..", "..", "profiles", "default.hcl"))
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	r := p.Timing.Resolve()
	if r.Level != 3 || p.TopPorts != 1000 || len(p.Scans) != 1 || p.Scans[0].ID != "probe.tcp_connect" {
		t.Errorf("default profile: level %d, top ports %d, scans %+v", r.Level, p.TopPorts, p.Scans)
	}
	if o := p.Output("output.normal"); o == nil || o.Path != "-" {
		t.Errorf("default profile lacks normal output to stdout: %+v", p.Outputs)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, diags := Load(filepath.Join(t.TempDir(), "nope.hcl"))
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, "nope.hcl") {
		t.Errorf("Load of a missing file: %v", diags)
	}
}
