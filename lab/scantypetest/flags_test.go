package scantypetest

import (
	"context"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// assertHostFacts checks every port of proto the lab describes on h for
// technique tech against a scan of h's address a.
func assertHostFacts(t *testing.T, h *lab.Host, tech lab.Technique, proto, a string, run *compare.Run) {
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
	n := 0
	for _, p := range h.Ports {
		want, ok := p.Expect[tech]
		if !ok || p.Proto != proto {
			continue
		}
		n++
		if g := got[compare.Key{Proto: proto, Port: int(p.Port)}]; g != string(want) {
			t.Errorf("%s %d/%s: %s scan sees %q, the lab promises %q (%s)", a, p.Port, proto, tech, g, want, p.Why)
		}
	}
	if n == 0 {
		t.Errorf("the lab has no %s facts for %s", tech, proto)
	}
}

// TestFlagScansMatchNmap runs each flag scan against the fw host's lab
// ports and a range of default (closed) ports, on IPv4 and IPv6, with
// scanfw and nmap: both must agree port for port and with the facts.
func TestFlagScansMatchNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	techs := []struct {
		flag string
		tech lab.Technique
	}{
		{"-sF", lab.FIN}, {"-sN", lab.NULL}, {"-sX", lab.Xmas},
		{"-sM", lab.Maimon}, {"-sA", lab.ACK}, {"-sW", lab.Window},
	}
	ports := "1-200," + lab.FW.PortList("tcp")
	for _, tc := range techs {
		for _, a := range lab.FW.Addrs() {
			t.Run(tc.flag+"/"+a.String(), func(t *testing.T) {
				args := []string{tc.flag, "-n", "-Pn", "-T4", "-p", ports}
				ours := matchNmap(ctx, t, bin, args, a.String())
				assertHostFacts(t, lab.FW, tc.tech, "tcp", a.String(), ours)
			})
		}
	}
}
