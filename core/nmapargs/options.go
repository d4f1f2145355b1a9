package nmapargs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/scanfw/scanfw/core/profile"
)

type argKind int

const (
	noArg       argKind = iota
	requiredArg         // attached (-p22, --opt=v) or the next word
	optionalArg         // attached only (-v3, -PS22)
)

// option is one command-line switch. long names are matched after "--"
// (exactly or as a unique prefix) and after "-" (exactly), as Nmap's
// getopt_long_only does; short is a single letter after "-".
type option struct {
	long  []string
	short byte
	arg   argKind
	apply func(st *state, name, val string) error
	// later is set for Nmap options scanfw does not implement yet; using
	// one is an error rather than a silently different scan.
	later bool
	help  string // one line for Usage; "" keeps the option out of it
}

// probeForScanLetter maps the letter after -s to its probe plugin.
var probeForScanLetter = map[byte]string{
	'S': "probe.tcp_syn", 'T': "probe.tcp_connect", 'U': "probe.udp",
	'F': "probe.tcp_fin", 'N': "probe.tcp_null", 'X': "probe.tcp_xmas",
	'A': "probe.tcp_ack", 'W': "probe.tcp_window", 'M': "probe.tcp_maimon",
	'Y': "probe.sctp_init", 'Z': "probe.sctp_cookie", 'O': "probe.ip_proto",
}

// tcpScan marks the probes of which Nmap allows only one per scan.
var tcpScan = map[string]bool{
	"probe.tcp_syn": true, "probe.tcp_connect": true, "probe.tcp_fin": true, "probe.tcp_null": true,
	"probe.tcp_xmas": true, "probe.tcp_ack": true, "probe.tcp_window": true, "probe.tcp_maimon": true,
}

var sctpScan = map[string]bool{"probe.sctp_init": true, "probe.sctp_cookie": true}

// options is the whole command line in one table; Usage prints it in this
// order.
var options = []*option{
	{short: 's', arg: requiredArg, apply: applyScanTypes, help: "-sS/sT/sU/sF/sN/sX/sA/sW/sM/sY/sZ/sO: scan technique; -sn: no port scan; -sL: list targets; -sV: versions"},
	{short: 'p', arg: requiredArg, apply: func(st *state, _, v string) error {
		st.p.Ports, st.portsFlag = v, true
		if !st.fastFlag {
			st.p.Fast = false
		}
		return nil
	}, help: "-p <ports>: ports to scan (22; 1-65535; U:53,T:21-25,80; -p- for all)"},
	{long: []string{"exclude-ports"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.p.ExcludePorts = v; return nil }, help: "--exclude-ports <ports>: do not scan these ports"},
	{short: 'F', apply: func(st *state, _, _ string) error {
		st.p.Fast, st.fastFlag = true, true
		if !st.portsFlag {
			st.p.Ports = ""
		}
		return nil
	}, help: "-F: fast mode, the 100 most frequent ports"},
	{long: []string{"top-ports"}, arg: requiredArg, apply: func(st *state, n, v string) error { return intArg(n, v, 1, 65536, &st.p.TopPorts) }, help: "--top-ports <n>: scan the n most frequent ports"},
	{short: 'r', apply: func(st *state, _, _ string) error { st.p.Sequential = true; return nil }, help: "-r: scan ports in order, not randomised"},
	{long: []string{"unprivileged"}, apply: func(st *state, _, _ string) error { st.p.Unprivileged = true; return nil }, help: "--unprivileged: act without raw-socket privileges (connect scan and discovery)"},
	{long: []string{"randomize-hosts", "rH"}, apply: func(st *state, _, _ string) error { st.p.RandomizeHosts = true; return nil }, help: "--randomize-hosts: scan targets in a random order (within batches of 4096)"},

	{short: 'P', arg: optionalArg, apply: applyPing, help: "-Pn: treat all hosts as up; -PS/PA/PU/PY[ports], -PE/PP/PM, -PO[protos]: discovery probes"},
	{long: []string{"disable-arp-ping"}, apply: func(st *state, _, _ string) error { st.p.Discovery.DisableARP = true; return nil }, help: "--disable-arp-ping: no ARP or ND discovery"},
	// Sending at the IP layer is how every probe but ARP and ND leaves
	// anyway, so --send-ip only turns those off, as in Nmap.
	{long: []string{"send-ip"}, apply: func(st *state, _, _ string) error { st.p.Discovery.DisableARP = true; return nil }, help: "--send-ip: send at the IP layer (no ARP or ND discovery)"},
	{short: 'n', apply: func(st *state, _, _ string) error { st.p.DNS.Never, st.p.DNS.Always = true, false; return nil }, help: "-n/-R: never / always resolve names"},
	{short: 'R', apply: func(st *state, _, _ string) error { st.p.DNS.Always, st.p.DNS.Never = true, false; return nil }},
	{long: []string{"dns-servers"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.p.DNS.Servers = splitList(v); return nil }, help: "--dns-servers <a,b>: DNS servers to use"},
	{long: []string{"system-dns"}, apply: func(st *state, _, _ string) error { st.p.DNS.System = true; return nil }, help: "--system-dns: use the operating system's resolver"},

	{long: []string{"iL"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.targetFiles = append(st.targetFiles, v); return nil }, help: "-iL <file>: read targets from a file"},
	{long: []string{"exclude"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.exclude = append(st.exclude, splitList(v)...); return nil }, help: "--exclude <host1[,host2]...>: exclude hosts or networks"},
	{long: []string{"excludefile"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.excludeFiles = append(st.excludeFiles, v); return nil }, help: "--excludefile <file>: exclude the hosts listed in a file"},

	{short: 'T', arg: requiredArg, apply: func(st *state, n, v string) error {
		level, err := profile.ParseTemplate(v)
		if err != nil {
			return usagef("invalid argument to %s: %q (use 0..5 or %s)", n, v, strings.Join(profile.TemplateNames[:], ", "))
		}
		st.p.Timing.Template = &level
		return nil
	}, help: "-T<0-5>: timing template (higher is faster)"},
	{long: []string{"min-rtt-timeout"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.MinRTTTimeout }, true), help: "--min-rtt-timeout/max-rtt-timeout/initial-rtt-timeout <time>: probe round trip bounds"},
	{long: []string{"max-rtt-timeout"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.MaxRTTTimeout }, true)},
	{long: []string{"initial-rtt-timeout"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.InitialRTTTimeout }, true)},
	{long: []string{"max-retries"}, arg: requiredArg, apply: optIntArg(func(t *profile.Timing) **int { return &t.MaxRetries }, 0), help: "--max-retries <n>: cap on port scan probe retransmissions"},
	{long: []string{"host-timeout"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.HostTimeout }, false), help: "--host-timeout <time>: give up on a host after this long"},
	{long: []string{"scan-delay"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.ScanDelay }, false), help: "--scan-delay/--max-scan-delay <time>: delay between probes"},
	{long: []string{"max-scan-delay"}, arg: requiredArg, apply: durationArg(func(t *profile.Timing) **time.Duration { return &t.MaxScanDelay }, false)},
	{long: []string{"min-rate"}, arg: requiredArg, apply: rateArg(func(t *profile.Timing) **float64 { return &t.MinRate }), help: "--min-rate/--max-rate <n>: packets per second"},
	{long: []string{"max-rate"}, arg: requiredArg, apply: rateArg(func(t *profile.Timing) **float64 { return &t.MaxRate })},
	{long: []string{"min-parallelism"}, arg: requiredArg, apply: optIntArg(func(t *profile.Timing) **int { return &t.MinParallelism }, 1), help: "--min-parallelism/max-parallelism <n>: probes in flight"},
	{long: []string{"max-parallelism"}, short: 'M', arg: requiredArg, apply: optIntArg(func(t *profile.Timing) **int { return &t.MaxParallelism }, 1)},
	{long: []string{"min-hostgroup"}, arg: requiredArg, apply: optIntArg(func(t *profile.Timing) **int { return &t.MinHostgroup }, 1), help: "--min-hostgroup/max-hostgroup <n>: hosts scanned together"},
	{long: []string{"max-hostgroup"}, arg: requiredArg, apply: optIntArg(func(t *profile.Timing) **int { return &t.MaxHostgroup }, 1)},

	{long: []string{"version-intensity"}, arg: requiredArg, apply: func(st *state, n, v string) error {
		var i int
		if err := intArg(n, v, 0, 9, &i); err != nil {
			return err
		}
		st.p.Version.Intensity = &i
		return nil
	}, help: "--version-intensity <0-9>, --version-light (2), --version-all (9)"},
	{long: []string{"version-light"}, apply: func(st *state, _, _ string) error { st.p.Version.Intensity = ptr(2); return nil }},
	{long: []string{"version-all"}, apply: func(st *state, _, _ string) error { st.p.Version.Intensity = ptr(9); return nil }},

	{long: []string{"oN"}, arg: requiredArg, apply: outputArg("output.normal"), help: "-oN/-oX/-oG/-oJ/-oH <file>: normal, XML, grepable, JSON lines or HTML report (- for stdout)"},
	{long: []string{"oX"}, arg: requiredArg, apply: outputArg("output.xml")},
	{long: []string{"oG"}, arg: requiredArg, apply: outputArg("output.grepable")},
	{long: []string{"oJ"}, arg: requiredArg, apply: outputArg("output.json")},
	{long: []string{"oH"}, arg: requiredArg, apply: outputArg("output.html")},
	{long: []string{"oA"}, arg: requiredArg, apply: func(st *state, n, v string) error {
		if v == "-" {
			return usagef("%s - is not possible: three formats cannot share stdout", n)
		}
		st.output("output.normal", v+".nmap")
		st.output("output.xml", v+".xml")
		st.output("output.grepable", v+".gnmap")
		return nil
	}, help: "-oA <base>: normal, XML and grepable output to base.nmap, base.xml, base.gnmap"},
	{long: []string{"append-output"}, apply: func(st *state, _, _ string) error { st.appendOutput = true; return nil }, help: "--append-output: append to output files instead of replacing them"},
	{short: 'v', arg: optionalArg, apply: levelArg(func(p *profile.Profile) *int { return &p.Verbosity }), help: "-v, -vv, -v<n>: more verbose output"},
	{short: 'd', arg: optionalArg, apply: debugArg, help: "-d, -dd, -d<n>: debugging output (raises verbosity as much)"},
	{long: []string{"stats-every"}, arg: requiredArg, apply: func(st *state, n, v string) error {
		d, err := profile.ParseDuration(v)
		if err != nil || d <= 0 {
			return usagef("invalid argument to %s: %q (want a time such as 10s, 500ms, 2m)", n, v)
		}
		st.inv.StatsEvery = d
		return nil
	}, help: "--stats-every <time>: print a progress line this often (10s, 1m)"},
	{long: []string{"resume"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.inv.Resume = v; return nil }, help: "--resume <file>: continue an interrupted scan (its checkpoint, or the output file it sits beside)"},
	{long: []string{"packet-trace"}, apply: func(st *state, _, _ string) error { st.inv.PacketTrace = true; return nil }, help: "--packet-trace: show every packet sent and received"},
	{long: []string{"reason"}, apply: func(st *state, _, _ string) error { st.p.Reason = true; return nil }, help: "--reason: show why a port has its state"},
	{long: []string{"open"}, apply: func(st *state, _, _ string) error { st.p.OpenOnly = true; return nil }, help: "--open: show only open (or possibly open) ports"},

	{short: '6', apply: func(st *state, _, _ string) error { st.p.IPv6 = true; return nil }, help: "-6: scan IPv6 targets"},
	{short: '4', apply: func(st *state, _, _ string) error { st.p.IPv6 = false; return nil }},
	{short: 'e', arg: requiredArg, apply: func(st *state, _, v string) error { st.p.Interface = v; return nil }, help: "-e <iface>: send from this interface"},
	{short: 'S', arg: requiredArg, apply: func(st *state, _, v string) error { st.p.SourceAddr = v; return nil }, help: "-S <addr>: source address"},
	{long: []string{"source-port"}, short: 'g', arg: requiredArg, apply: func(st *state, n, v string) error {
		var i int
		if err := intArg(n, v, 0, 65535, &i); err != nil {
			return err
		}
		st.p.SourcePort = &i
		return nil
	}, help: "-g/--source-port <port>: source port"},
	{long: []string{"ttl"}, arg: requiredArg, apply: func(st *state, n, v string) error {
		var i int
		if err := intArg(n, v, 0, 255, &i); err != nil {
			return err
		}
		st.p.TTL = &i
		return nil
	}, help: "--ttl <n>: IP time-to-live"},
	{long: []string{"data-length"}, arg: requiredArg, apply: func(st *state, n, v string) error {
		return intArg(n, v, 0, profile.MaxDataLength, &st.p.DataLength)
	}, help: "--data-length <n>: append random bytes to probes"},

	{long: []string{"scanflags"}, arg: requiredArg, apply: func(st *state, _, v string) error {
		st.probe.scanflags, st.probe.scanflagsSet = v, true
		return nil
	}, help: "--scanflags <flags>: custom TCP flags (URGACKPSHRSTSYNFIN or a number), read as the chosen TCP scan (SYN without one)"},
	{long: []string{"defeat-rst-ratelimit"}, apply: func(st *state, _, _ string) error { st.p.Timing.DefeatRSTRateLimit = true; return nil }, help: "--defeat-rst-ratelimit: TCP scans: do not wait out RST rate limits; closed ports may show as filtered"},
	{long: []string{"defeat-icmp-ratelimit"}, apply: func(st *state, _, _ string) error { st.probe.defeatICMP = true; return nil }, help: "--defeat-icmp-ratelimit: UDP scan: do not wait out ICMP rate limits; silent ports are closed|filtered"},
	{long: []string{"datadir"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.p.DataDir = v; return nil }, help: "--datadir <dir>: where to find data files"},
	{long: []string{"no-nmap-data"}, apply: func(st *state, _, _ string) error { st.p.NoNmapData = true; return nil }, help: "--no-nmap-data: do not read Nmap's installed data files"},
	{long: []string{"profile"}, arg: requiredArg, apply: func(*state, string, string) error { return nil }, help: "--profile <file>: start from an HCL profile; flags override it"},
	{long: []string{"print-profile"}, apply: func(st *state, _, _ string) error { st.inv.PrintProfile = true; return nil }, help: "--print-profile: print the profile these options describe and exit"},
	{long: []string{"plugin-dir"}, arg: requiredArg, apply: func(st *state, _, v string) error { st.p.PluginDirs = append(st.p.PluginDirs, v); return nil }, help: "--plugin-dir <dir>: also look for plugins here (repeatable)"},
	{long: []string{"plugin"}, arg: requiredArg, apply: applyPlugin, help: "--plugin <id>=<path>@<sha256>: use a plugin executable with this checksum"},
	{long: []string{"help"}, short: 'h', apply: func(st *state, _, _ string) error { st.inv.Help = true; return nil }, help: "-h, --help: print this summary"},
	{long: []string{"version"}, short: 'V', apply: func(st *state, _, _ string) error { st.inv.ShowVersion = true; return nil }, help: "-V, --version: print the version"},

	// Nmap options that are not implemented yet.
	{short: 'O', arg: optionalArg, later: true},
	{short: 'A', later: true},
	{short: 'b', arg: requiredArg, later: true},
	{short: 'D', arg: requiredArg, later: true},
	{short: 'f', later: true},
	{short: 'I', later: true},
	{short: 'm', arg: requiredArg, later: true},
	{short: 'q', later: true},
	{long: []string{"iR"}, arg: requiredArg, later: true},
	{long: []string{"oS"}, arg: requiredArg, later: true},
	{long: []string{"oM"}, arg: requiredArg, later: true},
	{long: []string{"sI"}, arg: requiredArg, later: true},
	{long: []string{"script", "script-args", "script-args-file", "script-help", "script-timeout", "ip-options",
		"proxies", "proxy", "data", "data-string", "spoof-mac", "mtu", "max-os-tries", "port-ratio",
		"servicedb", "versiondb", "stylesheet", "nsock-engine", "route-dst"}, arg: requiredArg, later: true},
	{long: []string{"script-trace", "script-updatedb", "traceroute", "osscan-limit", "osscan-guess", "fuzzy",
		"version-trace", "iflist", "badsum",
		"adler32", "send-eth", "noninteractive", "log-errors",
		"deprecated-xml-osclass", "release-memory", "discovery-ignore-rst", "unique", "allports", "thc", "webxml",
		"no-stylesheet", "privileged", "resolve-all"}, later: true},
}

func applyScanTypes(st *state, _, v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if id, ok := probeForScanLetter[c]; ok {
			st.addScan(id)
			continue
		}
		switch c {
		case 'V', 'R': // -sR is Nmap's old name for what -sV now does
			st.p.Version.Enabled = true
		case 'n', 'P':
			st.p.Discovery.PingOnly, st.pingOnlyFlag = true, true
		case 'L':
			st.p.Discovery.ListOnly, st.listOnlyFlag = true, true
		case 'C', 'I':
			return usagef("option -s%c is not supported yet", c)
		default:
			return usagef("unknown scan type -s%c (known: -sS -sT -sU -sF -sN -sX -sA -sW -sM -sY -sZ -sO -sn -sL -sV)", c)
		}
	}
	return nil
}

// Default ports of the -P probes given without a list (nmap.h).
var defaultPingArg = map[byte]string{'S': "80", 'A': "80", 'U': "40125", 'Y': "80", 'O': "1,2,4"}

func applyPing(st *state, _, v string) error {
	if v == "" {
		return usagef("option -P needs a discovery type, such as -Pn or -PS22")
	}
	c, rest := v[0], v[1:]
	d := &st.p.Discovery
	switch c {
	case 'n', '0', 'N', 'D':
		d.Skip = true
	case 'E', 'I':
		d.ICMPEcho = true
	case 'P':
		d.ICMPTimestamp = true
	case 'M':
		d.ICMPMask = true
	case 'R': // Nmap keeps -PR as a no-op: ARP is used whenever it can be.
	case 'S', 'A', 'U', 'Y', 'O':
		if st.pingSeen[c] {
			return usagef("-P%c may be given only once; combine ports with commas", c)
		}
		st.pingSeen[c] = true
		if rest == "" {
			rest = defaultPingArg[c]
		}
		*map[byte]*string{'S': &d.TCPSyn, 'A': &d.TCPAck, 'U': &d.UDP, 'Y': &d.SCTPInit, 'O': &d.IPProto}[c] = rest
		return nil
	case 'B':
		return usagef("option -PB is not supported yet")
	default:
		return usagef("unknown discovery type -P%c (known: -Pn -PS -PA -PU -PY -PE -PP -PM -PO)", c)
	}
	if rest != "" {
		return usagef("unexpected %q after -P%c", rest, c)
	}
	return nil
}

var pluginArg = regexp.MustCompile(`^([^=]+)=(.+)@([0-9A-Fa-f]{64})$`)

func applyPlugin(st *state, n, v string) error {
	m := pluginArg.FindStringSubmatch(v)
	if m == nil {
		return usagef("invalid argument to %s: %q (want <id>=<path>@<sha256>, the checksum as printed by sha256sum)", n, v)
	}
	src := profile.PluginSource{ID: m[1], Source: m[2], SHA256: strings.ToLower(m[3])}
	for i := range st.p.Plugins {
		if st.p.Plugins[i].ID == src.ID {
			st.p.Plugins[i] = src
			return nil
		}
	}
	st.p.Plugins = append(st.p.Plugins, src)
	return nil
}

func outputArg(id string) func(*state, string, string) error {
	return func(st *state, _, v string) error {
		st.output(id, v)
		return nil
	}
}

// levelArg handles -v, -vv, -vvv (one more each) and -v3 (exactly 3).
func levelArg(field func(*profile.Profile) *int) func(*state, string, string) error {
	return func(st *state, n, v string) error {
		dst := field(st.p)
		if v != "" && v[0] >= '0' && v[0] <= '9' {
			return intArg(n, v, 0, 10, dst)
		}
		if strings.Trim(v, n[1:2]) != "" {
			return usagef("invalid argument to %s: %q", n, v)
		}
		*dst += 1 + len(v)
		return nil
	}
}

// debugArg is -d: as in Nmap, each level of debugging is a level of
// verbosity too (-d<n> sets both to n), so -d alone shows the -v lines.
func debugArg(st *state, n, v string) error {
	before := st.p.Debugging
	if err := levelArg(func(p *profile.Profile) *int { return &p.Debugging })(st, n, v); err != nil {
		return err
	}
	if v != "" && v[0] >= '0' && v[0] <= '9' {
		st.p.Verbosity = st.p.Debugging
	} else {
		st.p.Verbosity = min(st.p.Verbosity+st.p.Debugging-before, 10)
	}
	st.p.Debugging = min(st.p.Debugging, 10)
	return nil
}

func durationArg(field func(*profile.Timing) **time.Duration, positive bool) func(*state, string, string) error {
	return func(st *state, n, v string) error {
		d, err := profile.ParseDuration(v)
		if err != nil {
			return usagef("invalid argument to %s: %v", n, err)
		}
		if positive && d == 0 {
			return usagef("invalid argument to %s: %q (must be greater than zero)", n, v)
		}
		*field(&st.p.Timing) = &d
		return nil
	}
}

func optIntArg(field func(*profile.Timing) **int, lo int) func(*state, string, string) error {
	return func(st *state, n, v string) error {
		var i int
		if err := intArg(n, v, lo, 1<<24, &i); err != nil {
			return err
		}
		*field(&st.p.Timing) = &i
		return nil
	}
}

func rateArg(field func(*profile.Timing) **float64) func(*state, string, string) error {
	return func(st *state, n, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || f > 1e9 {
			return usagef("invalid argument to %s: %q (want packets per second, greater than 0)", n, v)
		}
		*field(&st.p.Timing) = &f
		return nil
	}
}

func intArg(name, v string, lo, hi int, dst *int) error {
	i, err := strconv.Atoi(v)
	if err != nil || i < lo || i > hi {
		return usagef("invalid argument to %s: %q (want a whole number from %d to %d)", name, v, lo, hi)
	}
	*dst = i
	return nil
}

// splitList splits Nmap's comma-separated lists, ignoring empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}
