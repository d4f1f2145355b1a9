package progress

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// nmapScanNames are Nmap's names of the techniques in its -v lines
// ("Initiating SYN Stealth Scan"), by the XML scaninfo type.
var nmapScanNames = map[string]string{
	"syn":            "SYN Stealth Scan",
	"connect":        "Connect Scan",
	"ack":            "ACK Scan",
	"window":         "Window Scan",
	"maimon":         "Maimon Scan",
	"fin":            "FIN Scan",
	"null":           "NULL Scan",
	"xmas":           "XMAS Scan",
	"udp":            "UDP Scan",
	"sctpinit":       "SCTP INIT Scan",
	"sctpcookieecho": "SCTP COOKIE-ECHO Scan",
	"ipproto":        "IPProto Scan",
}

// NmapScanName is the name Nmap gives a technique in its -v lines.
func NmapScanName(scanType string) string {
	if n, ok := nmapScanNames[scanType]; ok {
		return n
	}
	return scanName(scanType)
}

// verboseLinesLocked says whether -v's progress lines go to stdout: only
// at -v and when stdout is the human-readable output.
func (t *Terminal) verboseLinesLocked() bool { return t.opt.Verbose >= 1 && t.opt.Discovered }

// TechniqueStart prints Nmap's "Initiating ... Scan at 14:00" and
// "Scanning 127.0.0.1 [2 ports]" (or "Scanning 3 hosts [2 ports/host]")
// at -v, when a technique starts on a group of hosts.
func (t *Terminal) TechniqueStart(scanType string, hosts []string, ports int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.verboseLinesLocked() {
		return
	}
	t.eraseLocked()
	name := NmapScanName(scanType)
	fmt.Fprintf(t.stdout, "Initiating %s at %s\n", name, t.opt.Now().Format("15:04"))
	if len(hosts) == 1 {
		fmt.Fprintf(t.stdout, "Scanning %s [%d %s]\n", hosts[0], ports, plural(ports, "port", "ports"))
	} else {
		fmt.Fprintf(t.stdout, "Scanning %d hosts [%d %s/host]\n", len(hosts), ports, plural(ports, "port", "ports"))
	}
}

// TechniqueEnd prints Nmap's "Completed ... Scan at 14:00, 0.01s elapsed
// (2 total ports)" at -v.
func (t *Terminal) TechniqueEnd(scanType string, hosts, ports int, elapsed time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.verboseLinesLocked() {
		return
	}
	t.eraseLocked()
	total := hosts * ports
	fmt.Fprintf(t.stdout, "Completed %s at %s, %.2fs elapsed (%d total %s)\n", NmapScanName(scanType),
		t.opt.Now().Format("15:04"), elapsed.Seconds(), total, plural(total, "port", "ports"))
}

// HostLabel is how Nmap names a host in its -v lines: "name (addr)" when
// it has a name, else the address.
func HostLabel(name string, addr netip.Addr) string {
	if name == "" {
		return addr.String()
	}
	return fmt.Sprintf("%s (%s)", name, addr)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// finalTimes prints Nmap's -d line with a host's timing estimates in
// microseconds, after its report.
func (t *Terminal) finalTimes(h sdk.Host) {
	if t.opt.Debugging < 1 || !t.opt.Discovered || h.Status.State != "up" || h.Timeout <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.eraseLocked()
	fmt.Fprintf(t.stdout, "Final times for host: srtt: %d rttvar: %d  to: %d\n",
		h.SRTT.Microseconds(), h.RTTVar.Microseconds(), h.Timeout.Microseconds())
}

// ShowPacketCounts makes -v close with Nmap's raw packet counts, as fn
// words them, under the "done" line; a scan that sends raw packets sets it.
func (t *Terminal) ShowPacketCounts(fn func() string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts = fn
}

func (t *Terminal) packetCounts() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil || t.opt.Verbose < 1 || !t.opt.Discovered {
		return
	}
	fmt.Fprintf(t.stdout, "           %s\n", t.counts())
}
