package scantypetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// udpLimitSlack is how many ports may differ between scanfw and Nmap
// under the ICMP rate limit: each scanner reads a port open|filtered when
// all its paced tries met a spent budget, which neither can rule out.
const udpLimitSlack = 2

// TestUDPTop100UnderICMPRateLimit scans the top 100 UDP ports of the fw
// host with the kernel's default ICMP rate limit (one error a second after
// a burst of six), where nearly every port is closed and answers only when
// the limit allows: scanfw must find Nmap's closed set within
// udpLimitSlack ports, and exactly its open ports.
func TestUDPTop100UnderICMPRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("two UDP scans at one ICMP answer a second")
	}
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	a := lab.FW.V4.String()
	args := []string{"-sU", "-n", "-Pn", "-T4", "--top-ports", "100"}
	start := time.Now()
	ours, err := compare.Scan(ctx, bin, args, a)
	if err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	ref, err := compare.Nmap(ctx, args, a)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanfw %v, nmap %v", mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
	d := compare.Diff(ours, ref)
	for _, x := range d {
		if x.A == "open" || x.B == "open" || (x.A != "closed" && x.B != "closed") {
			t.Errorf("not a rate-limit miss: %v", x)
		}
	}
	if len(d) > udpLimitSlack {
		t.Errorf("%d ports differ, want at most %d:\n%s", len(d), udpLimitSlack, compare.Format("scanfw", "nmap", d))
	} else if len(d) > 0 {
		t.Logf("within the slack:\n%s", strings.TrimSpace(compare.Format("scanfw", "nmap", d)))
	}
}
