package scantypetest

import (
	"context"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// TestIPProtoMatchesNmap runs -sO over every protocol number against the
// fw host, whose nft rules drop GRE and reject ESP and whose SCTP responder
// answers the INIT sent for protocol 132: scanfw and nmap must agree
// protocol for protocol, reasons included. The ICMP rate limit is lifted so
// every closed protocol answers within the test's time.
func TestIPProtoMatchesNmap(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 256 protocols with both scanners")
	}
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := lab.SetICMPRateLimit(ctx, lab.FW, 0); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := lab.SetICMPRateLimit(context.Background(), lab.FW, 1000); err != nil {
			t.Error(err)
		}
	}()
	for _, a := range lab.FW.Addrs() {
		t.Run(a.String(), func(t *testing.T) {
			args := []string{"-sO", "-n", "-Pn", "-T4", "--reason"}
			ours, ref := scanBoth(ctx, t, bin, args, a.String())
			if d := compare.Diff(ours, ref); len(d) > 0 {
				t.Error(compare.Format("scanfw", "nmap", d))
			}
			got, err := ours.PortStates(&ours.Hosts[0])
			if err != nil {
				t.Fatal(err)
			}
			diffReasons(t, ours, ref)
			want := map[int]string{lab.FWProtoDrop: "open|filtered", lab.FWProtoProhibited: "filtered", 6: "open", 132: "open"}
			if a.Is6() {
				// Over IPv6 the ESP reject never fires: nft's l4proto
				// lookup walks ESP as an extension header, and the
				// kernel drops the packet silently (nmap sees the same).
				want[lab.FWProtoProhibited] = "open|filtered"
			}
			for proto, want := range want {
				if g := got[compare.Key{Proto: "ip", Port: proto}]; g != want {
					t.Errorf("protocol %d: %q, want %q", proto, g, want)
				}
			}
		})
	}
}

// diffReasons reports every port whose reason differs between ours and
// ref (protocol 1's is a race on both sides, see compare.DiffReasons).
func diffReasons(t *testing.T, ours, ref *compare.Run) {
	t.Helper()
	d, err := compare.DiffReasons(ours, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range d {
		t.Errorf("reason (scanfw vs nmap) %s", l)
	}
}

// TestScanflagsMatchesNmap sends custom flags (--scanflags alone: a SYN
// scan's table) and on an ACK base to the fw host's TCP ports.
func TestScanflagsMatchesNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := lab.FW.V4.String()
	for _, flags := range [][]string{{"--scanflags", "SYNFIN"}, {"-sA", "--scanflags", "ACKPSH"}} {
		t.Run(flags[len(flags)-1], func(t *testing.T) {
			args := append([]string{"-n", "-Pn", "-T4", "-p", "1-100," + lab.FW.PortList("tcp")}, flags...)
			matchNmap(ctx, t, bin, args, a)
		})
	}
}
