package scantypetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// udpLimitSlack is how many ports Nmap may find closed that scanfw leaves
// open|filtered under the ICMP rate limit: a port stays open|filtered when
// all its tries met a spent budget, which neither scanner can rule out.
const udpLimitSlack = 2

// TestUDPTop100UnderICMPRateLimit scans the top 100 UDP ports of the fw
// host with the kernel's default ICMP rate limit (one error a second after
// a burst of six), where nearly every port is closed and answers only when
// the limit allows: scanfw must find exactly Nmap's open ports and every
// port Nmap finds closed, within udpLimitSlack. A port scanfw finds closed
// where Nmap says open|filtered is Nmap's miss, not a difference: the
// port unreachable came from the target (Nmap 7.93 leaves 12-22 of these
// ports open|filtered from run to run).
func TestUDPTop100UnderICMPRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("two UDP scans at one ICMP answer a second")
	}
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	a := lab.FW.V4.String()
	args := []string{"-sU", "-n", "-Pn", "-T4", "--top-ports", "100"}
	// scanfw at -d (timing only, no other change) so the engine's account
	// of the run (pacing, drops, boosts) is in the log if the test fails.
	ours, ref, out := scanBothOutput(ctx, t, bin, args, []string{"-d"}, a)
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "raw scan timing") {
			t.Log(strings.TrimSpace(l))
		}
	}
	var missed []compare.Difference
	nmapMissed := 0
	for _, x := range compare.Diff(ours, ref) {
		switch {
		case x.A == "closed" && x.B == "open|filtered":
			nmapMissed++
		case x.A == "open|filtered" && x.B == "closed":
			missed = append(missed, x)
		default:
			t.Errorf("not a rate-limit miss: %v", x)
		}
	}
	t.Logf("closed ports Nmap left open|filtered: %d", nmapMissed)
	if len(missed) > udpLimitSlack {
		t.Errorf("%d ports Nmap finds closed are open|filtered here, want at most %d:\n%s",
			len(missed), udpLimitSlack, compare.Format("scanfw", "nmap", missed))
	}
}
