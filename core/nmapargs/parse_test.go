package nmapargs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/scanfw/scanfw/core/profile"
)

func scan(ids ...string) []profile.PluginUse {
	var out []profile.PluginUse
	for _, id := range ids {
		out = append(out, profile.PluginUse{ID: id})
	}
	return out
}

func out(id, path string, appendTo bool) profile.OutputUse {
	return profile.OutputUse{PluginUse: profile.PluginUse{ID: id}, Path: path, Append: appendTo}
}

func dur(s string) *time.Duration {
	d, err := profile.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &d
}

var lo = []string{"127.0.0.1"}

func TestParseProfiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want profile.Profile
	}{
		{"target only", []string{"127.0.0.1"}, profile.Profile{Targets: lo}},
		{"several targets around flags", []string{"127.0.0.1", "-p", "22", "::1"}, profile.Profile{Targets: []string{"127.0.0.1", "::1"}, Ports: "22"}},
		{"connect scan", []string{"-sT", "127.0.0.1"}, profile.Profile{Targets: lo, Scans: scan("probe.tcp_connect")}},
		{"every scan letter", []string{"-sS", "-sU", "-sY", "-sO"}, profile.Profile{Scans: scan("probe.tcp_syn", "probe.udp", "probe.sctp_init", "probe.ip_proto")}},
		{"clustered scan letters", []string{"-sSUV"}, profile.Profile{Scans: scan("probe.tcp_syn", "probe.udp"), Version: profile.Version{Enabled: true}}},
		{"-sF", []string{"-sF"}, profile.Profile{Scans: scan("probe.tcp_fin")}},
		{"-sN", []string{"-sN"}, profile.Profile{Scans: scan("probe.tcp_null")}},
		{"-sX", []string{"-sX"}, profile.Profile{Scans: scan("probe.tcp_xmas")}},
		{"-sA", []string{"-sA"}, profile.Profile{Scans: scan("probe.tcp_ack")}},
		{"-sW", []string{"-sW"}, profile.Profile{Scans: scan("probe.tcp_window")}},
		{"-sM", []string{"-sM"}, profile.Profile{Scans: scan("probe.tcp_maimon")}},
		{"-sZ", []string{"-sZ"}, profile.Profile{Scans: scan("probe.sctp_cookie")}},
		{"repeated scan type once", []string{"-sS", "-sS"}, profile.Profile{Scans: scan("probe.tcp_syn")}},
		{"-s with separate argument", []string{"-s", "T"}, profile.Profile{Scans: scan("probe.tcp_connect")}},
		{"ports attached", []string{"-p22,80"}, profile.Profile{Ports: "22,80"}},
		{"all ports", []string{"-p-"}, profile.Profile{Ports: "-"}},
		{"ports with protocols", []string{"-p", "U:53,T:1-1024"}, profile.Profile{Ports: "U:53,T:1-1024"}},
		{"exclude ports, top ports, sequential", []string{"--exclude-ports", "25", "--top-ports=100", "-r"}, profile.Profile{ExcludePorts: "25", TopPorts: 100, Sequential: true}},
		{"fast", []string{"-F"}, profile.Profile{Fast: true}},
		{"clustered short flags", []string{"-nFr"}, profile.Profile{Fast: true, Sequential: true, DNS: profile.DNS{Never: true}}},
		{"T4", []string{"-T4"}, profile.Profile{Timing: profile.Timing{Template: ptr(4)}}},
		{"T name separate", []string{"-T", "aggressive"}, profile.Profile{Timing: profile.Timing{Template: ptr(4)}}},
		{"T name attached", []string{"-TParanoid"}, profile.Profile{Timing: profile.Timing{Template: ptr(0)}}},
		{"-Pn", []string{"-Pn"}, profile.Profile{Discovery: profile.Discovery{Skip: true}}},
		{"-P0 old spelling", []string{"-P0"}, profile.Profile{Discovery: profile.Discovery{Skip: true}}},
		{"ping probes", []string{"-PS22,80", "-PA", "-PU", "-PY", "-PO", "-PE", "-PP", "-PM", "-PR"}, profile.Profile{Discovery: profile.Discovery{
			TCPSyn: "22,80", TCPAck: "80", UDP: "40125", SCTPInit: "80", IPProto: "1,2,4", ICMPEcho: true, ICMPTimestamp: true, ICMPMask: true}}},
		{"ping only", []string{"-sn", "198.18.0.0/30"}, profile.Profile{Targets: []string{"198.18.0.0/30"}, Discovery: profile.Discovery{PingOnly: true}}},
		{"old ping only", []string{"-sP"}, profile.Profile{Discovery: profile.Discovery{PingOnly: true}}},
		{"list only", []string{"-sL"}, profile.Profile{Discovery: profile.Discovery{ListOnly: true}}},
		{"disable arp", []string{"--disable-arp-ping"}, profile.Profile{Discovery: profile.Discovery{DisableARP: true}}},
		{"never resolve", []string{"-n"}, profile.Profile{DNS: profile.DNS{Never: true}}},
		{"-R after -n wins", []string{"-n", "-R"}, profile.Profile{DNS: profile.DNS{Always: true}}},
		{"dns servers", []string{"--dns-servers", "127.0.0.53, ::1", "--system-dns"}, profile.Profile{DNS: profile.DNS{System: true, Servers: []string{"127.0.0.53", "::1"}}}},
		{"normal output", []string{"-oN", "scan.nmap"}, profile.Profile{Outputs: []profile.OutputUse{out("output.normal", "scan.nmap", false)}}},
		{"xml to stdout", []string{"-oX", "-"}, profile.Profile{Outputs: []profile.OutputUse{out("output.xml", "-", false)}}},
		{"grepable and json", []string{"-oG", "g", "-oJ", "j.json"}, profile.Profile{Outputs: []profile.OutputUse{out("output.grepable", "g", false), out("output.json", "j.json", false)}}},
		{"html report", []string{"-oH", "r.html", "--append-output"}, profile.Profile{Outputs: []profile.OutputUse{out("output.html", "r.html", true)}}},
		{"-oA", []string{"-oA", "base"}, profile.Profile{Outputs: []profile.OutputUse{
			out("output.normal", "base.nmap", false), out("output.xml", "base.xml", false), out("output.grepable", "base.gnmap", false)}}},
		{"later -oX wins", []string{"-oX", "a.xml", "-oX", "b.xml"}, profile.Profile{Outputs: []profile.OutputUse{out("output.xml", "b.xml", false)}}},
		{"append output whatever the order", []string{"--append-output", "-oN", "n"}, profile.Profile{Outputs: []profile.OutputUse{out("output.normal", "n", true)}}},
		{"long options with =", []string{"--oX=x.xml", "--datadir=/d"}, profile.Profile{DataDir: "/d", Outputs: []profile.OutputUse{out("output.xml", "x.xml", false)}}},
		{"input list and excludes", []string{"-iL", "hosts", "--exclude", "198.18.0.1,198.18.0.2", "--excludefile", "skip"},
			profile.Profile{TargetFiles: []string{"hosts"}, Exclude: []string{"198.18.0.1", "198.18.0.2"}, ExcludeFiles: []string{"skip"}}},
		{"verbosity counts", []string{"-v", "-vv"}, profile.Profile{Verbosity: 3}},
		{"verbosity level", []string{"-v", "-v3"}, profile.Profile{Verbosity: 3}},
		{"debugging raises verbosity", []string{"-d", "-d2", "-dd"}, profile.Profile{Debugging: 4, Verbosity: 4}},
		{"-d adds to -v", []string{"-vvv", "-d"}, profile.Profile{Debugging: 1, Verbosity: 4}},
		{"-d<n> sets verbosity", []string{"-vvv", "-d1"}, profile.Profile{Debugging: 1, Verbosity: 1}},
		{"levels stop at 10", []string{"-d9", "-ddd"}, profile.Profile{Debugging: 10, Verbosity: 10}},
		{"defeat-rst-ratelimit", []string{"--defeat-rst-ratelimit"}, profile.Profile{Timing: profile.Timing{DefeatRSTRateLimit: true}}},
		{"reason and open", []string{"--reason", "--open"}, profile.Profile{Reason: true, OpenOnly: true}},
		{"single-dash long option", []string{"-open"}, profile.Profile{OpenOnly: true}},
		{"unique prefix", []string{"--max-retr", "3"}, profile.Profile{Timing: profile.Timing{MaxRetries: ptr(3)}}},
		{"every timing option", []string{"--min-rate", "100", "--max-rate=2000.5", "--max-retries", "0", "--host-timeout", "30m",
			"--scan-delay", "10ms", "--max-scan-delay", "1s", "--initial-rtt-timeout", "500ms", "--min-rtt-timeout", "0.1",
			"--max-rtt-timeout", "2", "--min-parallelism", "10", "--max-parallelism", "100", "--min-hostgroup", "8", "--max-hostgroup", "64"},
			profile.Profile{Timing: profile.Timing{MinRate: ptr(100.0), MaxRate: ptr(2000.5), MaxRetries: ptr(0), HostTimeout: dur("30m"),
				ScanDelay: dur("10ms"), MaxScanDelay: dur("1s"), InitialRTTTimeout: dur("500ms"), MinRTTTimeout: dur("100ms"),
				MaxRTTTimeout: dur("2s"), MinParallelism: ptr(10), MaxParallelism: ptr(100), MinHostgroup: ptr(8), MaxHostgroup: ptr(64)}}},
		{"-M is max parallelism", []string{"-M", "5"}, profile.Profile{Timing: profile.Timing{MaxParallelism: ptr(5)}}},
		{"data options", []string{"--datadir", "/usr/share/nmap", "--no-nmap-data"}, profile.Profile{DataDir: "/usr/share/nmap", NoNmapData: true}},
		{"raw options", []string{"-6", "-e", "lo", "-S", "::1", "-g", "53", "--ttl", "0", "--data-length", "32"},
			profile.Profile{IPv6: true, Interface: "lo", SourceAddr: "::1", SourcePort: ptr(53), TTL: ptr(0), DataLength: 32}},
		{"-4 undoes -6", []string{"-6", "-4"}, profile.Profile{}},
		{"source port long", []string{"--source-port=0"}, profile.Profile{SourcePort: ptr(0)}},
		{"version detection", []string{"-sV", "--version-intensity", "5"}, profile.Profile{Version: profile.Version{Enabled: true, Intensity: ptr(5)}}},
		{"version light", []string{"-sV", "--version-light"}, profile.Profile{Version: profile.Version{Enabled: true, Intensity: ptr(2)}}},
		{"version all", []string{"--version-all", "-sV"}, profile.Profile{Version: profile.Version{Enabled: true, Intensity: ptr(9)}}},
		{"plugin dirs", []string{"--plugin-dir", "/a", "--plugin-dir=/b"}, profile.Profile{PluginDirs: []string{"/a", "/b"}}},
		{"plugin", []string{"--plugin", "vendor.probe=/opt/my@probe@" + strings.Repeat("AB", 32)}, profile.Profile{
			Plugins: []profile.PluginSource{{ID: "vendor.probe", Source: "/opt/my@probe", SHA256: strings.Repeat("ab", 32)}}}},
		{"double dash ends options", []string{"-p", "22", "--", "-weird-name"}, profile.Profile{Ports: "22", Targets: []string{"-weird-name"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Parse(tc.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if !inv.Profile.Equal(&tc.want) {
				t.Errorf("Parse(%q) profile:\n%s\nwant:\n%s", tc.args, inv.Profile.HCL(), tc.want.HCL())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown long", []string{"--foo"}, "unknown option --foo"},
		{"unknown long with suggestion", []string{"--max-retry", "3"}, "unknown option --max-retry (did you mean --max-retries?)"},
		{"unknown long typo", []string{"--reasn"}, "unknown option --reasn (did you mean --reason?)"},
		{"unknown short", []string{"-k"}, "unknown option -k"},
		{"ambiguous prefix", []string{"--max-r", "1"}, "option --max-r is ambiguous: --max-rtt-timeout, --max-retries, --max-rate"},
		{"OS detection", []string{"-O", "127.0.0.1"}, "option -O is not supported yet"},
		{"aggressive", []string{"-A"}, "option -A is not supported yet"},
		{"scripts", []string{"--script", "default"}, "option --script is not supported yet"},
		{"script scan", []string{"-sC"}, "option -sC is not supported yet"},
		{"idle scan", []string{"-sI", "zombie"}, "option -sI is not supported yet"},
		{"traceroute", []string{"--traceroute"}, "option --traceroute is not supported yet"},
		{"decoys", []string{"-D", "RND:10"}, "option -D is not supported yet"},
		{"fragment in a cluster", []string{"-nf"}, "option -f is not supported yet"},
		{"unknown scan type", []string{"-sQ"}, "unknown scan type -sQ (known: -sS -sT -sU -sF -sN -sX -sA -sW -sM -sY -sZ -sO -sn -sL -sV)"},
		{"unknown ping type", []string{"-PZ"}, "unknown discovery type -PZ (known: -Pn -PS -PA -PU -PY -PE -PP -PM -PO)"},
		{"bare -P", []string{"-P"}, "option -P needs a discovery type, such as -Pn or -PS22"},
		{"-Pn with junk", []string{"-Pnx"}, `unexpected "x" after -Pn`},
		{"-PS twice", []string{"-PS22", "-PS80"}, "-PS may be given only once; combine ports with commas"},
		{"missing argument", []string{"127.0.0.1", "-p"}, "option -p needs an argument"},
		{"missing long argument", []string{"--min-rate"}, "option --min-rate needs an argument"},
		{"argument to a switch", []string{"--reason=yes"}, "option --reason takes no argument"},
		{"bad template", []string{"-T6"}, `invalid argument to -T: "6" (use 0..5 or paranoid, sneaky, polite, normal, aggressive, insane)`},
		{"bad retries", []string{"--max-retries", "x"}, `invalid argument to --max-retries: "x" (want a whole number from 0 to 16777216)`},
		{"negative retries", []string{"--max-retries=-1"}, `invalid argument to --max-retries: "-1" (want a whole number from 0 to 16777216)`},
		{"bad rate", []string{"--min-rate", "0"}, `invalid argument to --min-rate: "0" (want packets per second, greater than 0)`},
		{"bad time", []string{"--host-timeout", "5d"}, `invalid argument to --host-timeout: invalid time "5d": want a number with an optional unit ms, s, m or h (bare numbers are seconds)`},
		{"zero rtt", []string{"--max-rtt-timeout", "0"}, `invalid argument to --max-rtt-timeout: "0" (must be greater than zero)`},
		{"ttl range", []string{"--ttl", "256"}, `invalid argument to --ttl: "256" (want a whole number from 0 to 255)`},
		{"bad verbosity", []string{"-vx"}, `invalid argument to -v: "x"`},
		{"bad stats interval", []string{"--stats-every", "often"}, `invalid argument to --stats-every: "often" (want a time such as 10s, 500ms, 2m)`},
		{"zero stats interval", []string{"--stats-every", "0"}, `invalid argument to --stats-every: "0" (want a time such as 10s, 500ms, 2m)`},
		{"bad plugin", []string{"--plugin", "x=/bin/x"}, `invalid argument to --plugin: "x=/bin/x" (want <id>=<path>@<sha256>, the checksum as printed by sha256sum)`},
		{"two TCP scans", []string{"-sS", "-sT"}, "only one TCP scan type may be given, got -sS and -sT"},
		{"two SCTP scans", []string{"-sYZ"}, "only one SCTP scan type may be given, got -sY and -sZ"},
		{"ping only and port scan", []string{"-sn", "-sS"}, "-sn and -sL skip the port scan, so they cannot be combined with -sS"},
		{"fast with ports", []string{"-F", "-p", "22"}, "-F (fast scan) and -p (explicit ports) cannot be used together; see --top-ports to scan the most frequent ports of a range"},
		{"-oA to stdout", []string{"-oA", "-"}, "-oA - is not possible: three formats cannot share stdout"},
		{"two outputs to stdout", []string{"-oX", "-", "-oG", "-"}, "only one output may go to stdout (-)"},
		{"rates conflict", []string{"--min-rate", "10", "--max-rate", "5"}, "Conflicting rates: min_rate (10) must not exceed max_rate (5)."},
		{"two profiles", []string{"--profile", "a", "--profile", "b"}, "option --profile may be given only once"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.args)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want %q", tc.args, tc.want)
			}
			if !IsUsage(err) {
				t.Errorf("error %T is not a *UsageError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error\n got %q\nwant %q", tc.args, err.Error(), tc.want)
			}
		})
	}
}

func TestTimingOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--max-retries", "5", "-T4"}, {"-T4", "--max-retries", "5"}} {
		inv, err := Parse(args)
		if err != nil {
			t.Fatal(err)
		}
		r := inv.Profile.Timing.Resolve()
		if r.MaxRetries != 5 || r.Level != 4 || r.MaxRTTTimeout != 1250*time.Millisecond {
			t.Errorf("%q resolves to retries %d, level %d, max rtt %v", args, r.MaxRetries, r.Level, r.MaxRTTTimeout)
		}
	}
}

func TestPrintProfileRoundTrip(t *testing.T) {
	t.Parallel()
	cmdlines := [][]string{
		{"127.0.0.1"},
		{"-sS", "-sU", "-p", "T:22,U:53", "-T4", "--max-retries", "2", "--host-timeout", "15m", "198.18.0.0/24"},
		{"-sn", "-PS22,443", "-PE", "-n", "--exclude", "198.18.0.9", "198.18.0.0/28"},
		{"-Pn", "-sT", "-F", "-oA", "out", "--append-output", "-v", "--reason", "--open", "::1", "-6"},
		{"-sV", "--version-all", "--min-rate", "0.5", "--scan-delay", "1.5", "--ttl", "0", "-g", "0", "-iL", "hosts"},
		{"--plugin-dir", "/p", "--plugin", "a.b=/x@" + strings.Repeat("0", 64), "-oJ", "-", "--datadir", "/d", "--no-nmap-data"},
	}
	for _, args := range cmdlines {
		inv, err := Parse(append(args, "--print-profile"))
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !inv.PrintProfile {
			t.Errorf("%q: PrintProfile not set", args)
		}
		text := inv.Profile.HCL()
		back, diags := profile.Parse(text, "printed.hcl")
		if diags.HasErrors() {
			t.Fatalf("%q printed a profile that does not parse: %v\n%s", args, diags, text)
		}
		if !back.Equal(inv.Profile) {
			t.Errorf("%q: round trip differs\n%s\nvs\n%s", args, text, back.HCL())
		}
	}
}

func writeProfile(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProfileThenFlags(t *testing.T) {
	t.Parallel()
	path := writeProfile(t, `
targets = ["198.18.0.1"]
ports   = "1-100"
verbosity = 1
timing {
  max_retries = 2
}
probe "probe.tcp_syn" {
  badsum = true
}
output "output.xml" {
  path       = "a.xml"
  stylesheet = "s.xsl"
}
`)
	inv, err := Parse([]string{"-T5", "-sS", "-sU", "-oX", "b.xml", "-F", "-v", "127.0.0.1", "--profile", path})
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Profile
	if inv.ProfilePath != path {
		t.Errorf("ProfilePath = %q", inv.ProfilePath)
	}
	if r := p.Timing.Resolve(); r.MaxRetries != 2 || r.Level != 5 {
		t.Errorf("profile's explicit retries should beat -T5: retries %d level %d", r.MaxRetries, r.Level)
	}
	if len(p.Targets) != 1 || p.Targets[0] != "127.0.0.1" {
		t.Errorf("command-line targets should replace the profile's: %q", p.Targets)
	}
	if !p.Fast || p.Ports != "" {
		t.Errorf("-F should replace the profile's ports: fast %v ports %q", p.Fast, p.Ports)
	}
	if p.Verbosity != 2 {
		t.Errorf("-v should add to the profile's verbosity: %d", p.Verbosity)
	}
	if len(p.Scans) != 2 || p.Scans[0].ID != "probe.tcp_syn" || !p.Scans[0].Settings["badsum"].RawEquals(cty.True) || p.Scans[1].ID != "probe.udp" {
		t.Errorf("scans = %+v", p.Scans)
	}
	o := p.Output("output.xml")
	if len(p.Outputs) != 1 || o.Path != "b.xml" || !o.Settings["stylesheet"].RawEquals(cty.StringVal("s.xsl")) {
		t.Errorf("outputs = %+v", p.Outputs)
	}
}

func TestBadProfileKeepsDiagnostics(t *testing.T) {
	t.Parallel()
	path := writeProfile(t, "timing {\n  template = 7\n}\n")
	_, err := Parse([]string{"--profile=" + path, "127.0.0.1"})
	u, ok := err.(*UsageError)
	if !ok {
		t.Fatalf("err = %v, want *UsageError", err)
	}
	if len(u.Diags) == 0 || u.Files[path] == nil || !strings.Contains(u.Msg, path+":2,14: Invalid timing template") {
		t.Errorf("UsageError = %q, %d diags, files %v", u.Msg, len(u.Diags), u.Files)
	}
	var b strings.Builder
	if err := profile.WriteDiagnostics(&b, u.Diags, u.Files); err != nil || !strings.Contains(b.String(), "template = 7") {
		t.Errorf("diagnostics print without the source line:\n%s", b.String())
	}
}

func TestInvocationFields(t *testing.T) {
	t.Parallel()
	inv, err := Parse([]string{"-sT", "-p", "22", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.CommandLine != "scanfw -sT -p 22 127.0.0.1" || inv.Help || inv.ShowVersion || inv.PrintProfile {
		t.Errorf("invocation = %+v", inv)
	}
	for _, args := range [][]string{{}, {"-h"}, {"--help"}} {
		if inv, err := Parse(args); err != nil || !inv.Help {
			t.Errorf("%q: help not requested (%v)", args, err)
		}
	}
	for _, args := range [][]string{{"-V"}, {"--version"}} {
		if inv, err := Parse(args); err != nil || !inv.ShowVersion {
			t.Errorf("%q: version not requested (%v)", args, err)
		}
	}
	if u := Usage(); !strings.Contains(u, "--print-profile") || !strings.Contains(u, "-oA <base>") {
		t.Errorf("Usage lacks options:\n%s", u)
	}
}

func TestDefaultProfileMatchesPlainRun(t *testing.T) {
	t.Parallel()
	inv, err := Parse([]string{"--profile", filepath.Join("..", "..", "profiles", "default.hcl"), "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Profile
	r := p.Timing.Resolve()
	plain := profile.Timing{}.Resolve()
	if r.Level != plain.Level || r.MaxRetries != plain.MaxRetries || p.TopPorts != 1000 || p.Scans[0].ID != "probe.tcp_connect" {
		t.Errorf("default profile differs from a plain run: %s", p.HCL())
	}
}

func TestStatsEvery(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want time.Duration
	}{
		{"not given", []string{"127.0.0.1"}, 0},
		{"seconds", []string{"--stats-every", "10s", "127.0.0.1"}, 10 * time.Second},
		{"bare number is seconds", []string{"--stats-every=2"}, 2 * time.Second},
		{"milliseconds", []string{"--stats-every", "500ms"}, 500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := Parse(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if inv.StatsEvery != c.want {
				t.Errorf("StatsEvery = %v, want %v", inv.StatsEvery, c.want)
			}
			if len(inv.Profile.Outputs) != 0 {
				t.Errorf("--stats-every changed the profile: %+v", inv.Profile.Outputs)
			}
		})
	}
}
