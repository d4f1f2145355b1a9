package syntest

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// wanPorts is the range scanned on the impaired host: -p- through 50 ms,
// 3% loss takes Nmap minutes, and the lab's facts all lie below it.
const wanPorts = "1-1024"

// assertFacts checks every TCP port the lab describes against a scan of
// host h's address a. A SYN scan sees a TCP port as the connect scan does
// (open, closed or filtered), so the connect facts are the SYN facts.
func assertFacts(t *testing.T, h *lab.Host, a string, run *compare.Run) {
	t.Helper()
	var host *compare.Host
	for i := range run.Hosts {
		if run.Hosts[i].Addr() == a {
			host = &run.Hosts[i]
		}
	}
	if host == nil {
		t.Fatalf("no result for %s", a)
	}
	got, err := run.PortStates(host)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range h.Ports {
		want, ok := p.Expect[lab.Connect]
		if !ok || p.Proto != "tcp" {
			continue
		}
		if g := got[compare.Key{Proto: "tcp", Port: int(p.Port)}]; g != string(want) {
			t.Errorf("%s %d/tcp: SYN scan sees %q, the lab promises %q (%s)", a, p.Port, g, want, p.Why)
		}
	}
}

// TestSYNMatchesNmap scans every lab host with scanfw -sS and Debian's nmap
// -sS over all ports (a range on the impaired host) and requires them to
// agree port for port, and both to match the lab's description.
func TestSYNMatchesNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	type target struct {
		host  *lab.Host
		addrs []string
		ports string
	}
	var targets []target
	for _, h := range lab.All {
		ports := "-"
		if h == lab.WAN {
			ports = wanPorts
		}
		if h == lab.Farm {
			targets = append(targets, target{h, []string{h.Live[0].String(), h.Live[17].String(), h.Live[39].String()}, ports})
			continue
		}
		for _, a := range h.Addrs() {
			targets = append(targets, target{h, []string{a.String()}, ports})
		}
	}
	for _, tg := range targets {
		t.Run(tg.host.Name+"/"+strings.Join(tg.addrs, ","), func(t *testing.T) {
			args := []string{"-sS", "-n", "-Pn", "-T4", "-p" + tg.ports}
			if strings.Contains(tg.addrs[0], ":") {
				args = append([]string{"-6"}, args...)
			}
			start := time.Now()
			ours, err := compare.Scan(ctx, bin, args, tg.addrs...)
			if err != nil {
				t.Fatal(err)
			}
			mid := time.Now()
			ref, err := compare.Nmap(ctx, args, tg.addrs...)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("scanfw %v, nmap %v", mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
			if d := compare.Diff(ours, ref); len(d) > 0 {
				t.Error(compare.Format("scanfw", "nmap", d))
			}
			for _, a := range tg.addrs {
				assertFacts(t, tg.host, a, ours)
			}
		})
	}
}

// TestSYNWANEveryRun scans the impaired host five times: every open port
// must be found in every run, whatever the loss does to the probes. The
// range is wanPorts, not -p-: through this link -p- takes the engine
// minutes per run (bench/syn.sh measures it).
func TestSYNWANEveryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("five scans through the impaired link")
	}
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	a := lab.WAN.V4.String()
	for i := range 5 {
		start := time.Now()
		run, err := compare.Scan(ctx, bin, []string{"-sS", "-n", "-Pn", "-T4", "-p" + wanPorts}, a)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %v", i+1, time.Since(start).Round(time.Millisecond))
		assertFacts(t, lab.WAN, a, run)
	}
}

// TestSYNOptions runs the raw options against the fw host: with a fixed
// source port and TTL the cookie still matches replies, padded probes (whose
// RSTs acknowledge the padding too) still get their answers, and -S/-e with
// the route's own values change nothing. The bytes they put on the wire are
// checked by core/rawscan's template tests.
func TestSYNOptions(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := lab.FW.V4.String()
	dev, src := routeOf(t, lab.FW.V4)
	for _, args := range [][]string{
		{"-g", "53", "--ttl", "33"},
		{"--data-length", "100"},
		{"-S", src, "-e", dev},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			full := append([]string{"-sS", "-n", "-Pn", "-p", lab.FW.PortList("tcp")}, args...)
			run, err := compare.Scan(ctx, bin, full, a)
			if err != nil {
				t.Fatal(err)
			}
			assertFacts(t, lab.FW, a, run)
		})
	}
}

// routeOf asks ip for the device and source address the kernel uses to a.
func routeOf(t *testing.T, a netip.Addr) (dev, src string) {
	t.Helper()
	out, err := exec.Command("ip", "-o", "route", "get", a.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "dev":
			dev = f[i+1]
		case "src":
			src = f[i+1]
		}
	}
	if dev == "" || src == "" {
		t.Fatal(fmt.Sprintf("ip route get %s: %q", a, out))
	}
	return dev, src
}
