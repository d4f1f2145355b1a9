// Package grepable is the output plugin "output.grepable": Nmap's grepable
// format (-oG), one line per host and fact, fields separated by tabs.
//
// Lines follow Nmap 7.93: a "# scanfw … scan initiated … as: …" header
// (plus "# Ports scanned: TCP(n;list) UDP(…) SCTP(…) PROTOCOLS(…)" with -v),
// per host "Host: ADDR (PTR)\tStatus: Up" and, after a port scan,
// "Host: ADDR (PTR)\tPorts: 22/open/tcp//ssh//OpenSSH 8.9p1/, …" with
// "\tIgnored State: closed (997)" when exactly one state was collapsed, and
// a "# scanfw done at … -- …" trailer. Inside a port entry "/" becomes "|",
// so the slashes keep separating fields.
//
// Nmap prints a host's Status line when discovery finishes and its Ports
// line after the port scan, so with several hosts in one group its Status
// lines come first; this plugin receives each host once, finished, and
// prints both lines together. Each line is still the same.
package grepable

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaptext"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "output.grepable"

// Version is the plugin's version.
const Version = "0.1.0"

// Writer renders a scan as Nmap grepable output. Use New.
type Writer struct {
	mu   sync.Mutex
	scan sdk.ScanStart
}

// New returns the grepable output plugin.
func New() sdk.Output { return &Writer{} }

// Info describes the plugin. It has no settings.
func (w *Writer) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindOutput,
		Version:     Version,
		Description: "Nmap-compatible grepable output (-oG): one tab-separated line per host",
	}, nil
}

// Configure has nothing to do: the plugin declares no settings, and the
// core refuses a profile block that gives it any.
func (w *Writer) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) {
	return nil, nil
}

// Start writes the header comment.
func (w *Writer) Start(_ context.Context, _ sdk.OutputDest, scan sdk.ScanStart) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scan = scan
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s scan initiated %s as: %s\n", nmaptext.Scanner(scan), scan.Version, nmaptext.Ctime(scan.Start), scan.Args)
	if scan.Verbose > 0 {
		b.WriteString("# Ports scanned: ")
		for i, p := range []struct {
			label string
			proto sdk.Proto
		}{{"TCP", sdk.ProtoTCP}, {"UDP", sdk.ProtoUDP}, {"SCTP", sdk.ProtoSCTP}, {"PROTOCOLS", sdk.ProtoIP}} {
			n, list := 0, ""
			for _, si := range scan.ScanInfo {
				if si.Protocol == p.proto {
					n, list = si.NumServices, si.Services
					break
				}
			}
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s(%d;%s)", p.label, n, list)
		}
		b.WriteString("\n")
	}
	return []byte(b.String()), nil
}

var statusWord = map[string]string{"up": "Up", "down": "Down", "unknown": "Unknown", "skipped": "Skipped"}

// Host writes the host's Status line and, after a port scan, its Ports line.
func (w *Writer) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !nmaptext.HostShown(w.scan, h) {
		return nil, nil
	}
	var b strings.Builder
	prefix := fmt.Sprintf("Host: %s (%s)", h.Addr, field(nmaptext.PTRName(h)))
	status, ok := statusWord[h.Status.State]
	if !ok {
		status = "Unknown"
	}
	if h.TimedOut {
		status = "Timeout"
	}
	fmt.Fprintf(&b, "%s\tStatus: %s\n", prefix, status)
	if h.Status.State != "up" || len(w.scan.ScanInfo) == 0 {
		return []byte(b.String()), nil
	}
	entries := make([]string, len(h.Ports))
	for i, p := range h.Ports {
		name := ""
		if p.Service != nil && p.Service.Name != "" {
			name = nmaptext.ServiceName(p, w.scan.ServiceScan)
		}
		entries[i] = fmt.Sprintf("%d/%s/%s//%s//%s/", p.Number, p.State, p.Proto, slashless(name), slashless(nmaptext.Version(p.Service)))
		if p.Proto == sdk.ProtoIP {
			// An IP protocol scan: Nmap writes number/state/name/.
			entries[i] = fmt.Sprintf("%d/%s/%s/", p.Number, p.State, slashless(name))
		}
	}
	field := "Ports"
	if len(h.Ports) > 0 && h.Ports[0].Proto == sdk.ProtoIP {
		field = "Protocols"
	}
	fmt.Fprintf(&b, "%s\t%s: %s", prefix, field, strings.Join(entries, ", "))
	// Nmap names the ignored state only when there is exactly one.
	if states := nmaptext.IgnoredStates(h); len(states) == 1 {
		n := 0
		for _, e := range h.ExtraPorts {
			if e.State == states[0] {
				n += e.Count
			}
		}
		fmt.Fprintf(&b, "\tIgnored State: %s (%d)", states[0], n)
	}
	b.WriteString("\n")
	return []byte(b.String()), nil
}

// End writes the trailer. A scan that ended in error gets a comment saying
// so instead, which grepable parsers skip like every "#" line.
func (w *Writer) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	name := nmaptext.Scanner(w.scan)
	if e.Exit == "error" {
		return fmt.Appendf(nil, "# %s stopped at %s -- error: %s\n", name, nmaptext.Ctime(e.End), field(e.ErrorMsg)), nil
	}
	return fmt.Appendf(nil, "# %s done at %s -- %s\n", name, nmaptext.Ctime(e.End), nmaptext.DoneSummary(e)), nil
}

// slashless keeps a value inside one "/"-separated port field.
func slashless(s string) string {
	return field(strings.ReplaceAll(s, "/", "|"))
}

// field keeps a value on its line and inside its tab-separated field:
// network-supplied strings may hold tabs and newlines.
func field(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

var _ sdk.Output = (*Writer)(nil)
