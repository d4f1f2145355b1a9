package labtest

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// mustAddr parses a lab address.
func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// assertStates checks every port of h that technique t has a fact for against a
// scan result of address a, and that the scan saw nothing else.
func assertStates(t *testing.T, h *lab.Host, tech lab.Technique, proto string, a netip.Addr, run *compare.Run) {
	t.Helper()
	if len(run.Hosts) != 1 || run.Hosts[0].Addr() != a.String() {
		t.Fatalf("scan of %s returned hosts %+v", a, run.Hosts)
	}
	got, err := run.PortStates(&run.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range h.Ports {
		want, ok := p.Expect[tech]
		if !ok || p.Proto != proto {
			continue
		}
		checked++
		if g := got[compare.Key{Proto: proto, Port: int(p.Port)}]; g != string(want) {
			t.Errorf("%s %d/%s: %s scan sees %q, the lab promises %q (%s)", a, p.Port, proto, tech, g, want, p.Why)
		}
	}
	if checked == 0 || len(got) != checked {
		t.Errorf("%s: checked %d ports, scan reported %d: %v", a, checked, len(got), got)
	}
}

// TestFWStatesNmap proves the fw host right before any scanner of ours is compared
// with it: Debian's nmap sees every port in the state the description promises,
// over IPv4 and IPv6, with the kernel's default ICMP rate limit in force.
func TestFWStatesNmap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, a := range lab.FW.Addrs() {
		family := []string{}
		if a.Is6() {
			family = []string{"-6"}
		}
		t.Run("connect/"+a.String(), func(t *testing.T) {
			run, err := compare.Nmap(ctx, append(family, "-sT", "-Pn", "-n", "-p", lab.FW.PortList("tcp")), a.String())
			if err != nil {
				t.Fatal(err)
			}
			assertStates(t, lab.FW, lab.Connect, "tcp", a, run)
		})
		t.Run("udp/"+a.String(), func(t *testing.T) {
			run, err := compare.Nmap(ctx, append(family, "-sU", "-Pn", "-n", "-p", lab.FW.PortList("udp")), a.String())
			if err != nil {
				t.Fatal(err)
			}
			assertStates(t, lab.FW, lab.UDP, "udp", a, run)
		})
	}
}

// TestSVCStatesNmap: the daemons' ports are open to nmap's connect and UDP scans.
func TestSVCStatesNmap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := lab.SVC.V4
	for _, c := range []struct {
		proto string
		tech  lab.Technique
		flag  string
	}{{"tcp", lab.Connect, "-sT"}, {"udp", lab.UDP, "-sU"}} {
		t.Run(c.proto, func(t *testing.T) {
			run, err := compare.Nmap(ctx, []string{c.flag, "-Pn", "-n", "-p", lab.SVC.PortList(c.proto)}, a.String())
			if err != nil {
				t.Fatal(err)
			}
			assertStates(t, lab.SVC, c.tech, c.proto, a, run)
		})
	}
}

// TestFarmDiscovery: nmap's ARP discovery finds exactly the live farm addresses,
// and each has the promised open ports.
func TestFarmDiscovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The gateway is the scanner's own address, which nmap reports up; leave it out.
	run, err := compare.Nmap(ctx, []string{"-sn", "-n", "--exclude", lab.Farm.Gateway.String()}, lab.Farm.Prefix.String())
	if err != nil {
		t.Fatal(err)
	}
	up := map[string]bool{}
	for _, h := range run.Hosts {
		if h.Status.State == "up" {
			up[h.Addr()] = true
		}
	}
	if len(up) != len(lab.Farm.Live) {
		t.Errorf("%d farm hosts up, want %d: %v", len(up), len(lab.Farm.Live), up)
	}
	for _, a := range lab.Farm.Live {
		if !up[a.String()] {
			t.Errorf("live farm address %s not found", a)
		}
	}
	// Port states on a sample of live addresses (first, middle, last).
	live := lab.Farm.Live
	for _, a := range []netip.Addr{live[0], live[len(live)/2], live[len(live)-1]} {
		run, err := compare.Nmap(ctx, []string{"-sT", "-Pn", "-n", "-p", lab.Farm.PortList("tcp")}, a.String())
		if err != nil {
			t.Fatal(err)
		}
		assertStates(t, lab.Farm, lab.Connect, "tcp", a, run)
	}
}

// TestWAN: the wan host's ports are reachable through the relay, and the relay
// really delays: no connect can be faster than the two one-way base delays.
func TestWAN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := compare.Nmap(ctx, []string{"-sT", "-Pn", "-n", "-p", lab.WAN.PortList("tcp")}, lab.WAN.V4.String())
	if err != nil {
		t.Fatal(err)
	}
	assertStates(t, lab.WAN, lab.Connect, "tcp", lab.WAN.V4, run)
	if !lab.RelayRunning() {
		t.Skip("the wan relay is not running (lab/relay/cmd/scanfw-relay absent): no impairment to measure")
	}
	ab, _ := time.ParseDuration(lab.WANImpairment.DelayAB)
	ba, _ := time.ParseDuration(lab.WANImpairment.DelayBA)
	jitter, _ := time.ParseDuration(lab.WANImpairment.Jitter)
	floor := ab + ba - 2*jitter
	best := time.Hour
	for i := 0; i < 5; i++ {
		start := time.Now()
		c := dial(t, "tcp", lab.WAN.V4, lab.WANOpenPorts[0])
		best = min(best, time.Since(start))
		c.Close()
	}
	if best < floor {
		t.Errorf("fastest connect through the relay took %v, below the configured floor %v", best, floor)
	}
	t.Logf("fastest of 5 connects through the relay: %v (floor %v)", best, floor)
}

// TestGuardWithLab: lab addresses pass the guard while the lab is up, including
// addresses that only the sink holds; everything else is refused.
func TestGuardWithLab(t *testing.T) {
	for _, target := range []string{
		lab.SVC.V4.String(), lab.FW.V6.String(), lab.Farm.Prefix.String(), lab.WAN.V4.String(),
		"198.18.200.7", "198.19.0.0/16", "2001:db8:77::1",
	} {
		if err := lab.Guard(target); err != nil {
			t.Errorf("Guard(%s) with the lab up: %v", target, err)
		}
	}
	for _, target := range []string{"10.0.0.1", "8.8.8.8", "198.20.0.1", "198.16.0.0/12", "2001:db9::1", "::1", "fe80::1", "not-an-address"} {
		if err := lab.Guard(target); err == nil {
			t.Errorf("Guard(%s) accepted a target outside the lab", target)
		}
	}
}

// TestSetICMPRateLimit: a test can lift the kernel's ICMP error limit in one host's
// namespace and put it back.
func TestSetICMPRateLimit(t *testing.T) {
	ctx := context.Background()
	read := func() string {
		out, err := exec.Command("ip", "netns", "exec", lab.FW.NS, "sysctl", "-n", "net.ipv4.icmp_ratelimit", "net.ipv6.icmp.ratelimit").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(string(out)), " ")
	}
	before := read()
	t.Cleanup(func() { _ = lab.SetICMPRateLimit(ctx, lab.FW, 1000) })
	if err := lab.SetICMPRateLimit(ctx, lab.FW, 0); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "0 0" {
		t.Errorf("after setting 0: %q (before %q)", got, before)
	}
	if err := lab.SetICMPRateLimit(ctx, lab.FW, 1000); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "1000 1000" {
		t.Errorf("after setting 1000: %q", got)
	}
}
