package normal

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaprun"
	"github.com/scanfw/scanfw/sdk"
)

func render(t *testing.T, path string, start sdk.ScanStart, hosts []sdk.Host, end sdk.ScanEnd) string {
	t.Helper()
	return string(nmaprun.Render(t, New(), path, start, hosts, &end))
}

// TestGoldenAgainstNmap scans loopback listeners with the installed Nmap,
// rebuilds the scan from Nmap's XML and checks that this plugin prints what
// Nmap printed, both in the -oN file and on standard output.
func TestGoldenAgainstNmap(t *testing.T) {
	nmaprun.Require(t)
	open := nmaprun.Listen(t, "127.0.0.1", 2)
	closed := []uint16{nmaprun.ClosedPort(t, "127.0.0.1"), nmaprun.ClosedPort(t, "127.0.0.1")}
	few := nmaprun.PortList(append(append([]uint16{}, open...), closed...)...)
	// A range around a listener: most of it is closed, so Nmap collapses it.
	lo := max(int(open[0])-20, 1)
	span := itoa(lo) + "-" + itoa(lo+40)
	open6 := nmaprun.Listen(t, "::1", 1)
	few6 := nmaprun.PortList(open6[0], nmaprun.ClosedPort(t, "::1"))
	// Services no rule knows: Nmap asks for their fingerprints, at most
	// nine of them, under the port table.
	unknown := func(port uint16) []byte {
		return fmt.Appendf(nil, "XYZZY-%d unheard-of banner v1.2\r\n\x00\x01\xff", port)
	}
	oneFP := nmaprun.PortList(nmaprun.ListenBanner(t, "127.0.0.1", 1, unknown)...)
	manyFP := nmaprun.PortList(nmaprun.ListenBanner(t, "127.0.0.1", 11, unknown)...)
	cases := []struct {
		name string
		args []string
	}{
		{"few ports", []string{"-sT", "-Pn", "-n", "-p", few, "127.0.0.1"}},
		{"collapsed range", []string{"-sT", "-Pn", "-n", "-p", span, "127.0.0.1"}},
		{"reason column", []string{"-sT", "-Pn", "-n", "--reason", "-p", span, "127.0.0.1"}},
		{"open only", []string{"-sT", "-Pn", "-n", "--open", "-p", span, "127.0.0.1"}},
		{"low range, likely all closed", []string{"-sT", "-Pn", "-n", "-p", "1-30", "127.0.0.1"}},
		{"open only, none open", []string{"-sT", "-Pn", "-n", "--open", "-p", nmaprun.PortList(closed...), "127.0.0.1"}},
		{"user hostname", []string{"-sT", "-Pn", "-n", "-p", few, "localhost"}},
		{"ipv6", []string{"-6", "-sT", "-Pn", "-n", "-p", few6, "::1"}},
		{"ping scan", []string{"-sn", "-n", "127.0.0.1"}},
		{"two hosts", []string{"-sT", "-Pn", "-n", "-p", few, "127.0.0.1", "127.0.0.2"}},
		{"one unrecognised service", []string{"-sV", "--version-intensity", "0", "-Pn", "-n", "-p", oneFP, "127.0.0.1"}},
		{"eleven unrecognised services", []string{"-sV", "--version-intensity", "0", "-Pn", "-n", "-p", manyFP, "127.0.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.args[0] == "-sV" {
				t.Parallel() // Nmap waits some seconds for more banner
			}
			r := nmaprun.Run(t, c.args...)
			file := render(t, "scan.nmap", r.Start, r.Hosts, r.End)
			nmaprun.DiffLines(t, nmaprun.Mask(string(r.Normal)), nmaprun.Mask(file))
			stdout := render(t, "-", r.Start, r.Hosts, r.End)
			nmaprun.DiffLines(t, nmaprun.Mask(string(r.Stdout)), nmaprun.Mask(stdout))
		})
	}
}

func itoa(n int) string { return nmaprun.PortList(uint16(n)) }

var (
	t0    = time.Date(2026, 11, 29, 11, 9, 10, 0, time.UTC)
	local = netip.MustParseAddr("127.0.0.1")
)

func tcp(n uint16, st sdk.PortState, reason string, ttl int, svc string) sdk.Port {
	p := sdk.Port{Proto: sdk.ProtoTCP, Number: n, State: st, Reason: reason, ReasonTTL: ttl}
	if svc != "" {
		p.Service = &sdk.Service{Name: svc, Method: "table", Conf: 3}
	}
	return p
}

func up(ports []sdk.Port, extra ...sdk.ExtraPorts) sdk.Host {
	return sdk.Host{
		Addr:   local,
		Status: sdk.HostStatus{State: "up", Reason: "user-set"},
		Ports:  ports, ExtraPorts: extra,
		SRTT: 8 * time.Microsecond,
	}
}

// TestConstructed covers layouts a loopback connect scan cannot produce.
// The expected texts are Nmap 7.93's own output for the same situations,
// taken from scans in a network namespace with nftables rules.
func TestConstructed(t *testing.T) {
	connect := []sdk.ScanInfo{{Type: "syn", Protocol: sdk.ProtoTCP, NumServices: 200, Services: "1-200"}}
	filteredMix := []sdk.ExtraPorts{
		{State: sdk.StateClosed, Count: 157, Reasons: []sdk.ExtraReason{{Reason: "reset", Count: 157, Proto: sdk.ProtoTCP, Ports: "1-79,81-99,131-139,151-200"}}},
		{State: sdk.StateFiltered, Count: 42, Reasons: []sdk.ExtraReason{
			{Reason: "no-response", Count: 31, Proto: sdk.ProtoTCP, Ports: "100-130"},
			{Reason: "admin-prohibited", Count: 6, Proto: sdk.ProtoTCP, Ports: "140-145"},
			{Reason: "host-unreach", Count: 5, Proto: sdk.ProtoTCP, Ports: "146-150"},
		}},
	}
	http := tcp(80, sdk.StateOpen, "syn-ack", 64, "http")
	end := sdk.ScanEnd{End: t0, Elapsed: 1270 * time.Millisecond, HostsUp: 1, HostsTotal: 1, Exit: "success"}
	header := "# scanfw 0.1.0 scan initiated Sun Nov 29 11:09:10 2026 as: nmap -sS\n"
	trailer := "# scanfw done at Sun Nov 29 11:09:10 2026 -- 1 IP address (1 host up) scanned in 1.27 seconds\n"
	cases := []struct {
		name  string
		start sdk.ScanStart
		hosts []sdk.Host
		end   sdk.ScanEnd
		want  string
	}{
		{
			name:  "several collapsed states and reasons",
			start: sdk.ScanStart{ScanInfo: connect},
			hosts: []sdk.Host{up([]sdk.Port{http}, filteredMix...)},
			want: "Nmap scan report for 127.0.0.1\nHost is up (0.0000080s latency).\n" +
				"Not shown: 157 closed tcp ports (reset), 31 filtered tcp ports (no-response), 6 filtered tcp ports (admin-prohibited), 5 filtered tcp ports (host-unreach)\n" +
				"PORT   STATE SERVICE\n80/tcp open  http\n\n",
		},
		{
			name:  "open only warns about the rst rate limit",
			start: sdk.ScanStart{ScanInfo: connect, OpenOnly: true},
			hosts: []sdk.Host{up([]sdk.Port{http}, filteredMix...)},
			want: "Nmap scan report for 127.0.0.1\nHost is up (0.0000080s latency).\n" +
				"Not shown: 157 closed tcp ports (reset), 31 filtered tcp ports (no-response), 6 filtered tcp ports (admin-prohibited), 5 filtered tcp ports (host-unreach)\n" +
				"Some closed ports may be reported as filtered due to --defeat-rst-ratelimit\n" +
				"PORT   STATE SERVICE\n80/tcp open  http\n\n",
		},
		{
			name:  "open only drops a host without open ports",
			start: sdk.ScanStart{ScanInfo: connect, OpenOnly: true},
			hosts: []sdk.Host{up(nil, filteredMix[0])},
			want:  "",
		},
		{
			name:  "reason column with ttl",
			start: sdk.ScanStart{ScanInfo: connect, Reason: true},
			hosts: []sdk.Host{up([]sdk.Port{http,
				tcp(100, sdk.StateFiltered, "no-response", 0, "newacct"),
				tcp(140, sdk.StateFiltered, "admin-prohibited", 64, "emfis-data"),
			}, filteredMix[0])},
			want: "Nmap scan report for 127.0.0.1\nHost is up, received user-set (0.0000080s latency).\n" +
				"Not shown: 157 closed tcp ports (reset)\n" +
				"PORT    STATE    SERVICE    REASON\n" +
				"80/tcp  open     http       syn-ack ttl 64\n" +
				"100/tcp filtered newacct    no-response\n" +
				"140/tcp filtered emfis-data admin-prohibited ttl 64\n\n",
		},
		{
			name:  "scanned-at line at -vv",
			start: sdk.ScanStart{ScanInfo: connect, Verbose: 2, Reason: true},
			hosts: []sdk.Host{func() sdk.Host {
				h := up([]sdk.Port{http}, filteredMix[0])
				h.Start = time.Date(2026, 11, 29, 14, 0, 48, 0, time.Local)
				h.End = h.Start.Add(2500 * time.Millisecond)
				return h
			}()},
			want: "Nmap scan report for 127.0.0.1\nHost is up, received user-set (0.0000080s latency).\n" +
				"Scanned at " + time.Date(2026, 11, 29, 14, 0, 48, 0, time.Local).Format("2006-01-02 15:04:05 MST") + " for 2s\n" +
				"Not shown: 157 closed tcp ports (reset)\n" +
				"PORT   STATE SERVICE REASON\n" +
				"80/tcp open  http    syn-ack ttl 64\n\n",
		},
		{
			name:  "down host hidden without verbosity",
			start: sdk.ScanStart{ScanInfo: connect},
			hosts: []sdk.Host{{Addr: netip.MustParseAddr("198.18.0.99"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}}},
			want:  "",
		},
		{
			name:  "down host with verbosity",
			start: sdk.ScanStart{ScanInfo: connect, Verbose: 1},
			hosts: []sdk.Host{{Addr: netip.MustParseAddr("198.18.0.99"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}}},
			want:  "Nmap scan report for 198.18.0.99 [host down]\n",
		},
		{
			name:  "down host with reason",
			start: sdk.ScanStart{ScanInfo: connect, Verbose: 1, Reason: true},
			hosts: []sdk.Host{{Addr: netip.MustParseAddr("198.18.0.99"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}}},
			want:  "Nmap scan report for 198.18.0.99 [host down, received no-response]\n",
		},
		{
			name:  "names, mac, versions and service info",
			start: sdk.ScanStart{ScanInfo: connect, Args: "nmap -sV", ServiceScan: true},
			hosts: []sdk.Host{{
				Addr: netip.MustParseAddr("2001:db8::5"), MAC: "02:00:00:00:00:05", MACVendor: "",
				Hostnames: []sdk.Hostname{{Name: "gw.example", Type: "PTR"}, {Name: "gw", Type: "user"}},
				Status:    sdk.HostStatus{State: "up", Reason: "echo-reply", ReasonTTL: 64},
				SRTT:      99600 * time.Microsecond,
				Ports: []sdk.Port{
					{Proto: sdk.ProtoTCP, Number: 22, State: sdk.StateOpen, Reason: "syn-ack", Service: &sdk.Service{
						Name: "ssh", Product: "OpenSSH", Version: "8.9p1", ExtraInfo: "protocol 2.0", OSType: "Linux",
						Method: "probed", Conf: 10, CPE: []string{"cpe:/a:openbsd:openssh:8.9p1", "cpe:/o:linux:linux_kernel"}}},
					{Proto: sdk.ProtoTCP, Number: 443, State: sdk.StateOpen, Reason: "syn-ack", Service: &sdk.Service{
						Name: "http", Product: "nginx", Tunnel: "ssl", Hostname: "www", Method: "probed", Conf: 10}},
					{Proto: sdk.ProtoTCP, Number: 8080, State: sdk.StateOpen, Reason: "syn-ack", Service: &sdk.Service{Name: "http-proxy", Method: "table", Conf: 3}},
					{Proto: sdk.ProtoUDP, Number: 53, State: sdk.StateClosed, Reason: "port-unreach"},
				},
			}},
			want: "Nmap scan report for gw (2001:db8::5)\nHost is up (0.100s latency).\n\n" +
				"PORT     STATE  SERVICE     VERSION\n" +
				"22/tcp   open   ssh         OpenSSH 8.9p1 (protocol 2.0)\n" +
				"443/tcp  open   ssl/http    nginx\n" +
				"8080/tcp open   http-proxy?\n" +
				"53/udp   closed unknown\n" +
				"MAC Address: 02:00:00:00:00:05 (Unknown)\n" +
				"Service Info: Host: www; OS: Linux; CPE: cpe:/o:linux:linux_kernel\n\n",
		},
		{
			name:  "one ignored port",
			start: sdk.ScanStart{ScanInfo: connect, Verbose: 0},
			hosts: []sdk.Host{up(nil, sdk.ExtraPorts{State: sdk.StateClosed, Count: 1, Reasons: []sdk.ExtraReason{{Reason: "reset", Count: 1, Proto: sdk.ProtoTCP, Ports: "1"}}})},
			want: "Nmap scan report for 127.0.0.1\nHost is up (0.0000080s latency).\n" +
				"The 1 scanned port on 127.0.0.1 is in ignored states.\nNot shown: 1 closed tcp port (reset)\n\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.start.Version, c.start.Start = "0.1.0", t0
			if c.start.Args == "" {
				c.start.Args = "nmap -sS"
			}
			e := end
			if c.end.Exit != "" {
				e = c.end
			}
			got := render(t, "out.nmap", c.start, c.hosts, e)
			want := header + c.want
			if strings.Contains(c.start.Args, "-sV") {
				want = "# scanfw 0.1.0 scan initiated Sun Nov 29 11:09:10 2026 as: nmap -sV\n" + c.want +
					"Service detection performed. Please report any incorrect results at https://github.com/scanfw/scanfw/issues .\n"
			}
			nmaprun.DiffLines(t, want+trailer, got)
		})
	}
}

func TestSummaryPlurals(t *testing.T) {
	cases := []struct {
		name      string
		total, up int
		want      string
	}{
		{"one of one", 1, 1, "scanfw done: 1 IP address (1 host up) scanned in 0.03 seconds\n"},
		{"two, one up", 2, 1, "scanfw done: 2 IP addresses (1 host up) scanned in 0.03 seconds\n"},
		{"none", 0, 0, "scanfw done: 0 IP addresses (0 hosts up) scanned in 0.03 seconds\n"},
		{"256, 3 up", 256, 3, "scanfw done: 256 IP addresses (3 hosts up) scanned in 0.03 seconds\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := New()
			ctx := context.Background()
			if _, err := w.Start(ctx, sdk.OutputDest{Path: "-"}, sdk.ScanStart{Verbose: 1}); err != nil {
				t.Fatal(err)
			}
			out, err := w.End(ctx, sdk.ScanEnd{HostsTotal: c.total, HostsUp: c.up, Elapsed: 30 * time.Millisecond, Exit: "success"})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}

func TestErrorEnd(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, path, want string
	}{
		{"file", "scan.nmap", "socket: permission denied\nQUITTING!\n"},
		{"stdout", "-", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := New()
			if _, err := w.Start(ctx, sdk.OutputDest{Path: c.path}, sdk.ScanStart{}); err != nil {
				t.Fatal(err)
			}
			out, err := w.End(ctx, sdk.ScanEnd{Exit: "error", ErrorMsg: "socket: permission denied"})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}

// TestProtocolScanNotShown: -sO's folded protocols are "n/a protocols", as
// nmap 7.93 prints them ("Not shown: 249 closed n/a protocols
// (proto-unreach)"); an SCTP scan's stay "sctp ports".
func TestProtocolScanNotShown(t *testing.T) {
	for _, tc := range []struct {
		proto sdk.Proto
		want  string
	}{
		{sdk.ProtoIP, "Not shown: 249 closed n/a protocols (proto-unreach)\n"},
		{sdk.ProtoSCTP, "Not shown: 249 closed sctp ports (proto-unreach)\n"},
	} {
		si := []sdk.ScanInfo{{Type: "ipproto", Protocol: tc.proto, NumServices: 256, Services: "0-255"}}
		h := up([]sdk.Port{{Proto: tc.proto, Number: 6, State: sdk.StateOpen, Reason: "proto-response"}},
			sdk.ExtraPorts{State: sdk.StateClosed, Count: 249, Reasons: []sdk.ExtraReason{{Reason: "proto-unreach", Count: 249, Proto: tc.proto, Ports: "7-255"}}})
		got := render(t, "out.nmap", sdk.ScanStart{ScanInfo: si, Version: "0.1.0", Start: t0, Args: "nmap -sO"}, []sdk.Host{h},
			sdk.ScanEnd{End: t0, HostsUp: 1, HostsTotal: 1, Exit: "success"})
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.proto, tc.want, got)
		}
	}
}

// TestDataFilesNote: Nmap's account of its data files, by verbosity and
// by how many directories the files came from.
func TestDataFilesNote(t *testing.T) {
	two := []string{"/usr/share/nmap/nmap-services", "/opt/d/nmap-service-probes", "/usr/share/nmap/nmap-payloads"}
	for _, c := range []struct {
		name  string
		start sdk.ScanStart
		want  string
	}{
		{"quiet", sdk.ScanStart{DataFiles: two[:1]}, ""},
		{"-v one directory", sdk.ScanStart{Verbose: 1, DataFiles: two[:1]}, "Read data files from: /usr/share/nmap\n"},
		{"-d one directory", sdk.ScanStart{Verbose: 1, Debugging: 1, DataFiles: []string{two[2], two[0]}},
			"Read from /usr/share/nmap: nmap-payloads nmap-services.\n"},
		{"two directories, even quiet", sdk.ScanStart{DataFiles: two},
			"Read from /opt/d: nmap-service-probes.\nRead from /usr/share/nmap: nmap-payloads nmap-services.\n"},
		{"none at -v", sdk.ScanStart{Verbose: 1}, ""},
		{"none at -d", sdk.ScanStart{Verbose: 1, Debugging: 1}, "No data files read.\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := dataFilesNote(c.start); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestTimingReportFollowsFirstLine: -d's report comes right after the
// banner on standard output and after the header comment in a file.
func TestTimingReportFollowsFirstLine(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"-", "scan.nmap"} {
		w := New()
		out, err := w.Start(ctx, sdk.OutputDest{Path: path}, sdk.ScanStart{Scanner: "scanfw", Version: "1", TimingReport: "REPORT\n"})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(out), "\n")
		if len(lines) != 3 || lines[1] != "REPORT" || lines[2] != "" {
			t.Errorf("%s: %q, want the first line, then the report", path, out)
		}
	}
}
