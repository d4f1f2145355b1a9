package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPacketTraceConnect: --packet-trace -sT shows every connect() as
// Nmap's CONN lines: one "in progress" and one outcome per port, the
// outcome saying what the port table says.
func TestPacketTraceConnect(t *testing.T) {
	open, closed := loopbackPorts(t, 2, 2)
	r := runScanfw(t, "-n", "-Pn", "-sT", "--packet-trace", "-p", joinPorts(open, closed), "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	line := regexp.MustCompile(`(?m)^CONN \(\d+\.\d{4}s\) TCP localhost > 127\.0\.0\.1:(\d+) => (.+)$`)
	outcomes := map[string][]string{}
	for _, m := range line.FindAllStringSubmatch(r.stdout, -1) {
		outcomes[m[1]] = append(outcomes[m[1]], m[2])
	}
	check := func(port int, want string) {
		got := outcomes[fmt.Sprint(port)]
		if len(got) < 2 || got[0] != "Operation now in progress" || got[len(got)-1] != want {
			t.Errorf("port %d: CONN outcomes %q, want in progress then %q\n%s", port, got, want, r.stdout)
		}
	}
	for _, p := range open {
		check(p, "Connected")
	}
	for _, p := range closed {
		check(p, "Connection refused")
	}
	// The trace comes before the report, as Nmap prints it while scanning.
	if i, j := strings.Index(r.stdout, "CONN ("), strings.Index(r.stdout, "PORT "); i < 0 || j < i {
		t.Errorf("trace lines not before the port table:\n%s", r.stdout)
	}
}

// TestPacketTraceSYN: --packet-trace -sS on loopback shows each SYN sent
// and the SYN/ACK or RST that answered it, in Nmap's layout.
func TestPacketTraceSYN(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a SYN scan needs root")
	}
	open, closed := loopbackPorts(t, 1, 1)
	r := runScanfw(t, "-n", "-Pn", "-sS", "--packet-trace", "-p", joinPorts(open, closed), "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range []struct {
		dir, re string
	}{
		{"SENT", fmt.Sprintf(`TCP 127\.0\.0\.1:\d+ > 127\.0\.0\.1:%d S ttl=\d+ id=\d+ iplen=44  seq=\d+ win=1024 <mss 1460>`, open[0])},
		{"SENT", fmt.Sprintf(`TCP 127\.0\.0\.1:\d+ > 127\.0\.0\.1:%d S ttl=\d+ id=\d+ iplen=44  seq=\d+ win=1024 <mss 1460>`, closed[0])},
		{"RCVD", fmt.Sprintf(`TCP 127\.0\.0\.1:%d > 127\.0\.0\.1:\d+ SA ttl=64 id=0 iplen=\d+  seq=\d+ win=\d+ <.*>`, open[0])},
		{"RCVD", fmt.Sprintf(`TCP 127\.0\.0\.1:%d > 127\.0\.0\.1:\d+ RA ttl=64 id=0 iplen=40  seq=0 win=0 `, closed[0])},
	} {
		re := regexp.MustCompile(`(?m)^` + c.dir + ` \(\d+\.\d{4}s\) ` + c.re + `$`)
		if !re.MatchString(r.stdout) {
			t.Errorf("no line matching %s\n%s", re, r.stdout)
		}
	}
}

// TestPacketTraceProtocolNames: an IP protocol scan's trace names the
// protocols it does not decode as Nmap's does ("igmp (2)", "unknown
// (200)"), compared with Nmap's own trace of the same scan on loopback.
func TestPacketTraceProtocolNames(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("an IP protocol scan needs root")
	}
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap is not installed")
	}
	args := []string{"-n", "-Pn", "-sO", "--max-retries", "0", "--packet-trace", "-p", "2,4,47,103,200,253", "127.0.0.1"}
	sent := regexp.MustCompile(`(?m)^SENT \(\d+\.\d{4}s\) (\S+ \(\d+\)) 127\.0\.0\.1 > 127\.0\.0\.1: `)
	names := func(out string) []string {
		var ns []string
		for _, m := range sent.FindAllStringSubmatch(out, -1) {
			ns = append(ns, m[1])
		}
		slices.Sort(ns)
		return slices.Compact(ns)
	}
	r := runScanfw(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	ref, err := exec.Command("nmap", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, ref)
	}
	got, want := names(r.stdout), names(string(ref))
	if len(want) != 6 || !slices.Equal(got, want) {
		t.Errorf("protocols in the trace:\nscanfw %q\nnmap   %q", got, want)
	}
}
