package grepable

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaprun"
	"github.com/scanfw/scanfw/sdk"
)

func render(t *testing.T, start sdk.ScanStart, hosts []sdk.Host, end sdk.ScanEnd) string {
	t.Helper()
	return string(nmaprun.Render(t, New(), "scan.gnmap", start, hosts, &end))
}

// TestGoldenAgainstNmap checks our -oG against Nmap's for the same loopback
// scans, with the scan rebuilt from Nmap's XML.
func TestGoldenAgainstNmap(t *testing.T) {
	nmaprun.Require(t)
	open := nmaprun.Listen(t, "127.0.0.1", 2)
	closed := nmaprun.ClosedPort(t, "127.0.0.1")
	few := nmaprun.PortList(open[0], open[1], closed)
	lo := max(int(open[0])-20, 1)
	span := strconv.Itoa(lo) + "-" + strconv.Itoa(lo+40)
	open6 := nmaprun.Listen(t, "::1", 1)
	cases := []struct {
		name string
		args []string
	}{
		{"few ports", []string{"-sT", "-Pn", "-n", "-p", few, "127.0.0.1"}},
		{"collapsed range", []string{"-sT", "-Pn", "-n", "-p", span, "127.0.0.1"}},
		{"verbose header", []string{"-sT", "-Pn", "-n", "-v", "-p", span, "127.0.0.1"}},
		{"open only", []string{"-sT", "-Pn", "-n", "--open", "-p", span, "127.0.0.1"}},
		{"user hostname is not a PTR name", []string{"-sT", "-Pn", "-n", "-p", few, "localhost"}},
		{"ipv6", []string{"-6", "-sT", "-Pn", "-n", "-p", nmaprun.PortList(open6[0], closed), "::1"}},
		{"ping scan", []string{"-sn", "-n", "127.0.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := nmaprun.Run(t, c.args...)
			nmaprun.DiffLines(t, nmaprun.Mask(string(r.Grepable)), nmaprun.Mask(render(t, r.Start, r.Hosts, r.End)))
		})
	}
}

// TestConstructed covers what loopback connect scans cannot show; the
// expected lines are Nmap 7.93's for the same situations.
func TestConstructed(t *testing.T) {
	syn := []sdk.ScanInfo{{Type: "syn", Protocol: sdk.ProtoTCP, NumServices: 200, Services: "1-200"}}
	closedX := sdk.ExtraPorts{State: sdk.StateClosed, Count: 157, Reasons: []sdk.ExtraReason{{Reason: "reset", Count: 157, Proto: sdk.ProtoTCP}}}
	filteredX := sdk.ExtraPorts{State: sdk.StateFiltered, Count: 42, Reasons: []sdk.ExtraReason{
		{Reason: "no-response", Count: 31, Proto: sdk.ProtoTCP}, {Reason: "admin-prohibited", Count: 11, Proto: sdk.ProtoTCP}}}
	http := sdk.Port{Proto: sdk.ProtoTCP, Number: 80, State: sdk.StateOpen, Reason: "syn-ack", Service: &sdk.Service{Name: "http", Method: "table", Conf: 3}}
	addr := netip.MustParseAddr("127.0.0.1")
	upHost := func(ports []sdk.Port, x ...sdk.ExtraPorts) sdk.Host {
		return sdk.Host{Addr: addr, Status: sdk.HostStatus{State: "up", Reason: "user-set"}, Ports: ports, ExtraPorts: x}
	}
	down := sdk.Host{Addr: netip.MustParseAddr("198.18.0.99"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}}
	cases := []struct {
		name  string
		start sdk.ScanStart
		hosts []sdk.Host
		want  string
	}{
		{"two ignored states are not named", sdk.ScanStart{ScanInfo: syn}, []sdk.Host{upHost([]sdk.Port{http}, closedX, filteredX)},
			"Host: 127.0.0.1 ()\tStatus: Up\nHost: 127.0.0.1 ()\tPorts: 80/open/tcp//http///\n"},
		{"one ignored state is named", sdk.ScanStart{ScanInfo: syn}, []sdk.Host{upHost([]sdk.Port{http}, closedX)},
			"Host: 127.0.0.1 ()\tStatus: Up\nHost: 127.0.0.1 ()\tPorts: 80/open/tcp//http///\tIgnored State: closed (157)\n"},
		{"all ignored", sdk.ScanStart{ScanInfo: syn}, []sdk.Host{upHost(nil, closedX)},
			"Host: 127.0.0.1 ()\tStatus: Up\nHost: 127.0.0.1 ()\tPorts: \tIgnored State: closed (157)\n"},
		{"down host hidden", sdk.ScanStart{ScanInfo: syn}, []sdk.Host{down}, ""},
		{"down host with -v", sdk.ScanStart{ScanInfo: syn, Verbose: 1}, []sdk.Host{down},
			"# Ports scanned: TCP(200;1-200) UDP(0;) SCTP(0;) PROTOCOLS(0;)\nHost: 198.18.0.99 ()\tStatus: Down\n"},
		{"slashes and tabs stay inside fields", sdk.ScanStart{ScanInfo: syn, Args: "nmap -sSV", ServiceScan: true}, []sdk.Host{{
			Addr: addr, Status: sdk.HostStatus{State: "up"}, Hostnames: []sdk.Hostname{{Name: "evil\tname", Type: "PTR"}},
			Ports: []sdk.Port{
				{Proto: sdk.ProtoTCP, Number: 443, State: sdk.StateOpen, Service: &sdk.Service{Name: "http", Tunnel: "ssl", Product: "a/b", Version: "1\t2", Method: "probed", Conf: 10}},
				{Proto: sdk.ProtoTCP, Number: 8080, State: sdk.StateOpen, Service: &sdk.Service{Name: "http-proxy", Method: "table", Conf: 3}},
				{Proto: sdk.ProtoUDP, Number: 9, State: sdk.StateOpenFiltered},
			}}},
			"Host: 127.0.0.1 (evil name)\tStatus: Up\nHost: 127.0.0.1 (evil name)\tPorts: 443/open/tcp//ssl|http//a|b 1 2/, 8080/open/tcp//http-proxy?///, 9/open|filtered/udp/////\n"},
	}
	t0 := time.Date(2026, 11, 29, 11, 9, 10, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.start.Version, c.start.Start = "0.1.0", t0
			if c.start.Args == "" {
				c.start.Args = "nmap -sS"
			}
			got := render(t, c.start, c.hosts, sdk.ScanEnd{End: t0, Elapsed: 1270 * time.Millisecond, HostsTotal: 1, HostsUp: 1, Exit: "success"})
			want := "# scanfw 0.1.0 scan initiated Sun Nov 29 11:09:10 2026 as: " + c.start.Args + "\n" + c.want +
				"# scanfw done at Sun Nov 29 11:09:10 2026 -- 1 IP address (1 host up) scanned in 1.27 seconds\n"
			nmaprun.DiffLines(t, want, got)
		})
	}
}

func TestErrorEndIsAComment(t *testing.T) {
	ctx := context.Background()
	w := New()
	if _, err := w.Start(ctx, sdk.OutputDest{Path: "x"}, sdk.ScanStart{}); err != nil {
		t.Fatal(err)
	}
	out, err := w.End(ctx, sdk.ScanEnd{Exit: "error", ErrorMsg: "boom\nsecond line"})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.HasPrefix(s, "# scanfw stopped at ") || strings.Count(s, "\n") != 1 || !strings.Contains(s, "boom second line") {
		t.Errorf("error trailer %q: want one comment line carrying the message", s)
	}
}
