// Package netnstest builds throw-away network namespaces for tests of the raw
// packet path: every test gets its own named namespaces and veth links, removed
// with t.Cleanup, so packets never leave the machine or touch the lab.
package netnstest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireRoot skips a test that needs CAP_NET_ADMIN/CAP_NET_RAW when not root,
// unless CI=true, where a skipped network test would hide a regression.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("test needs root (network namespaces, AF_PACKET) and CI=true forbids skipping")
	}
	t.Skip("needs root: creates network namespaces and opens AF_PACKET sockets")
}

// NS is a named network namespace owned by one test.
type NS struct {
	Name string
}

// New creates namespace name (which should start with the test's prefix) with lo
// up, and deletes it when the test ends. Deleting a namespace deletes its veths.
func New(t testing.TB, name string) *NS {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // a crashed earlier run
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	ns := &NS{Name: name}
	ns.IP(t, "link set lo up")
	return ns
}

// IP runs `ip -n NS <args>` (args split on spaces) and fails the test on error.
func (ns *NS) IP(t testing.TB, args string) string {
	t.Helper()
	return run(t, "ip", append([]string{"-n", ns.Name}, strings.Fields(args)...)...)
}

// Sysctl sets a sysctl inside the namespace.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	run(t, "ip", "netns", "exec", ns.Name, "sysctl", "-qw", key+"="+value)
}

// Do runs fn on an OS thread that has entered the namespace. Sockets opened in
// fn belong to the namespace for their whole life, also after Do returns.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("open own netns: %w", err)
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			errc <- fmt.Errorf("open netns %s: %w", ns.Name, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stay locked: the thread exits with this goroutine instead of
			// serving others from the wrong namespace.
			errc <- fmt.Errorf("setns back from %s: %w", ns.Name, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Veth links a and b with a veth pair named an (in a) and bn (in b).
func Veth(t testing.TB, a *NS, an string, b *NS, bn string) {
	t.Helper()
	run(t, "ip", "link", "add", an, "netns", a.Name, "type", "veth", "peer", "name", bn, "netns", b.Name)
	a.IP(t, "link set "+an+" up")
	b.IP(t, "link set "+bn+" up")
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out)
}
