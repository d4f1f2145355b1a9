package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scanfw/scanfw/lab/compare"
)

// TestSYNScanLoopbackMatchesNmap: `scanfw -sS` of 127.0.0.1 agrees with
// `nmap -sS` port for port, and the XML is valid. Loopback is the raw path's
// special case (raw IP sender, our own probes seen as incoming). The ports
// are this test's listeners and closed ports plus 1-1023, not -p-: tests of
// other packages open and close ephemeral listeners on lo meanwhile, so the
// two scans could honestly disagree there.
func TestSYNScanLoopbackMatchesNmap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a SYN scan needs root")
	}
	open, closed := loopbackPorts(t, 3, 3)
	ports := "1-1023," + joinPorts(open, closed)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.xml")
	r := runScanfw(t, "-sS", "-p", ports, "-n", "-oX", ours, "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range open {
		if !strings.Contains(r.stdout, joinPorts([]int{p})+"/tcp") {
			t.Errorf("open port %d not shown:\n%s", p, r.stdout)
		}
	}
	validateXML(t, ours)
	nmap := needTool(t, "nmap")
	ref := filepath.Join(dir, "nmap.xml")
	if out, err := exec.Command(nmap, "-sS", "-p", ports, "-n", "-oX", ref, "127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if d := compare.Diff(parseXML(t, ours), parseXML(t, ref)); len(d) > 0 {
		t.Errorf("%s", compare.Format("scanfw", "nmap", d))
	}
}

// TestDefaultScanSaysWhich: without a scan type, root gets a SYN scan and one
// line on stderr saying so.
func TestDefaultScanSaysWhich(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the choice for root needs root")
	}
	open, _ := loopbackPorts(t, 1, 0)
	r := runScanfw(t, "-n", "-p", joinPorts(open), "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "SYN scan (-sS)"); n != 1 {
		t.Errorf("stderr names the SYN scan %d times:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stdout, "open") {
		t.Errorf("port not open:\n%s", r.stdout)
	}
}

// TestRawOptionsNeedARawScan: -g with a connect scan cannot be honoured
// and is refused before anything is sent.
func TestRawOptionsNeedARawScan(t *testing.T) {
	r := runScanfw(t, "-sT", "-g", "53", "-p", "80", "127.0.0.1")
	if r.code != 2 || !strings.Contains(r.stderr, "need a raw scan") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
