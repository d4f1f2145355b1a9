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
				ours := matchNmap(ctx, t, bin, args, a.String())
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
	ours := matchNmap(ctx, t, bin, args, a)
	assertHostFacts(t, lab.FW, lab.UDP, "udp", a, ours)
}
