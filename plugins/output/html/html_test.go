package html

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

var t0 = time.Date(2026, 11, 29, 11, 9, 10, 0, time.UTC)

const hostileProduct = "</td></table><script>alert(1)</script><img src=x onerror=alert(2)>\"'&\x01"

func scanStart() sdk.ScanStart {
	return sdk.ScanStart{
		Scanner: "scanfw", Version: "0.1.0", Args: "scanfw -sT -p 1-1000 -oH report.html 127.0.0.1 198.18.0.0/29", Start: t0,
		ScanInfo: []sdk.ScanInfo{{Type: "connect", Protocol: sdk.ProtoTCP, NumServices: 1000, Services: "1-1000"}},
	}
}

func hosts() []sdk.Host {
	svc := func(name, product, version string) *sdk.Service {
		return &sdk.Service{Name: name, Product: product, Version: version, Method: "probed", Conf: 10}
	}
	return []sdk.Host{
		{
			Addr: netip.MustParseAddr("127.0.0.1"), Status: sdk.HostStatus{State: "up", Reason: "localhost-response"},
			Hostnames: []sdk.Hostname{{Name: "localhost", Type: "user"}},
			Ports: []sdk.Port{
				{Proto: sdk.ProtoTCP, Number: 22, State: sdk.StateOpen, Reason: "syn-ack", Service: svc("ssh", "OpenSSH", "9.2p1 Debian 2")},
				{Proto: sdk.ProtoTCP, Number: 80, State: sdk.StateOpen, Reason: "syn-ack", Service: svc("http", "nginx", "1.22.1")},
				{Proto: sdk.ProtoTCP, Number: 443, State: sdk.StateFiltered, Reason: "no-response", Service: &sdk.Service{Name: "https", Method: "table", Conf: 3}},
			},
			ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 997, Reasons: []sdk.ExtraReason{{Reason: "conn-refused", Count: 997, Proto: sdk.ProtoTCP}}}},
			Start:      t0, End: t0.Add(time.Second), SRTT: 42 * time.Microsecond,
		},
		{
			Addr: netip.MustParseAddr("198.18.0.2"), Status: sdk.HostStatus{State: "up", Reason: "syn-ack"},
			MAC: "02:00:c6:12:00:02", MACVendor: "Lab",
			Ports: []sdk.Port{
				{Proto: sdk.ProtoTCP, Number: 25, State: sdk.StateOpen, Reason: "syn-ack", Service: svc("smtp", hostileProduct, "")},
				{Proto: sdk.ProtoTCP, Number: 80, State: sdk.StateOpen, Reason: "syn-ack", Service: svc("http", "nginx", "1.22.1")},
			},
			ExtraPorts: []sdk.ExtraPorts{
				{State: sdk.StateClosed, Count: 900, Reasons: []sdk.ExtraReason{{Reason: "conn-refused", Count: 900, Proto: sdk.ProtoTCP}}},
				{State: sdk.StateFiltered, Count: 98, Reasons: []sdk.ExtraReason{{Reason: "no-response", Count: 98, Proto: sdk.ProtoTCP}}},
			},
			Start: t0, End: t0.Add(2 * time.Second), SRTT: 1200 * time.Microsecond,
		},
		{Addr: netip.MustParseAddr("198.18.0.3"), Status: sdk.HostStatus{State: "down", Reason: "no-response"}},
	}
}

var endOK = sdk.ScanEnd{End: t0.Add(3 * time.Second), Elapsed: 3 * time.Second, HostsUp: 2, HostsDown: 1, HostsTotal: 3, Exit: "success"}

// render returns the page as the core would write it; with end == nil the
// page stops after the hosts, as an interrupted scan leaves it.
func render(t *testing.T, start sdk.ScanStart, hs []sdk.Host, end *sdk.ScanEnd) []byte {
	t.Helper()
	ctx := context.Background()
	w := New()
	var b bytes.Buffer
	out, err := w.Start(ctx, sdk.OutputDest{Path: "report.html"}, start)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(out)
	for _, h := range hs {
		out, err := w.Host(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(out)
	}
	if end != nil {
		out, err := w.End(ctx, *end)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(out)
	}
	return b.Bytes()
}

// TestPageContent checks what the page says against the scan it came
// from: hosts shown by Nmap's rules, open services grouped over hosts,
// the summary's counts and the chart's bars.
func TestPageContent(t *testing.T) {
	verbose := scanStart()
	verbose.Verbose = 1
	cases := []struct {
		name        string
		start       sdk.ScanStart
		end         *sdk.ScanEnd
		wantHosts   int
		contains    []string
		notContains []string
	}{
		{"finished scan", scanStart(), &endOK, 2, []string{
			`<section class="summary">`, `<span class="big">2</span>hosts up`, `<span class="big">4</span>open ports`,
			`<td class="num">80/tcp</td><td>http</td><td>nginx 1.22.1</td><td><span class="count">2</span> 127.0.0.1, 198.18.0.2</td>`,
			`class="bar open"><title>4 open</title>`, `class="bar closed"><title>1897 closed</title>`, `<title>99 filtered</title>`,
			"</html>\n",
		}, []string{"198.18.0.3"}},
		{"down host with -v", verbose, &endOK, 3, []string{`<span class="status down">down</span>`}, nil},
		{"interrupted", scanStart(), nil, 2, []string{`class="notice pending"`}, []string{`class="summary"`, "</html>"}},
		{"scan ended in an error", scanStart(), &sdk.ScanEnd{Exit: "error", ErrorMsg: "interrupted by signal <interrupt>"}, 2,
			[]string{"The scan stopped early: interrupted by signal &lt;interrupt&gt;."}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := string(render(t, c.start, hosts(), c.end))
			if n := strings.Count(page, `<tr class="host `); n != c.wantHosts {
				t.Errorf("%d host rows, want %d", n, c.wantHosts)
			}
			for _, s := range c.contains {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.notContains {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
			if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
				if m := regexp.MustCompile(`https?://[^" ]+`).FindAllString(page, -1); len(m) != 1 || m[0] != "http://www.w3.org/2000/svg" {
					t.Errorf("the page refers to the network: %q", m)
				}
			}
		})
	}
}

// TestHostileStringsAreEscaped: a service banner is text, never markup.
func TestHostileStringsAreEscaped(t *testing.T) {
	page := string(render(t, scanStart(), hosts(), &endOK))
	for _, bad := range []string{"<script", "<img", "onerror=alert(2)>", "\x01"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	if want := esc(hostileProduct); !strings.Contains(page, want) || !strings.Contains(want, `&lt;script&gt;`) || !strings.Contains(want, `\x01`) {
		t.Errorf("page lacks the escaped banner %q", want)
	}
}

// chromium returns the path of Debian's chromium, or skips (fails in CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (.ci/run installs it)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// runChromium runs headless Chromium with networking features off and
// returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// TestChromiumRendersThePage renders finished and interrupted pages in
// headless Chromium and checks the screenshots: the expected size, many
// colours, the green of open ports in the chart, and the incomplete-report
// notice only on the interrupted page.
func TestChromiumRendersThePage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	dir := t.TempDir()
	cases := []struct {
		name    string
		page    []byte
		pending bool
	}{
		{"finished", render(t, scanStart(), hosts(), &endOK), false},
		{"interrupted", render(t, scanStart(), hosts(), nil), true},
		{"two runs appended", append(render(t, scanStart(), hosts()[:1], &endOK), render(t, scanStart(), hosts()[1:], &endOK)...), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := filepath.Join(dir, c.name+".html")
			shot := filepath.Join(dir, c.name+".png")
			if err := os.WriteFile(page, c.page, 0o644); err != nil {
				t.Fatal(err)
			}
			runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", "file://"+page)
			img := decodePNG(t, shot)
			if got := img.Bounds().Size(); got != image.Pt(1280, 2000) {
				t.Errorf("screenshot is %v, want 1280x2000", got)
			}
			colours := histogram(img)
			if len(colours) < 50 {
				t.Errorf("screenshot has %d colours: the page did not render", len(colours))
			}
			if n := colours[[3]uint8{0x2e, 0x7d, 0x32}]; n < 500 && !c.pending {
				t.Errorf("%d pixels of the open-port green: no chart bar or status", n)
			}
			notice := colours[[3]uint8{0xff, 0xf4, 0xe5}]
			if (notice > 1000) != c.pending {
				t.Errorf("%d pixels of the incomplete-report notice, want shown=%v", notice, c.pending)
			}
			if os.Getenv("SCANFW_KEEP_SCREENSHOTS") != "" {
				keep := filepath.Join(os.Getenv("SCANFW_KEEP_SCREENSHOTS"), c.name+".png")
				b, _ := os.ReadFile(shot)
				os.WriteFile(keep, b, 0o644)
			}
		})
	}
}

// TestChromiumSeesNoMarkupFromTheNetwork parses the page in Chromium and
// checks the DOM: no script or img element exists, and the banner is text.
func TestChromiumSeesNoMarkupFromTheNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(page, render(t, scanStart(), hosts(), &endOK), 0o644)
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	if !strings.Contains(dom, "<tbody>") || !strings.Contains(dom, "198.18.0.2") {
		t.Fatalf("chromium did not load the page:\n%.500s", dom)
	}
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(dom, bad) {
			t.Errorf("the DOM has a %s element", bad)
		}
	}
	if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the banner is not in the DOM as text")
	}
	if n := strings.Count(dom, `<tr class="host `); n != 2 {
		t.Errorf("the DOM has %d host rows, want 2", n)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	return img
}

func histogram(img image.Image) map[[3]uint8]int {
	h := map[[3]uint8]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			h[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}]++
		}
	}
	return h
}

// TestChromiumShowsAppendedRunsApart: --append-output puts a second report
// after the first in one file. Chromium must show two runs side by side in
// the DOM (not one inside the other), each with its own summary.
func TestChromiumShowsAppendedRunsApart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(page, append(render(t, scanStart(), hosts()[:1], &endOK), render(t, scanStart(), hosts()[1:2], &endOK)...), 0o644)
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	first, second := strings.Index(dom, `<main class="run">`), strings.LastIndex(dom, `<main class="run">`)
	if first < 0 || first == second {
		t.Fatalf("want two runs in the DOM:\n%.2000s", dom)
	}
	if end := strings.Index(dom, "</main>"); end < 0 || end > second {
		t.Errorf("the second run is inside the first")
	}
	if n := strings.Count(dom, `<section class="summary">`); n != 2 {
		t.Errorf("%d summaries, want 2", n)
	}
	if !strings.Contains(dom[:second], "127.0.0.1") || !strings.Contains(dom[second:], "198.18.0.2") || strings.Contains(dom[second:], "127.0.0.1</td>") {
		t.Errorf("the runs do not hold their own hosts")
	}
}

// TestProtocolAndSCTPScans: an IP protocol scan's page speaks of protocols
// and shows each as number/ip; an SCTP scan's shows its ports as /sctp.
func TestProtocolAndSCTPScans(t *testing.T) {
	t.Parallel()
	host := func(p sdk.Proto, ports ...sdk.Port) []sdk.Host {
		return []sdk.Host{{Addr: netip.MustParseAddr("198.18.2.2"), Status: sdk.HostStatus{State: "up", Reason: "user-set"}, Ports: ports,
			ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 250, Reasons: []sdk.ExtraReason{{Reason: "proto-unreach", Count: 250, Proto: p}}}}}}
	}
	start := func(si sdk.ScanInfo) sdk.ScanStart {
		s := scanStart()
		s.ScanInfo = []sdk.ScanInfo{si}
		return s
	}
	end := sdk.ScanEnd{End: t0.Add(3 * time.Second), Elapsed: 3 * time.Second, HostsUp: 1, HostsTotal: 1, Exit: "success"}
	for _, tc := range []struct {
		name        string
		start       sdk.ScanStart
		hosts       []sdk.Host
		contains    []string
		notContains []string
	}{
		{"-sO", start(sdk.ScanInfo{Type: "ipproto", Protocol: sdk.ProtoIP, NumServices: 256, Services: "0-255"}),
			host(sdk.ProtoIP, sdk.Port{Proto: sdk.ProtoIP, Number: 1, State: sdk.StateOpen, Service: &sdk.Service{Name: "icmp"}},
				sdk.Port{Proto: sdk.ProtoIP, Number: 132, State: sdk.StateOpen, Service: &sdk.Service{Name: "sctp"}}),
			[]string{"ipproto scan of 256 IP protocols", "<th>Protocols</th>", "<th>Protocol</th><th>Service</th>",
				`<b>1/ip</b> open icmp`, `<td class="num">132/ip</td><td>sctp</td>`, `<span class="big">2</span>open protocols`},
			[]string{"ip ports", "open ports"}},
		{"-sY", start(sdk.ScanInfo{Type: "sctpinit", Protocol: sdk.ProtoSCTP, NumServices: 2, Services: "80,2905"}),
			host(sdk.ProtoSCTP, sdk.Port{Proto: sdk.ProtoSCTP, Number: 2905, State: sdk.StateOpen, Service: &sdk.Service{Name: "m3ua"}}),
			[]string{"sctpinit scan of 2 sctp ports", "<th>Ports</th>", `<b>2905/sctp</b> open m3ua`,
				`<td class="num">2905/sctp</td><td>m3ua</td>`, `<span class="big">1</span>open port`},
			[]string{"protocols"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := string(render(t, tc.start, tc.hosts, &end))
			for _, s := range tc.contains {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.notContains {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}
