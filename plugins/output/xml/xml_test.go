package xml

import (
	"bytes"
	"context"
	encxml "encoding/xml"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaprun"
	"github.com/scanfw/scanfw/sdk"
)

const dtd = "/usr/share/nmap/nmap.dtd"

func render(t *testing.T, settings string, start sdk.ScanStart, hosts []sdk.Host, end *sdk.ScanEnd) []byte {
	t.Helper()
	ctx := context.Background()
	w := New()
	if settings != "" {
		diags, err := w.Configure(ctx, sdk.Settings(settings))
		if err != nil || len(diags) > 0 {
			t.Fatalf("Configure(%s): %v %v", settings, diags, err)
		}
	}
	return nmaprun.Render(t, w, "scan.xml", start, hosts, end)
}

// validate checks doc against Nmap's DTD with xmllint.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := os.Stat(dtd); err != nil {
		t.Skip("nmap.dtd not installed")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed")
	}
	path := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--dtdvalid", dtd, path).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint --dtdvalid: %v\n%s\n%s", err, out, doc)
	}
}

// wellFormed parses doc with Go's XML decoder and returns its tokens' text
// content and attribute values in order.
func wellFormed(t *testing.T, doc []byte) []string {
	t.Helper()
	d := encxml.NewDecoder(bytes.NewReader(doc))
	var vals []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return vals
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
		if se, ok := tok.(encxml.StartElement); ok {
			for _, a := range se.Attr {
				vals = append(vals, a.Value)
			}
		}
		if cd, ok := tok.(encxml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
			vals = append(vals, string(cd))
		}
	}
}

var xmlMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`<\?xml-stylesheet href="[^"]*"`), `<?xml-stylesheet href="HREF"`},
	{regexp.MustCompile(`<!-- \S+ \S+ scan initiated .+? as: `), `<!-- SCANNER scan initiated DATE as: `},
	{regexp.MustCompile(` (start|time|elapsed)="[0-9.]+"`), ` $1="N"`},
	{regexp.MustCompile(` (startstr|timestr|version|summary)="[^"]*"`), ` $1="S"`},
}

func maskXML(s string) string {
	for _, m := range xmlMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// TestGoldenAgainstNmap rebuilds loopback scans from Nmap's XML and checks
// that ours is the same document line for line (masking times, versions,
// the scanner's name and the stylesheet path), that it is valid against
// nmap.dtd, and that ndiff finds no difference between the two.
func TestGoldenAgainstNmap(t *testing.T) {
	nmaprun.Require(t)
	open := nmaprun.Listen(t, "127.0.0.1", 2)
	closed := nmaprun.ClosedPort(t, "127.0.0.1")
	few := nmaprun.PortList(open[0], open[1], closed)
	lo := max(int(open[0])-20, 1)
	span := strconv.Itoa(lo) + "-" + strconv.Itoa(lo+40)
	open6 := nmaprun.Listen(t, "::1", 1)
	unknown := nmaprun.ListenBanner(t, "127.0.0.1", 2, func(port uint16) []byte {
		return []byte("XYZZY-" + strconv.Itoa(int(port)) + " a banner long enough to wrap the fingerprint onto a second line\r\n\x00\x01")
	})
	cases := []struct {
		name string
		args []string
	}{
		{"few ports", []string{"-sT", "-Pn", "-n", "-p", few, "127.0.0.1"}},
		{"collapsed range", []string{"-sT", "-Pn", "-n", "--reason", "-p", span, "127.0.0.1"}},
		{"open only", []string{"-sT", "-Pn", "-n", "--open", "-p", span, "127.0.0.1"}},
		{"user hostname", []string{"-sT", "-Pn", "-n", "-p", few, "localhost"}},
		{"ipv6", []string{"-6", "-sT", "-Pn", "-n", "-p", nmaprun.PortList(open6[0], closed), "::1"}},
		{"two hosts", []string{"-sT", "-Pn", "-n", "-p", few, "127.0.0.1", "127.0.0.2"}},
		{"unrecognised services", []string{"-sV", "--version-intensity", "0", "-Pn", "-n", "-p", nmaprun.PortList(unknown...), "127.0.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.args[0] == "-sV" {
				t.Parallel() // Nmap waits some seconds for more banner
			}
			r := nmaprun.Run(t, c.args...)
			ours := render(t, "", r.Start, r.Hosts, &r.End)
			want, got := strings.Split(maskXML(string(r.XML)), "\n"), strings.Split(maskXML(string(ours)), "\n")
			for i := 0; i < max(len(want), len(got)); i++ {
				var w, g string
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				if w != g {
					t.Errorf("line %d:\nwant %q\ngot  %q", i+1, w, g)
				}
			}
			validate(t, ours)
			ndiff(t, r.XML, ours)
		})
	}
}

// ndiff runs Nmap's ndiff on the two documents and fails on any host or
// port difference. Exit status 0 means "no differences".
func ndiff(t *testing.T, a, b []byte) {
	t.Helper()
	if _, err := exec.LookPath("ndiff"); err != nil {
		t.Log("ndiff not installed; skipped")
		return
	}
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "nmap.xml"), filepath.Join(dir, "ours.xml")
	if err := os.WriteFile(pa, a, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pb, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ndiff", pa, pb).CombinedOutput()
	if err != nil {
		t.Errorf("ndiff reports differences (%v):\n%s", err, out)
	}
}

var t0 = time.Date(2026, 11, 29, 11, 9, 10, 0, time.UTC)

func start(args string) sdk.ScanStart {
	return sdk.ScanStart{Scanner: "scanfw", Version: "0.1.0", Args: args, Start: t0,
		ScanInfo: []sdk.ScanInfo{{Type: "syn", Protocol: sdk.ProtoTCP, NumServices: 1000, Services: "1-1000"}}}
}

func TestHostileStringsStayWellFormed(t *testing.T) {
	hostile := "a<b>&c\"d'e\x00\x01\x1b[31m\x7f\xff\xfe\tf\ng\r\uFFFE--->"
	h := sdk.Host{
		Addr:      netip.MustParseAddr("127.0.0.1"),
		MAC:       "02:00:00:00:00:01",
		MACVendor: hostile,
		Hostnames: []sdk.Hostname{{Name: hostile, Type: "PTR"}},
		Status:    sdk.HostStatus{State: "up", Reason: hostile},
		Start:     t0, End: t0,
		Ports: []sdk.Port{{Proto: sdk.ProtoTCP, Number: 80, State: sdk.StateOpen, Reason: "syn-ack", Service: &sdk.Service{
			Name: hostile, Product: hostile, Version: hostile, ExtraInfo: hostile, Hostname: hostile, OSType: hostile,
			DeviceType: hostile, Tunnel: hostile, Method: hostile, Conf: 99, CPE: []string{hostile}, Fingerprint: hostile,
		}}},
		ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 1, Reasons: []sdk.ExtraReason{{Reason: hostile, Count: 1, Proto: sdk.ProtoTCP, Ports: "1"}}}},
		SRTT:       time.Millisecond,
	}
	end := sdk.ScanEnd{End: t0, Exit: "error", ErrorMsg: hostile, HostsUp: 1, HostsTotal: 1}
	doc := render(t, `{"stylesheet": "x.xsl?a=1&b=\"2\""}`, start("scanfw --script '"+hostile+"' -oX -"), []sdk.Host{h}, &end)
	vals := wellFormed(t, doc)
	// What XML can carry must come back exactly; only the bytes it cannot
	// carry are replaced.
	want := "a<b>&c\"d'e\\x00\\x01\\x1B[31m\x7f\\xFF\\xFE\tf\ng\r\\xEF\\xBF\\xBE--->"
	found := 0
	for _, v := range vals {
		if v == want {
			found++
		}
	}
	if found < 10 {
		t.Errorf("escaped value %q round-tripped %d times, want it in every hostile field; values: %q", want, found, vals)
	}
	validate(t, doc)
}

func TestInterruptedScanIsValid(t *testing.T) {
	hosts := []sdk.Host{
		{Addr: netip.MustParseAddr("127.0.0.1"), Status: sdk.HostStatus{State: "up", Reason: "user-set"}, Start: t0, End: t0,
			Ports: []sdk.Port{{Proto: sdk.ProtoTCP, Number: 22, State: sdk.StateOpen, Reason: "syn-ack"}}, SRTT: time.Millisecond},
		{Addr: netip.MustParseAddr("::1"), Status: sdk.HostStatus{State: "up", Reason: "user-set"}, Start: t0, End: t0},
		{Addr: netip.MustParseAddr("198.18.0.9"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}},
	}
	s := start("scanfw -v -sS 127.0.0.1 ::1 198.18.0.9")
	s.Verbose = 1
	end := sdk.ScanEnd{End: t0, Elapsed: 2 * time.Second, HostsUp: 2, HostsDown: 1, HostsTotal: 3, Exit: "error", ErrorMsg: "interrupted by signal"}
	doc := render(t, `{"no_stylesheet": true}`, s, hosts, &end)
	wellFormed(t, doc)
	validate(t, doc)
	for _, want := range []string{
		`exit="error" errormsg="interrupted by signal"`,
		`<host><status state="down" reason="no-response" reason_ttl="0"/>`,
		`<address addr="::1" addrtype="ipv6"/>`,
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("document lacks %s:\n%s", want, doc)
		}
	}
	if bytes.Contains(doc, []byte("xml-stylesheet")) {
		t.Errorf("no_stylesheet still wrote the instruction:\n%s", doc)
	}
	// Everything up to the last finished host is on disk before End: the
	// part without runstats parses as far as it goes.
	partial := render(t, "", s, hosts[:1], nil)
	if !bytes.HasSuffix(partial, []byte("</host>\n")) {
		t.Errorf("partial document does not end with a finished host:\n%s", partial)
	}
}

func TestConfigure(t *testing.T) {
	cases := []struct {
		name     string
		settings string
		wantPI   string
		wantDiag bool
	}{
		{"default", ``, `<?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>`, false},
		{"web", `{"stylesheet": "https://nmap.org/svn/docs/nmap.xsl"}`, `<?xml-stylesheet href="https://nmap.org/svn/docs/nmap.xsl" type="text/xsl"?>`, false},
		{"none", `{"no_stylesheet": true}`, ``, false},
		{"empty href means none", `{"stylesheet": ""}`, ``, false},
		{"pi terminator refused", `{"stylesheet": "a?>b"}`, ``, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			w := New()
			diags, err := w.Configure(ctx, sdk.Settings(c.settings))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(diags) > 0; got != c.wantDiag {
				t.Fatalf("diagnostics %v, want some: %v", diags, c.wantDiag)
			}
			if c.wantDiag {
				return
			}
			out, err := w.Start(ctx, sdk.OutputDest{Path: "-"}, start("scanfw"))
			if err != nil {
				t.Fatal(err)
			}
			has := bytes.Contains(out, []byte("xml-stylesheet"))
			if c.wantPI == "" && has || c.wantPI != "" && !bytes.Contains(out, []byte(c.wantPI)) {
				t.Errorf("prolog %s, want stylesheet %q", out, c.wantPI)
			}
		})
	}
}

// TestProtocolScanExtraReasons: as nmap 7.93 writes for -sO, <port> and
// <scaninfo> say "ip" and <extrareasons> says "n/a"; other scans keep
// their protocol there.
func TestProtocolScanExtraReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		proto sdk.Proto
		want  string
	}{{sdk.ProtoIP, `proto="n/a"`}, {sdk.ProtoSCTP, `proto="sctp"`}, {sdk.ProtoTCP, `proto="tcp"`}} {
		h := sdk.Host{Addr: netip.MustParseAddr("127.0.0.1"), Status: sdk.HostStatus{State: "up", Reason: "user-set"}, Start: t0, End: t0,
			Ports:      []sdk.Port{{Proto: tc.proto, Number: 6, State: sdk.StateOpen, Reason: "proto-response"}},
			ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 2, Reasons: []sdk.ExtraReason{{Reason: "proto-unreach", Count: 2, Proto: tc.proto, Ports: "3-4"}}}}}
		end := sdk.ScanEnd{End: t0, Exit: "success", HostsUp: 1, HostsTotal: 1}
		doc := string(render(t, `{}`, start("scanfw -sO -oX - 127.0.0.1"), []sdk.Host{h}, &end))
		if !strings.Contains(doc, `<extrareasons reason="proto-unreach" count="2" `+tc.want+` ports="3-4"/>`) ||
			!strings.Contains(doc, `<port protocol="`+tc.proto.String()+`" portid="6">`) {
			t.Errorf("%s: document\n%s", tc.proto, doc)
		}
	}
}
