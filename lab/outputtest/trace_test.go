package outputtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// traceShapes reduces --packet-trace output to the kinds of packet it
// shows, without times, sequence numbers, IDs, TTLs and source ports:
// "SENT TCP >80 S", "RCVD TCP 80> SA", "RCVD ICMP (type=3/code=13)".
func traceShapes(out string) []string {
	tcp := regexp.MustCompile(`^(SENT|RCVD) \(\d+\.\d{4}s\) TCP [\d.]+:(\d+) > [\d.]+:(\d+) ([SFRPAUEC]+) ttl=\d+ id=\d+ iplen=(\d+)  seq=\d+ win=\d+ ?(<.*>)?$`)
	icmp := regexp.MustCompile(`^(SENT|RCVD) \(\d+\.\d{4}s\) ICMP \[[\d.]+ > [\d.]+ .* (\(type=\d+/code=\d+\)) .*\] IP \[ttl=\d+ id=\d+ iplen=\d+ \]$`)
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if m := tcp.FindStringSubmatch(l); m != nil {
			if m[1] == "SENT" {
				seen[fmt.Sprintf("SENT TCP >%s %s iplen=%s %s", m[3], m[4], m[5], m[6])] = true
			} else {
				seen[fmt.Sprintf("RCVD TCP %s> %s", m[2], m[4])] = true
			}
			continue
		}
		if m := icmp.FindStringSubmatch(l); m != nil {
			seen[m[1]+" ICMP "+m[2]] = true
			continue
		}
		// Nmap resolves the next hop itself and traces its ARP request and
		// reply even with -Pn; scanfw asks the kernel's neighbour table,
		// which sends nothing the trace could show.
		if strings.Contains(l, ") ARP ") {
			continue
		}
		if strings.HasPrefix(l, "SENT (") || strings.HasPrefix(l, "RCVD (") {
			seen["unparsed: "+l] = true
		}
	}
	return sortedShapes(seen)
}

// traceBoth runs scanfw (bin) and then Nmap with args and returns what
// each printed on stdout.
func traceBoth(t *testing.T, bin string, args []string, limit time.Duration) [2]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var outs [2]string
	for i, b := range []string{bin, "nmap"} {
		out, err := exec.CommandContext(ctx, b, args...).Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", b, err, out)
		}
		outs[i] = string(out)
	}
	return outs
}

// sortedShapes lists the shapes a trace showed, in order.
func sortedShapes(seen map[string]bool) []string {
	shapes := make([]string, 0, len(seen))
	for s := range seen {
		shapes = append(shapes, s)
	}
	sort.Strings(shapes)
	return shapes
}

// TestPacketTraceSYNMatchesNmap runs -sS --packet-trace over the fw host's
// TCP ports with scanfw and Nmap: the same kinds of probes go to the same
// ports and the same kinds of replies (SYN/ACK, RST, ICMP admin-prohibited)
// are traced, in Nmap's layout.
func TestPacketTraceSYNMatchesNmap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a SYN scan needs root")
	}
	bin := compare.BuildScanfw(t)
	addr := lab.FW.V4.String()
	if err := lab.Guard(addr); err != nil {
		t.Fatal(err)
	}
	ports := fmt.Sprint(lab.FWTCPOpen, ",", lab.FWTCPHold, ",", lab.FWTCPClosed, ",", lab.FWTCPReset, ",", lab.FWTCPDrop, ",", lab.FWTCPProhibited)
	args := []string{"-n", "-Pn", "-sS", "--packet-trace", "-p", ports, addr}
	outs := traceBoth(t, bin, args, 2*time.Minute)
	got, want := traceShapes(outs[0]), traceShapes(outs[1])
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace shapes differ\nscanfw:\n%s\nnmap:\n%s\n\nscanfw's trace:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), outs[0])
	}
	// Six SYNs, two SYN/ACKs, two resets and one ICMP error at least.
	if len(want) < 11 {
		t.Errorf("Nmap's trace has %d kinds of packet; the lab is not what this test expects:\n%s", len(want), outs[1])
	}
}
