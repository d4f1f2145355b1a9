// Package rawpingtest checks scanfw's privileged host discovery (ARP, ND,
// ICMP, TCP and UDP pings) against Debian's nmap as root on the lab: the
// farm /24 is directly connected to the root namespace (ARP), the svc and fw
// hosts have IPv6 (ND), and absent lab addresses are routed into the sink.
package rawpingtest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Farm, lab.SVC, lab.FW)) }

// line is what is compared per host: address, status, reason, reason TTL
// and MAC with its vendor.
func line(h compare.Host) string {
	var mac string
	for _, a := range h.Addresses {
		if a.AddrType == "mac" {
			mac = a.Addr + "/" + a.Vendor
		}
	}
	return fmt.Sprintf("%s %s/%s ttl=%s mac=%s", h.Addr(), h.Status.State, h.Status.Reason, h.Status.ReasonTTL, mac)
}

func upLines(r *compare.Run) []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Status.State == "up" {
			out = append(out, line(h))
		}
	}
	slices.Sort(out)
	return out
}

func both(t *testing.T, bin string, args []string, targets ...string) (ours, ref []string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("raw host discovery needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o, err := compare.Scan(ctx, bin, args, targets...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := compare.Nmap(ctx, append([]string{"-n"}, args...), targets...)
	if err != nil {
		t.Fatal(err)
	}
	return upLines(o), upLines(n)
}

func TestPingSweepFarmAsRoot(t *testing.T) {
	bin := compare.BuildScanfw(t)
	farm := lab.Farm.Prefix.String()
	live := len(lab.Farm.Live) + 1 // and the scanner's own address: localhost-response
	for _, tc := range []struct {
		name string
		args []string
		// up is how many hosts nmap must find, so a lab fault cannot make
		// both scanners agree on nothing.
		up int
		// racing: several probes answer and the first reply names the
		// reason, in both scanners (echo-reply or syn-ack, by arrival).
		racing bool
	}{
		{"ARP", []string{"-sn"}, live, false},
		// Nmap 7.93 sends nothing under -Pn, ARP included: all user-set.
		{"no ping", []string{"-sn", "-Pn"}, 256, false},
		{"default probes without ARP", []string{"-sn", "--disable-arp-ping"}, live, true},
		{"echo", []string{"-sn", "--send-ip", "-PE"}, live, false},
		{"timestamp", []string{"-sn", "--disable-arp-ping", "-PP"}, live, false},
		// Linux does not answer address-mask requests.
		{"mask", []string{"-sn", "--disable-arp-ping", "-PM"}, 1, false},
		{"SYN to an open port", []string{"-sn", "--disable-arp-ping", "-PS22"}, live, false},
		{"SYN to a closed port", []string{"-sn", "--disable-arp-ping", "-PS113"}, live, false},
		{"ACK", []string{"-sn", "--disable-arp-ping", "-PA80"}, live, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, ref := both(t, bin, tc.args, farm)
			if len(ref) != tc.up {
				t.Fatalf("nmap %v found %d hosts up, want %d: %v", tc.args, len(ref), tc.up, ref)
			}
			if tc.racing {
				ours, ref = raceFree(t, ours), raceFree(t, ref)
			}
			if !slices.Equal(ours, ref) {
				t.Errorf("scanfw %v differs from nmap:\nours: %s\nnmap: %s", tc.args, strings.Join(ours, "\n      "), strings.Join(ref, "\n      "))
			}
		})
	}
}

// raceFree drops the reason and TTL of hosts whose first reply could be any
// of the default probes', after checking it is one of them.
func raceFree(t *testing.T, lines []string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		r := strings.TrimPrefix(f[1], "up/")
		if !slices.Contains([]string{"echo-reply", "syn-ack", "reset", "timestamp-reply", "localhost-response"}, r) {
			t.Errorf("%s: not a reason of the default probes", l)
		}
		out = append(out, f[0]+" up "+f[3])
	}
	return out
}

// TestUDPPingFarm: the farm namespace rate-limits its port unreachables
// (one kernel for 40 addresses), so both scanners see only some hosts and
// not the same ones; every host found must be live, by port-unreach.
func TestUDPPingFarm(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ours, _ := both(t, bin, []string{"-sn", "--disable-arp-ping", "-PU"}, lab.Farm.Prefix.String())
	if len(ours) < 2 {
		t.Fatalf("scanfw -PU found no farm host: %v", ours)
	}
	for _, l := range ours {
		addr, _, _ := strings.Cut(l, " ")
		a := netip.MustParseAddr(addr)
		if a == lab.Farm.Gateway {
			continue
		}
		if !slices.Contains(lab.Farm.Live, a) || !strings.Contains(l, "up/port-unreach ttl=64") {
			t.Errorf("scanfw -PU: %s is not a live host found by port-unreach", l)
		}
	}
}

// TestPingSweepIPv6 covers ND on the svc and fw links and ICMPv6 echo
// without it.
func TestPingSweepIPv6(t *testing.T) {
	bin := compare.BuildScanfw(t)
	var targets []string
	for _, h := range []*lab.Host{lab.SVC, lab.FW} {
		// The host, its gateway (ourselves) and two absent neighbours.
		base := h.V6.As16()
		base[15] = 0
		p := netip.PrefixFrom(netip.AddrFrom16(base), 126)
		targets = append(targets, "-6", p.String())
	}
	for _, tc := range []struct {
		name string
		args []string
		// racing: echo and TCP both answer; the first reply names the
		// reason, in both scanners, so only hosts and MACs must agree.
		racing bool
	}{
		{"ND", []string{"-sn"}, false},
		{"echo and TCP without ND", []string{"-sn", "--disable-arp-ping"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "-6")
			var ts []string
			for _, x := range targets {
				if x != "-6" {
					ts = append(ts, x)
				}
			}
			ours, ref := both(t, bin, args, ts...)
			if len(ref) != 4 {
				t.Fatalf("nmap %v: want the 2 hosts and our 2 addresses up, got %v", args, ref)
			}
			if tc.racing {
				ours, ref = raceFree(t, ours), raceFree(t, ref)
			}
			if !slices.Equal(ours, ref) {
				t.Errorf("scanfw %v differs from nmap:\nours: %s\nnmap: %s", args, strings.Join(ours, "\n      "), strings.Join(ref, "\n      "))
			}
		})
	}
}

// TestRoutedSweep16 runs discovery over a whole routed lab /16: the farm
// /24 answers ARP, the svc and fw hosts answer their probes, the rest is
// dropped in the sink. It must finish and stay flat in memory (discovery
// takes 4096 targets at a time).
func TestRoutedSweep16(t *testing.T) {
	if testing.Short() {
		t.Skip("a /16 sweep takes about a minute")
	}
	if os.Geteuid() != 0 {
		t.Skip("raw host discovery needs root")
	}
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.xml")
	cmd := exec.CommandContext(ctx, bin, "-sn", "-n", "-oX", out, "198.18.0.0/16")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scanfw: %v: %s", err, b)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB
	t.Logf("198.18.0.0/16: %s, peak RSS %d KiB", time.Since(start).Round(time.Millisecond), rss)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := compare.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var up []string
	for _, h := range run.Hosts {
		if h.Status.State == "up" {
			up = append(up, h.Addr())
		}
	}
	want := map[string]bool{lab.SVC.V4.String(): true, lab.FW.V4.String(): true}
	for _, a := range lab.Farm.Live {
		want[a.String()] = true
	}
	for _, a := range up {
		delete(want, a)
	}
	if len(want) > 0 {
		t.Errorf("live lab hosts not found: %v", want)
	}
	if rss > 300<<10 {
		t.Errorf("peak RSS %d KiB: discovery of a /16 should stay well under 300 MiB", rss)
	}
}
