package outputtest

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

var (
	trace6ICMP = regexp.MustCompile(`^(SENT|RCVD) \(\d+\.\d{4}s\) ICMPv6 \(58\) (\S+) > (\S+) \(type=(\d+)/code=(\d+)\) hopl=\d+ flow=[0-9a-f]+ payloadlen=(\d+)$`)
	trace6NA   = regexp.MustCompile(`^RCVD \(\d+\.\d{4}s\) neighbor advertisement (\S+) > (\S+) (\S+) is at ([0-9a-f]{2}(?::[0-9a-f]{2}){5})$`)
	trace6TCP  = regexp.MustCompile(`^(SENT|RCVD) \(\d+\.\d{4}s\) TCP (\S+):(\d+) > (\S+):(\d+) ([SFRPAUEC]+) hopl=\d+ flow=[0-9a-f]+ payloadlen=(\d+) seq=\d+ win=\d+ ?(<.*>)?$`)
)

// trace6Shapes reduces an IPv6 --packet-trace to the kinds of packet it
// shows, keeping the addresses (the lab's are fixed) but not times, hop
// limits, flow labels, sequence numbers or ports of ours:
// "SENT ICMPv6 2001:db8:1::1 > ff02::1:ff00:2 type=135/0 len=32",
// "RCVD NA 2001:db8:1::2 > 2001:db8:1::1 2001:db8:1::2 is at ...",
// "SENT TCP 2001:db8:1::1 > 2001:db8:1::2:443 S len=24 <mss 1460>". A
// probe keeps its length and TCP options (Nmap's ACK ping has none, its
// SYN ping an MSS); a reply's are the target's business.
func trace6Shapes(out string) []string {
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		switch m := (struct{ icmp, na, tcp []string }{trace6ICMP.FindStringSubmatch(l), trace6NA.FindStringSubmatch(l), trace6TCP.FindStringSubmatch(l)}); {
		case m.icmp != nil:
			seen[fmt.Sprintf("%s ICMPv6 %s > %s type=%s/%s len=%s", m.icmp[1], m.icmp[2], m.icmp[3], m.icmp[4], m.icmp[5], m.icmp[6])] = true
		case m.na != nil:
			seen[fmt.Sprintf("RCVD NA %s > %s %s is at %s", m.na[1], m.na[2], m.na[3], m.na[4])] = true
		case m.tcp != nil:
			if m.tcp[1] == "SENT" {
				seen[strings.TrimSpace(fmt.Sprintf("SENT TCP %s > %s:%s %s len=%s %s", m.tcp[2], m.tcp[4], m.tcp[5], m.tcp[6], m.tcp[7], m.tcp[8]))] = true
			} else {
				seen[fmt.Sprintf("RCVD TCP %s:%s > %s %s", m.tcp[2], m.tcp[3], m.tcp[4], m.tcp[6])] = true
			}
		case strings.HasPrefix(l, "SENT (") || strings.HasPrefix(l, "RCVD ("):
			seen["unparsed: "+l] = true
		}
	}
	return sortedShapes(seen)
}

// TestPacketTraceIPv6DiscoveryMatchesNmap runs -6 -sn --packet-trace on
// the svc host with scanfw and Nmap: with ND, the very same solicitation
// and advertisement lines; without it (--disable-arp-ping), the same
// probes to the host and, from it, answers of the kinds those probes get.
func TestPacketTraceIPv6DiscoveryMatchesNmap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("discovery by raw sockets needs root")
	}
	bin := compare.BuildScanfw(t)
	h := lab.SVC
	addr := h.V6.String()
	if err := lab.Guard(addr); err != nil {
		t.Fatal(err)
	}
	us, them := h.Gateway6.String(), h.V6.String()
	for _, tc := range []struct {
		name string
		args []string
		// exact: the traces must show the same kinds of packet. Otherwise
		// replies race (the first one ends the host), so each side must
		// show at least one, and only of the kinds in answers.
		exact   bool
		answers []string
	}{
		{name: "ND", args: []string{"-sn"}, exact: true},
		{name: "echo and TCP without ND", args: []string{"-sn", "--disable-arp-ping"}, answers: []string{
			fmt.Sprintf("RCVD ICMPv6 %s > %s type=129/0 len=8", them, us),
			fmt.Sprintf("RCVD TCP %s:443 > %s SA", them, us),
			fmt.Sprintf("RCVD TCP %s:80 > %s R", them, us),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"-6", "-n", "--packet-trace"}, tc.args...), addr)
			outs := traceBoth(t, bin, args, time.Minute)
			got, want := trace6Shapes(outs[0]), trace6Shapes(outs[1])
			if tc.exact {
				if !slices.Equal(got, want) {
					t.Errorf("trace shapes differ\nscanfw:\n%s\nnmap:\n%s\n\nscanfw's trace:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), outs[0])
				}
				if len(want) != 2 {
					t.Errorf("Nmap's trace has %d kinds of packet, want a solicitation and an advertisement:\n%s", len(want), outs[1])
				}
				return
			}
			// Nmap resolves the host's MAC itself and traces that
			// advertisement; scanfw leaves it to the kernel, whose
			// solicitation the trace cannot show and whose advertisement
			// comes only when the neighbour entry is stale.
			drop := fmt.Sprintf("RCVD ICMPv6 %s > %s type=136/0 len=32", them, us)
			got, want = slices.DeleteFunc(got, func(s string) bool { return s == drop }), slices.DeleteFunc(want, func(s string) bool { return s == drop })
			sent := func(shapes []string) []string {
				return slices.DeleteFunc(slices.Clone(shapes), func(s string) bool { return !strings.HasPrefix(s, "SENT ") })
			}
			if !slices.Equal(sent(got), sent(want)) {
				t.Errorf("probes differ\nscanfw:\n%s\nnmap:\n%s\n\nscanfw's trace:\n%s", strings.Join(sent(got), "\n"), strings.Join(sent(want), "\n"), outs[0])
			}
			if len(sent(want)) != 3 {
				t.Errorf("Nmap sent %d kinds of probe, want echo, SYN and ACK:\n%s", len(sent(want)), outs[1])
			}
			for i, shapes := range [][]string{got, want} {
				rcvd := slices.DeleteFunc(slices.Clone(shapes), func(s string) bool { return strings.HasPrefix(s, "SENT ") })
				if len(rcvd) == 0 {
					t.Errorf("%s traced no answer:\n%s", []string{"scanfw", "nmap"}[i], outs[i])
				}
				for _, s := range rcvd {
					if !slices.Contains(tc.answers, s) {
						t.Errorf("%s traced %q, not an answer to its probes:\n%s", []string{"scanfw", "nmap"}[i], s, outs[i])
					}
				}
			}
		})
	}
}
