// Package normal is the output plugin "output.normal": Nmap's human-readable
// format (-oN and what a scan prints on standard output).
//
// The text follows Nmap 7.93 line for line so that people and tools that
// read Nmap's normal output read ours too: "Nmap scan report for NAME
// (ADDR)" (kept verbatim, tools grep for it), "Host is up (0.00042s
// latency).", "Not shown: 997 closed tcp ports (conn-refused)", the
// PORT/STATE/SERVICE[/REASON][/VERSION] table padded like Nmap's, and the
// plural forms of the summaries. Only the lines where the scanner names
// itself say "scanfw": the "Starting ..." banner and "done" line on standard
// output, the "# ... scan initiated" header and "# ... done at" trailer in a
// file.
//
// The plugin only formats. The core decides which ports are shown one by one
// and which are collapsed (Host.Ports and Host.ExtraPorts), so this package
// never re-collapses; it only leaves out whole hosts the way Nmap does (down
// hosts without -v, hosts without open ports with --open).
package normal

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaptext"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "output.normal"

// Version is the plugin's version.
const Version = "0.1.0"

// Writer renders a scan as Nmap normal output. Use New; one Writer serves one
// destination for one scan.
type Writer struct {
	mu     sync.Mutex
	stdout bool
	scan   sdk.ScanStart
	listed bool // a list scan's target was shown: no "host seems down" note
}

// New returns the normal output plugin.
func New() sdk.Output { return &Writer{} }

// Info describes the plugin. It has no settings.
func (w *Writer) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindOutput,
		Version:     Version,
		Description: "Nmap-compatible normal (human-readable) output, as -oN and on standard output",
	}, nil
}

// Configure has nothing to do: the plugin declares no settings, and the
// core refuses a profile block that gives it any.
func (w *Writer) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) {
	return nil, nil
}

// Start writes the banner (standard output) or the header comment (a file).
func (w *Writer) Start(_ context.Context, dest sdk.OutputDest, scan sdk.ScanStart) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stdout = dest.Path == "-"
	w.scan = scan
	name := nmaptext.Scanner(scan)
	var b []byte
	if w.stdout {
		b = fmt.Appendf(nil, "Starting %s %s ( %s ) at %s\n", name, scan.Version, nmaptext.ProjectURL, nmaptext.Clock(scan.Start))
	} else {
		b = fmt.Appendf(nil, "# %s %s scan initiated %s as: %s\n", name, scan.Version, nmaptext.Ctime(scan.Start), scan.Args)
	}
	// -d's timing report follows the first line, on screen and in files.
	return append(b, scan.TimingReport...), nil
}

// Host writes one host's report, or nothing for a host Nmap would not show.
func (w *Writer) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.host(h), nil
}

// End writes the closing summary. A scan that ended in error closes like
// Nmap's fatal errors: the message and "QUITTING!" in a file, nothing on
// standard output, where the core reports the error on stderr.
func (w *Writer) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	if e.Exit == "error" {
		if !w.stdout {
			fmt.Fprintf(&b, "%s\nQUITTING!\n", e.ErrorMsg)
		}
		return []byte(b.String()), nil
	}
	b.WriteString(dataFilesNote(w.scan))
	if w.scan.ServiceScan {
		fmt.Fprintf(&b, "Service detection performed. Please report any incorrect results at %s/issues .\n", nmaptext.ProjectURL)
	}
	name := nmaptext.Scanner(w.scan)
	if w.stdout {
		if e.HostsTotal == 1 && e.HostsUp == 0 && w.scan.Verbose == 0 && !w.listed {
			b.WriteString("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n")
		}
		fmt.Fprintf(&b, "%s done: %s\n", name, nmaptext.DoneSummary(e))
	} else {
		fmt.Fprintf(&b, "# %s done at %s -- %s\n", name, nmaptext.Ctime(e.End), nmaptext.DoneSummary(e))
	}
	return []byte(b.String()), nil
}

func (w *Writer) host(h sdk.Host) []byte {
	if !nmaptext.HostShown(w.scan, h) {
		return nil
	}
	var b strings.Builder
	nameIP := nmaptext.NameIP(h)
	if h.Status.State == "unknown" {
		// A listed target (-sL): nothing is known but its name.
		w.listed = true
		fmt.Fprintf(&b, "Nmap scan report for %s\n", nameIP)
		return []byte(b.String())
	}
	if h.Status.State != "up" {
		state := h.Status.State
		if state == "" {
			state = "down"
		}
		fmt.Fprintf(&b, "Nmap scan report for %s [host %s%s]\n", nameIP, state, w.received(h.Status.Reason, h.Status.ReasonTTL))
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "Nmap scan report for %s\n", nameIP)
	latency := ""
	if h.SRTT > 0 {
		latency = " (" + nmaptext.Latency(h.SRTT) + "s latency)"
	}
	fmt.Fprintf(&b, "Host is up%s%s.\n", w.received(h.Status.Reason, h.Status.ReasonTTL), latency)
	if (w.scan.Verbose > 1 || w.scan.Debugging > 0) && !h.Start.IsZero() && !h.End.IsZero() {
		// Nmap's -vv/-d line; whole seconds of the host's scan.
		fmt.Fprintf(&b, "Scanned at %s for %ds\n", h.Start.Local().Format("2006-01-02 15:04:05 MST"), h.End.Unix()-h.Start.Unix())
	}
	if h.TimedOut {
		fmt.Fprintf(&b, "Skipping host %s due to host timeout\n", nameIP)
	}
	portScan := len(w.scan.ScanInfo) > 0
	if portScan {
		w.ports(&b, h, nameIP)
	}
	if h.MAC != "" {
		vendor := h.MACVendor
		if vendor == "" {
			vendor = "Unknown"
		}
		fmt.Fprintf(&b, "MAC Address: %s (%s)\n", h.MAC, vendor)
	}
	serviceInfo(&b, h)
	if portScan {
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// received is the ", received syn-ack ttl 64" that --reason adds.
func (w *Writer) received(reason string, ttl int) string {
	if !w.scan.Reason || reason == "" {
		return ""
	}
	return ", received " + reasonText(reason, ttl)
}

func reasonText(reason string, ttl int) string {
	if ttl > 0 {
		return fmt.Sprintf("%s ttl %d", reason, ttl)
	}
	return reason
}

func (w *Writer) ports(b *strings.Builder, h sdk.Host, nameIP string) {
	collapsed := nmaptext.CollapsedCount(h)
	if len(h.Ports) == 0 {
		switch collapsed {
		case 0:
			fmt.Fprintf(b, "0 ports scanned on %s\n", nameIP)
		case 1:
			fmt.Fprintf(b, "The 1 scanned port on %s is in ignored states.\n", nameIP)
		default:
			fmt.Fprintf(b, "All %d scanned ports on %s are in ignored states.\n", collapsed, nameIP)
		}
		notShown(b, h)
		w.rstNote(b, h)
		return
	}
	if collapsed > 0 {
		notShown(b, h)
	} else {
		b.WriteString("\n")
	}
	w.rstNote(b, h)
	w.table(b, h)
	fingerprints(b, h)
}

// maxFingerprints is how many service fingerprints Nmap 7.93 prints per
// host; the count in its lead line is capped the same way.
const maxFingerprints = 9

// fingerprints writes Nmap's request to submit the SF-Port fingerprints of
// services that answered but matched no rule, right under the port table.
// The text is Nmap's, but submissions go to the project, not to Nmap.
func fingerprints(b *strings.Builder, h sdk.Host) {
	var fps []string
	for _, p := range h.Ports {
		if p.Service != nil && p.Service.Fingerprint != "" && len(fps) < maxFingerprints {
			fps = append(fps, p.Service.Fingerprint)
		}
	}
	if len(fps) == 0 {
		return
	}
	fmt.Fprintf(b, "%d %s unrecognized despite returning data. If you know the service/version, please submit the following %s at %s/issues :\n",
		len(fps), nmaptext.Plural(len(fps), "service", "services"), nmaptext.Plural(len(fps), "fingerprint", "fingerprints"), nmaptext.ProjectURL)
	for _, fp := range fps {
		if len(fps) > 1 {
			b.WriteString("==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)==============\n")
		}
		b.WriteString(fp)
		b.WriteString("\n")
	}
}

// notShown writes "Not shown: 157 closed tcp ports (reset), 31 filtered tcp
// ports (no-response)": one part per state and reason, as Nmap 7.93 does.
func notShown(b *strings.Builder, h sdk.Host) {
	var parts []string
	for _, e := range h.ExtraPorts {
		if e.Count == 0 {
			continue
		}
		if len(e.Reasons) == 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", e.Count, e.State, nmaptext.Plural(e.Count, "port", "ports")))
			continue
		}
		for _, r := range e.Reasons {
			// An IP protocol scan's are "n/a protocols", as Nmap 7.93
			// writes them.
			proto, unit := r.Proto.String(), nmaptext.Plural(r.Count, "port", "ports")
			if r.Proto == sdk.ProtoIP {
				proto, unit = "n/a", nmaptext.Plural(r.Count, "protocol", "protocols")
			}
			parts = append(parts, fmt.Sprintf("%d %s %s %s (%s)", r.Count, e.State, proto, unit, r.Reason))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "Not shown: %s\n", strings.Join(parts, ", "))
	}
}

// rstNote repeats Nmap's warning for --open, which implies
// --defeat-rst-ratelimit: a TCP scan may then show closed ports as filtered.
func (w *Writer) rstNote(b *strings.Builder, h sdk.Host) {
	if !w.scan.OpenOnly {
		return
	}
	tcpScan := false
	for _, si := range w.scan.ScanInfo {
		if si.Protocol == sdk.ProtoTCP {
			tcpScan = true
		}
	}
	filtered := false
	for _, p := range h.Ports {
		filtered = filtered || (p.Proto == sdk.ProtoTCP && p.State == sdk.StateFiltered)
	}
	for _, e := range h.ExtraPorts {
		for _, r := range e.Reasons {
			filtered = filtered || (e.State == sdk.StateFiltered && r.Proto == sdk.ProtoTCP && r.Count > 0)
		}
	}
	if tcpScan && filtered {
		b.WriteString("Some closed ports may be reported as filtered due to --defeat-rst-ratelimit\n")
	}
}

// table writes the port table. Every column is as wide as its widest cell
// plus one space; the last filled cell of a row ends the line.
func (w *Writer) table(b *strings.Builder, h sdk.Host) {
	showVersion := w.scan.ServiceScan
	for _, p := range h.Ports {
		showVersion = showVersion || nmaptext.Version(p.Service) != ""
	}
	portHeader := "PORT"
	if len(h.Ports) > 0 && h.Ports[0].Proto == sdk.ProtoIP {
		portHeader = "PROTOCOL"
	}
	header := []string{portHeader, "STATE", "SERVICE"}
	if w.scan.Reason {
		header = append(header, "REASON")
	}
	if showVersion {
		header = append(header, "VERSION")
	}
	rows := [][]string{header}
	for _, p := range h.Ports {
		cell := fmt.Sprintf("%d/%s", p.Number, p.Proto)
		if p.Proto == sdk.ProtoIP {
			cell = fmt.Sprint(p.Number)
		}
		row := []string{cell, p.State.String(), nmaptext.ServiceName(p, w.scan.ServiceScan)}
		if w.scan.Reason {
			row = append(row, reasonText(p.Reason, p.ReasonTTL))
		}
		if showVersion {
			row = append(row, nmaptext.Version(p.Service))
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-len(c)+1))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
}

// serviceInfo writes "Service Info: Host: x; OS: Linux; CPE: cpe:/o:..."
// from what version detection found on open ports.
func serviceInfo(b *strings.Builder, h sdk.Host) {
	var hosts, oss, devices, cpes []string
	add := func(list *[]string, v string) {
		if v == "" {
			return
		}
		for _, x := range *list {
			if x == v {
				return
			}
		}
		*list = append(*list, v)
	}
	for _, p := range h.Ports {
		if p.State != sdk.StateOpen || p.Service == nil {
			continue
		}
		add(&hosts, p.Service.Hostname)
		add(&oss, p.Service.OSType)
		add(&devices, p.Service.DeviceType)
		for _, c := range p.Service.CPE {
			if !strings.HasPrefix(c, "cpe:/a") {
				add(&cpes, c)
			}
		}
	}
	var parts []string
	if len(hosts) > 0 {
		parts = append(parts, nmaptext.Plural(len(hosts), "Host", "Hosts")+": "+strings.Join(hosts, ", "))
	}
	if len(oss) > 0 {
		parts = append(parts, nmaptext.Plural(len(oss), "OS", "OSs")+": "+strings.Join(oss, ", "))
	}
	if len(devices) > 0 {
		parts = append(parts, nmaptext.Plural(len(devices), "Device", "Devices")+": "+strings.Join(devices, ", "))
	}
	if len(cpes) > 0 {
		parts = append(parts, "CPE: "+strings.Join(cpes, ", "))
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "Service Info: %s\n", strings.Join(parts, "; "))
	}
}

var _ sdk.Output = (*Writer)(nil)

// dataFilesNote is Nmap's account of the data files it read, before the
// closing lines: at -v the one directory they all came from; at -d, or
// when they came from several directories, each directory with its files
// ("Read from DIR: a b."), sorted; at -d "No data files read." when none
// were.
func dataFilesNote(s sdk.ScanStart) string {
	if len(s.DataFiles) == 0 {
		if s.Debugging > 0 {
			return "No data files read.\n"
		}
		return ""
	}
	type file struct{ dir, name string }
	files := make([]file, len(s.DataFiles))
	for i, p := range s.DataFiles {
		files[i] = file{filepath.Dir(p), filepath.Base(p)}
	}
	slices.SortFunc(files, func(a, b file) int {
		return cmp.Or(cmp.Compare(a.dir, b.dir), cmp.Compare(a.name, b.name))
	})
	dirs := 1
	for i := 1; i < len(files); i++ {
		if files[i].dir != files[i-1].dir {
			dirs++
		}
	}
	var b strings.Builder
	switch {
	case dirs == 1 && s.Verbose > 0 && s.Debugging == 0:
		fmt.Fprintf(&b, "Read data files from: %s\n", files[0].dir)
	case s.Debugging > 0 || dirs > 1:
		for i, f := range files {
			if i == 0 || f.dir != files[i-1].dir {
				fmt.Fprintf(&b, "Read from %s:", f.dir)
			}
			fmt.Fprintf(&b, " %s", f.name)
			if i == len(files)-1 || files[i+1].dir != f.dir {
				b.WriteString(".\n")
			}
		}
	}
	return b.String()
}
