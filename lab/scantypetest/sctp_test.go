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
				ours := matchNmap(ctx, t, bin, args, a.String())
				assertHostFacts(t, lab.FW, tc.tech, "sctp", a.String(), ours)
			})
		}
	}
}
