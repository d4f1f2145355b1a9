package lab

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Dispatch()
	os.Exit(m.Run())
}

// needLab skips (or, under CI=true, fails) a test that needs root and the packages.
func needLab(t *testing.T) {
	t.Helper()
	if why := Unavailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("lab unavailable in CI: %s", why)
		}
		t.Skip(why)
	}
}

// TestUpDownLeavesNothing drives `scanfw-lab up` (all hosts) and `scanfw-lab down`,
// the commands behind make lab-up / lab-down, and checks that down leaves no
// namespace, link, route into the lab prefixes, process or file behind. It also
// times up: the lab must come up well within a minute on the 2-core machine.
func TestUpDownLeavesNothing(t *testing.T) {
	needLab(t)
	// The lock may be held for minutes by the other lab packages of the
	// same `go test ./...` (they run in parallel); the three minutes bound
	// this test's own work, not its wait.
	lockCtx, cancelLock := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancelLock()
	unlock, err := Lock(lockCtx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "scanfw-lab")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/scanfw-lab").CombinedOutput(); err != nil {
		t.Fatalf("build scanfw-lab: %v: %s", err, out)
	}
	cli := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "SCANFW_LAB_LOCK_HELD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scanfw-lab %v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = Down(context.Background()) })

	start := time.Now()
	cli("up")
	took := time.Since(start)
	t.Logf("scanfw-lab up (all hosts, including process start) took %v", took.Round(time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("lab up took %v, want well under a minute", took)
	}
	rec, err := LoadRecord()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Procs) == 0 || len(rec.Namespaces) < len(All)+1 {
		t.Fatalf("record after up is thin: %+v", rec)
	}
	for _, p := range rec.Procs {
		if !p.Alive() {
			t.Errorf("%s (pid %d) not running after up", p.Name, p.PID)
		}
	}
	if err := Guard(SVC.V4.String(), "198.18.250.1", FW.V6.String()); err != nil {
		t.Errorf("guard refuses lab targets while the lab is up: %v", err)
	}
	if routes := labRoutes(t); len(routes) == 0 {
		t.Error("no lab routes while the lab is up")
	}

	cli("down")
	cli("down") // idempotent
	for _, p := range rec.Procs {
		if p.Alive() {
			t.Errorf("%s (pid %d) still running after down", p.Name, p.PID)
		}
	}
	for _, ns := range rec.Namespaces {
		if nsExists(ns) {
			t.Errorf("namespace %s left behind", ns)
		}
	}
	for _, l := range rec.Links {
		if _, err := os.Stat("/sys/class/net/" + l); err == nil {
			t.Errorf("link %s left behind", l)
		}
	}
	if routes := labRoutes(t); len(routes) > 0 {
		t.Errorf("routes into the lab left behind: %q", routes)
	}
	for _, p := range append([]string{rec.Dir, statePath}, rec.Created...) {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
	if err := Guard(SVC.V4.String()); err == nil {
		t.Error("guard accepts a lab address with the lab down")
	}
}

// labRoutes lists every root-namespace route whose destination lies in the lab.
func labRoutes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, family := range []string{"-4", "-6"} {
		data, err := exec.Command("ip", family, "route", "show", "table", "all").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			dst := f[0]
			if dst == "local" || dst == "broadcast" || dst == "multicast" || dst == "unicast" {
				if len(f) < 2 {
					continue
				}
				dst = f[1]
			}
			p, err := netip.ParsePrefix(dst)
			if err != nil {
				a, err2 := netip.ParseAddr(dst)
				if err2 != nil {
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if LabPrefix4.Overlaps(p) || LabPrefix6.Overlaps(p) {
				out = append(out, line)
			}
		}
	}
	return out
}
