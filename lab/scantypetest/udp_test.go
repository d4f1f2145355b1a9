package scantypetest

import (
	"context"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// TestUDPMatchesNmap scans the UDP ports the lab describes on the fw and
// svc hosts with scanfw -sU and nmap -sU: both must agree port for port
// and with the facts. Few of these ports answer with ICMP, so the default
// ICMP rate limit does not bend the result.
func TestUDPMatchesNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, h := range []*lab.Host{lab.FW, lab.SVC} {
		for _, a := range h.Addrs() {
			t.Run(h.Name+"/"+a.String(), func(t *testing.T) {
				args := []string{"-sU", "-n", "-Pn", "-T4", "-p", h.PortList("udp")}
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
				assertHostFacts(t, h, lab.UDP, "udp", a.String(), ours)
			})
		}
	}
}

// TestUDPRangeWithoutRateLimit scans a range of mostly closed UDP ports
// with the fw host's ICMP rate limit lifted, so every closed port answers
// and the two scanners must agree exactly.
func TestUDPRangeWithoutRateLimit(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := lab.SetICMPRateLimit(ctx, lab.FW, 0); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := lab.SetICMPRateLimit(context.Background(), lab.FW, 1000); err != nil {
			t.Error(err)
		}
	}()
	a := lab.FW.V4.String()
	args := []string{"-sU", "-n", "-Pn", "-T4", "-p", "1-300," + lab.FW.PortList("udp")}
	ours, err := compare.Scan(ctx, bin, args, a)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := compare.Nmap(ctx, args, a)
	if err != nil {
		t.Fatal(err)
	}
	if d := compare.Diff(ours, ref); len(d) > 0 {
		t.Error(compare.Format("scanfw", "nmap", d))
	}
	assertHostFacts(t, lab.FW, lab.UDP, "udp", a, ours)
}
