package scantypetest

import (
	"context"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// TestSCTPScansMatchNmap runs the SCTP INIT and COOKIE-ECHO scans against
// the fw host's SCTP responder (open, closed, dropped and ICMP-rejected
// ports, and a range of closed ones), on IPv4 and IPv6, with scanfw and
// nmap: both must agree port for port and with the facts. The responder
// checks every probe's CRC32c, so a wrong checksum shows as silence.
func TestSCTPScansMatchNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ports := "100-150," + lab.FW.PortList("sctp")
	for _, tc := range []struct {
		flag string
		tech lab.Technique
	}{{"-sY", lab.SCTPInit}, {"-sZ", lab.SCTPCookie}} {
		for _, a := range lab.FW.Addrs() {
			t.Run(tc.flag+"/"+a.String(), func(t *testing.T) {
				args := []string{tc.flag, "-n", "-Pn", "-T4", "--reason", "-p", ports}
				if a.Is6() {
					args = append([]string{"-6"}, args...)
				}
				start := time.Now()
				ours, err := compare.Scan(ctx, bin, args, a.String())
				if err != nil {
					t.Fatal(err)
				}
				mid := time.Now()
				ref, err := compare.Nmap(ctx, args, a.String())
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("scanfw %v, nmap %v", mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
				if d := compare.Diff(ours, ref); len(d) > 0 {
					t.Error(compare.Format("scanfw", "nmap", d))
				}
				assertHostFacts(t, lab.FW, tc.tech, "sctp", a.String(), ours)
			})
		}
	}
}
