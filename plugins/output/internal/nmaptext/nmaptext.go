// Package nmaptext holds the wording and number formats that Nmap's normal,
// grepable and XML outputs share: dates, the "N IP addresses (M hosts up)"
// summary, latency with two significant digits, the name a host is shown
// by, and the rules that decide whether a host is printed at all. The three
// output plugins use it so that they agree with each other and with Nmap.
package nmaptext

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// DefaultScanner is the name the scanner calls itself by in text when
// ScanStart.Scanner is empty.
const DefaultScanner = "scanfw"

// ProjectURL appears in the "Starting ..." banner, where Nmap puts its own.
const ProjectURL = "https://github.com/scanfw/scanfw"

// Scanner returns the name to use for the scanner in human-readable text.
func Scanner(s sdk.ScanStart) string {
	if s.Scanner == "" {
		return DefaultScanner
	}
	return s.Scanner
}

// Ctime formats t like C's ctime(3) without the newline ("Sun Nov 29
// 11:09:10 2026"), as Nmap does in file headers, trailers and XML.
func Ctime(t time.Time) string {
	return t.Format("Mon Jan _2 15:04:05 2006")
}

// Clock formats t as in Nmap's "Starting ... at 2026-11-29 11:09 UTC" banner.
func Clock(t time.Time) string {
	return t.Format("2006-01-02 15:04 MST")
}

// Seconds formats an elapsed time the way Nmap's summaries do.
func Seconds(d time.Duration) string {
	return fmt.Sprintf("%.2f", d.Seconds())
}

// HostsSummary is Nmap's "1 IP address (1 host up)" with its plural rules.
func HostsSummary(total, up int) string {
	return fmt.Sprintf("%d %s (%d %s up)", total, plural(total, "IP address", "IP addresses"), up, plural(up, "host", "hosts"))
}

// DoneSummary is the text after "done" in every trailer: "1 IP address (1
// host up) scanned in 0.03 seconds".
func DoneSummary(e sdk.ScanEnd) string {
	return HostsSummary(e.HostsTotal, e.HostsUp) + " scanned in " + Seconds(e.Elapsed) + " seconds"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Plural returns one when n is 1 and many otherwise.
func Plural(n int, one, many string) string { return plural(n, one, many) }

// Latency formats a round-trip time in seconds with two significant digits
// and no exponent ("0.00036", "0.0000080", "1.2", "12"). It rounds first
// and then prints, as Nmap's num_to_string_sigdigit does, so 0.0996 prints
// as "0.100" there and here.
func Latency(d time.Duration) string {
	const digits = 2
	s := d.Seconds()
	shift := -digits
	if s != 0 {
		shift = int(math.Floor(math.Log10(math.Abs(s)))) - digits + 1
		scale := math.Pow(10, float64(shift))
		s = math.Floor(s/scale+0.5) * scale
	}
	return fmt.Sprintf("%.*f", max(0, -shift), s)
}

// UserName is the name given on the command line, or "".
func UserName(h sdk.Host) string {
	for _, n := range h.Hostnames {
		if n.Type == "user" {
			return n.Name
		}
	}
	return ""
}

// PTRName is the name found by reverse DNS, or "". Grepable output shows
// only this one.
func PTRName(h sdk.Host) string {
	for _, n := range h.Hostnames {
		if n.Type == "PTR" {
			return n.Name
		}
	}
	return ""
}

// NameIP is how normal output names a host: "name (addr)" with the name
// from the command line first, then from reverse DNS, or the bare address.
func NameIP(h sdk.Host) string {
	name := UserName(h)
	if name == "" {
		name = PTRName(h)
	}
	if name == "" {
		return h.Addr.String()
	}
	return name + " (" + h.Addr.String() + ")"
}

// HasOpenPorts reports whether a host has a port that --open keeps: open,
// open|filtered or unfiltered, shown or collapsed.
func HasOpenPorts(h sdk.Host) bool {
	openish := func(s sdk.PortState) bool {
		return s == sdk.StateOpen || s == sdk.StateOpenFiltered || s == sdk.StateUnfiltered
	}
	for _, p := range h.Ports {
		if openish(p.State) {
			return true
		}
	}
	for _, e := range h.ExtraPorts {
		if openish(e.State) && e.Count > 0 {
			return true
		}
	}
	return false
}

// HostShown says whether a host appears in the output at all. Nmap reports
// hosts that are not up only with -v, and with --open it leaves out every
// host without an open port (down hosts included). A list scan's hosts
// (state "unknown") are what it is for, so they are always shown.
func HostShown(s sdk.ScanStart, h sdk.Host) bool {
	if h.Status.State == "unknown" {
		return true
	}
	if s.OpenOnly && !HasOpenPorts(h) {
		return false
	}
	if h.Status.State != "up" {
		return s.Verbose > 0
	}
	return true
}

// maxVersionLen is the longest version string Nmap prints before cutting
// it with "...".
const maxVersionLen = 160

// Version is the VERSION column of a port: product, version and
// "(extrainfo)" joined by spaces.
func Version(s *sdk.Service) string {
	if s == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{s.Product, s.Version} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if s.ExtraInfo != "" {
		parts = append(parts, "("+s.ExtraInfo+")")
	}
	v := strings.Join(parts, " ")
	if len(v) > maxVersionLen {
		v = v[:maxVersionLen-3] + "..."
	}
	return v
}

// ServiceName is the SERVICE column of normal output: "unknown" when
// nothing is known, "ssl/" before names found inside TLS, and "?" after
// names that only come from the port table on an open port of a scan that
// tried to detect versions.
func ServiceName(p sdk.Port, serviceScan bool) string {
	s := p.Service
	if s == nil || s.Name == "" {
		return "unknown"
	}
	name := s.Name
	if s.Tunnel == "ssl" {
		name = "ssl/" + name
	}
	// Nmap marks a guess from the table with "?", but a service nothing
	// named at all is plain "unknown".
	if serviceScan && s.Method != "probed" && s.Name != "unknown" && p.State == sdk.StateOpen {
		name += "?"
	}
	return name
}

// IgnoredStates returns the states that were collapsed, each once, in the
// order the core gave them.
func IgnoredStates(h sdk.Host) []sdk.PortState {
	var out []sdk.PortState
	seen := map[sdk.PortState]bool{}
	for _, e := range h.ExtraPorts {
		if e.Count > 0 && !seen[e.State] {
			seen[e.State] = true
			out = append(out, e.State)
		}
	}
	return out
}

// CollapsedCount is the number of ports the host's ExtraPorts hold.
func CollapsedCount(h sdk.Host) int {
	n := 0
	for _, e := range h.ExtraPorts {
		n += e.Count
	}
	return n
}
