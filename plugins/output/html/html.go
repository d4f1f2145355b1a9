// Package html is the output plugin "output.html": a report for people
// (-oH), one self-contained HTML page with inline CSS, no script and
// nothing fetched from the network, so it opens offline, mails as one
// file and prints.
//
// The page is written as the scan goes, like every output:
//
//   - Start writes the head, the scan's header, a notice that the report is
//     incomplete, and opens the host table;
//   - Host appends one <tbody> per host: a row with its address, names,
//     status, ports and latency;
//   - End closes the table and writes the open-services table, the summary
//     (counts and an inline SVG chart of port states) and the end of the
//     page.
//
// The summary is written last but shown first: each run is a flex column
// (<main class="run">) and its summary section has a negative CSS order. The
// incomplete-report notice hides itself (.run:has(>.summary)) once the
// summary exists, so a page cut off by an interrupted scan renders every
// host it holds and says that it is incomplete, and a finished page does
// not. With --append-output a second report follows the first in the same
// file; browsers drop its second <html>/<head>/<body> tags and show the two
// runs one after the other, each with its own summary.
//
// Every string is escaped for HTML; strings from the network (service
// banners, names) are made valid UTF-8 and their control characters are
// written as the text \xNN.
package html

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaptext"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "output.html"

// Version is the plugin's version.
const Version = "0.1.0"

// Writer renders a scan as an HTML report. Use New.
type Writer struct {
	mu       sync.Mutex
	scan     sdk.ScanStart
	states   map[sdk.PortState]int // ports of the shown hosts by state
	services map[serviceKey]*serviceRow
	shown    int
}

type serviceKey struct {
	proto   sdk.Proto
	port    uint16
	name    string
	version string
}

type serviceRow struct {
	serviceKey
	hosts []string
}

// New returns the HTML output plugin.
func New() sdk.Output { return &Writer{} }

// Info describes the plugin. It has no settings.
func (w *Writer) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindOutput,
		Version:     Version,
		Description: "a self-contained HTML report (-oH): summary, port-state chart, host table, open services",
	}, nil
}

// Configure has nothing to do: the plugin declares no settings.
func (w *Writer) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) {
	return nil, nil
}

// Start writes the head of the page and opens the host table.
func (w *Writer) Start(_ context.Context, _ sdk.OutputDest, scan sdk.ScanStart) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scan = scan
	w.states = map[sdk.PortState]int{}
	w.services = map[serviceKey]*serviceRow{}
	w.shown = 0
	var b strings.Builder
	name := nmaptext.Scanner(scan)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<meta name=\"generator\" content=\"%s %s\">\n", esc(name), esc(scan.Version))
	fmt.Fprintf(&b, "<title>%s scan report: %s</title>\n<style>%s</style>\n</head>\n<body>\n<main class=\"run\">\n", esc(name), esc(scan.Args), css)
	fmt.Fprintf(&b, "<header>\n<h1>%s scan report</h1>\n<p class=\"meta\">%s %s &middot; started %s</p>\n<pre class=\"args\">%s</pre>\n",
		esc(name), esc(name), esc(scan.Version), esc(stamp(scan.Start)), esc(scan.Args))
	if len(scan.ScanInfo) > 0 {
		b.WriteString("<p class=\"meta\">")
		for i, si := range scan.ScanInfo {
			if i > 0 {
				b.WriteString(" &middot; ")
			}
			if si.Protocol == sdk.ProtoIP {
				fmt.Fprintf(&b, "%s scan of %d IP %s", esc(si.Type), si.NumServices, nmaptext.Plural(si.NumServices, "protocol", "protocols"))
				continue
			}
			fmt.Fprintf(&b, "%s scan of %d %s %s", esc(si.Type), si.NumServices, si.Protocol, nmaptext.Plural(si.NumServices, "port", "ports"))
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</header>\n")
	b.WriteString("<p class=\"notice pending\">This report is incomplete: the scan had not ended when it was written (it is still running, or it was interrupted). It shows the hosts finished so far.</p>\n")
	b.WriteString("<section class=\"hosts\">\n<h2>Hosts</h2>\n<table class=\"hosts\">\n<thead><tr><th>Address</th><th>Names</th><th>Status</th><th>" + unit(scan, "Ports", "Protocols") + "</th><th>Not shown</th><th>Latency</th></tr></thead>\n")
	return []byte(b.String()), nil
}

// Host appends the host's rows, or nothing for a host Nmap's formats leave
// out (down hosts without -v, hosts without an open port with --open).
func (w *Writer) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !nmaptext.HostShown(w.scan, h) {
		return nil, nil
	}
	w.shown++
	state := cmp.Or(h.Status.State, "unknown")
	var b strings.Builder
	fmt.Fprintf(&b, "<tbody><tr class=\"host %s\"><td class=\"addr\">%s", cls(state), esc(h.Addr.String()))
	if h.MAC != "" {
		fmt.Fprintf(&b, "<br><span class=\"mac\">%s %s</span>", esc(h.MAC), esc(h.MACVendor))
	}
	b.WriteString("</td><td>")
	for i, n := range h.Hostnames {
		if i > 0 {
			b.WriteString("<br>")
		}
		fmt.Fprintf(&b, "%s <span class=\"dim\">(%s)</span>", esc(n.Name), esc(n.Type))
	}
	fmt.Fprintf(&b, "</td><td><span class=\"status %s\">%s</span>", cls(state), esc(state))
	if h.Status.Reason != "" {
		fmt.Fprintf(&b, " <span class=\"dim\">%s</span>", esc(h.Status.Reason))
	}
	if h.TimedOut {
		b.WriteString(" <span class=\"status warn\">timed out</span>")
	}
	b.WriteString("</td><td class=\"ports\">")
	for _, p := range h.Ports {
		w.states[p.State]++
		fmt.Fprintf(&b, "<span class=\"port %s\"><b>%d/%s</b> %s", cls(p.State.String()), p.Number, p.Proto, esc(p.State.String()))
		if p.Service != nil && p.Service.Name != "" {
			fmt.Fprintf(&b, " %s", esc(p.Service.Name))
		}
		if v := nmaptext.Version(p.Service); v != "" {
			fmt.Fprintf(&b, " <i>%s</i>", esc(v))
		}
		b.WriteString("</span> ")
		if p.State == sdk.StateOpen {
			w.addService(h, p)
		}
	}
	b.WriteString("</td><td>")
	for i, e := range h.ExtraPorts {
		w.states[e.State] += e.Count
		if i > 0 {
			b.WriteString("<br>")
		}
		fmt.Fprintf(&b, "%d %s", e.Count, esc(e.State.String()))
	}
	b.WriteString("</td><td class=\"num\">")
	if h.SRTT > 0 {
		fmt.Fprintf(&b, "%ss", esc(nmaptext.Latency(h.SRTT)))
	}
	b.WriteString("</td></tr></tbody>\n")
	return []byte(b.String()), nil
}

func (w *Writer) addService(h sdk.Host, p sdk.Port) {
	k := serviceKey{proto: p.Proto, port: p.Number}
	if p.Service != nil {
		k.name, k.version = p.Service.Name, nmaptext.Version(p.Service)
	}
	row := w.services[k]
	if row == nil {
		row = &serviceRow{serviceKey: k}
		w.services[k] = row
	}
	row.hosts = append(row.hosts, h.Addr.String())
}

// End closes the host table and writes the services, the summary and the
// end of the page.
func (w *Writer) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	if w.shown == 0 {
		b.WriteString("<tbody><tr><td colspan=\"6\" class=\"dim\">No host to show.</td></tr></tbody>\n")
	}
	b.WriteString("</table>\n</section>\n")
	w.writeServices(&b)
	w.writeSummary(&b, e)
	fmt.Fprintf(&b, "<footer>Written by %s %s.</footer>\n</main>\n</body>\n</html>\n", esc(nmaptext.Scanner(w.scan)), esc(w.scan.Version))
	return []byte(b.String()), nil
}

func (w *Writer) writeServices(b *strings.Builder) {
	b.WriteString("<section class=\"services\">\n<h2>Open services</h2>\n")
	if len(w.services) == 0 {
		b.WriteString("<p class=\"dim\">No open port was found.</p>\n</section>\n")
		return
	}
	rows := make([]*serviceRow, 0, len(w.services))
	for _, r := range w.services {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, c *serviceRow) int {
		return cmp.Or(cmp.Compare(a.proto, c.proto), cmp.Compare(a.port, c.port), cmp.Compare(a.name, c.name), cmp.Compare(a.version, c.version))
	})
	b.WriteString("<table class=\"services\">\n<thead><tr><th>" + unit(w.scan, "Port", "Protocol") + "</th><th>Service</th><th>Version</th><th>Hosts</th></tr></thead>\n<tbody>\n")
	for _, r := range rows {
		fmt.Fprintf(b, "<tr><td class=\"num\">%d/%s</td><td>%s</td><td>%s</td><td><span class=\"count\">%d</span> %s</td></tr>\n",
			r.port, r.proto, esc(cmp.Or(r.name, "unknown")), esc(r.version), len(r.hosts), esc(strings.Join(r.hosts, ", ")))
	}
	b.WriteString("</tbody>\n</table>\n</section>\n")
}

func (w *Writer) writeSummary(b *strings.Builder, e sdk.ScanEnd) {
	b.WriteString("<section class=\"summary\">\n<h2>Summary</h2>\n")
	if e.Exit == "error" {
		fmt.Fprintf(b, "<p class=\"notice\">The scan stopped early: %s. The report shows the hosts finished before.</p>\n", esc(e.ErrorMsg))
	}
	b.WriteString("<div class=\"cards\">")
	card := func(n, label, class string) {
		fmt.Fprintf(b, "<div class=\"card %s\"><span class=\"big\">%s</span>%s</div>", class, n, label)
	}
	card(strconv.Itoa(e.HostsUp), nmaptext.Plural(e.HostsUp, "host up", "hosts up"), "up")
	card(strconv.Itoa(e.HostsDown), nmaptext.Plural(e.HostsDown, "host down", "hosts down"), "down")
	card(strconv.Itoa(w.states[sdk.StateOpen]), nmaptext.Plural(w.states[sdk.StateOpen], unit(w.scan, "open port", "open protocol"), unit(w.scan, "open ports", "open protocols")), "open")
	card(esc(nmaptext.Seconds(e.Elapsed))+"s", "elapsed", "")
	b.WriteString("</div>\n")
	fmt.Fprintf(b, "<p class=\"meta\">%s %s; ended %s.</p>\n", esc(nmaptext.HostsSummary(e.HostsTotal, e.HostsUp)), "scanned", esc(stamp(e.End)))
	b.WriteString(chart(w.states, w.shown))
	b.WriteString("</section>\n")
}

// stateOrder is the order of the chart's bars: the interesting states first.
var stateOrder = []sdk.PortState{sdk.StateOpen, sdk.StateOpenFiltered, sdk.StateUnfiltered, sdk.StateClosed, sdk.StateFiltered, sdk.StateClosedFiltered, sdk.StateUnknown}

// chart draws the port states as a horizontal bar chart in inline SVG. The
// bars are on a square-root scale so that three open ports next to 65,000
// closed ones still show; the exact counts are written beside them.
func chart(states map[sdk.PortState]int, hosts int) string {
	var bars []sdk.PortState
	most := 0
	for _, s := range stateOrder {
		if states[s] > 0 {
			bars = append(bars, s)
			most = max(most, states[s])
		}
	}
	var b strings.Builder
	b.WriteString("<figure class=\"chart\">\n")
	if len(bars) == 0 {
		b.WriteString("<p class=\"dim\">No port results to chart.</p>\n</figure>\n")
		return b.String()
	}
	const labelW, barW, rowH, countW = 130, 420, 30, 90
	height := len(bars)*rowH + 10
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"port states\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		labelW+barW+countW, height, labelW+barW+countW, height)
	for i, s := range bars {
		n := states[s]
		w := max(2, int(float64(barW)*sqrtRatio(n, most)))
		y := 5 + i*rowH
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lbl\">%s</text>", labelW-10, y+19, esc(s.String()))
		fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" class=\"bar %s\"><title>%d %s</title></rect>", labelW, y+4, w, rowH-8, cls(s.String()), n, esc(s.String()))
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" class=\"cnt\">%d</text>\n", labelW+w+8, y+19, n)
	}
	b.WriteString("</svg>\n")
	fmt.Fprintf(&b, "<figcaption>Port states over %d %s shown (square-root scale).</figcaption>\n</figure>\n", hosts, nmaptext.Plural(hosts, "host", "hosts"))
	return b.String()
}

// unit names what the scan probed: an IP protocol scan alone (-sO) probes
// protocols, which Nmap's reports call so; any other scan probes ports.
func unit(scan sdk.ScanStart, port, protocol string) string {
	if len(scan.ScanInfo) == 0 {
		return port
	}
	for _, si := range scan.ScanInfo {
		if si.Protocol != sdk.ProtoIP {
			return port
		}
	}
	return protocol
}

func sqrtRatio(n, most int) float64 {
	if most == 0 {
		return 0
	}
	return math.Sqrt(float64(n) / float64(most))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// esc makes s safe as HTML text and as a quoted attribute value.
func esc(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexFunc(s, isControl) >= 0 {
		var b strings.Builder
		for _, r := range s {
			if isControl(r) {
				fmt.Fprintf(&b, "\\x%02x", r)
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	return html.EscapeString(s)
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0
}

// cls turns a state name into a CSS class ("open|filtered" ->
// "open-filtered"); only a fixed set of names reaches it.
func cls(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return '-'
	}, s)
}

var _ sdk.Output = (*Writer)(nil)
