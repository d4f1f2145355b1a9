package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// LockPath serialises everything that brings the lab up or down: test packages
// that use the lab run one after another, and `scanfw-lab up` waits for them.
const LockPath = "/run/scanfw-lab.lock"

func signalNotify(c chan os.Signal) { signal.Notify(c, os.Interrupt, syscall.SIGTERM) }

// Lock takes the lab's exclusive lock, waiting until ctx ends. The returned
// function releases it; the lock also goes when the process dies.
func Lock(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(LockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", LockPath, err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("flock %s: %w", LockPath, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for %s: %w", LockPath, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RequiredCommands are the programs the lab runs; Missing reports the absent ones.
var RequiredCommands = []string{
	"ip", "nft", "nmap", "openssl", "ssh-keygen", "dpkg-query", "sysctl",
	"/usr/sbin/sshd", "/usr/sbin/nginx", "/usr/bin/redis-server", "/usr/bin/memcached",
	"/usr/sbin/vsftpd", "/usr/sbin/exim4", "/usr/sbin/dnsmasq", "/usr/sbin/snmpd", "/usr/sbin/chronyd",
}

// Missing returns the required programs not installed (.ci/install-lab.sh installs them).
func Missing() []string {
	var out []string
	for _, c := range RequiredCommands {
		if _, err := exec.LookPath(c); err != nil {
			out = append(out, c)
		}
	}
	if _, err := os.Stat(pgBin() + "/postgres"); err != nil {
		out = append(out, "postgres")
	}
	return out
}

// Unavailable says why the lab cannot run here (not root, programs missing), or "".
func Unavailable() string {
	if os.Geteuid() != 0 {
		return "the lab needs root (network namespaces)"
	}
	if m := Missing(); len(m) > 0 {
		return "the lab needs " + strings.Join(m, ", ") + " (run .ci/install-lab.sh)"
	}
	return ""
}

// Main is the body of a TestMain for packages that use the lab:
//
//	func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.SVC, lab.FW)) }
//
// It skips the whole package with the reason when the lab cannot run (but fails
// when CI=true: CI must run the lab tests), takes the lab lock, brings up the given
// hosts, runs the tests and always tears the lab down, also on SIGINT or SIGTERM.
// A lab brought up by `make lab-up` is replaced by this one and gone afterwards.
func Main(m *testing.M, hosts ...*Host) int {
	Dispatch()
	if why := Unavailable(); why != "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: lab unavailable in CI:", why)
			return 1
		}
		fmt.Println("SKIP lab tests:", why)
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	unlock, err := Lock(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return 1
	}
	defer unlock()
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			_ = Down(context.Background())
			os.Exit(130)
		}
	}()
	defer func() {
		if err := Down(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "lab down:", err)
		}
	}()
	start := time.Now()
	if err := Up(ctx, hosts...); err != nil {
		fmt.Fprintln(os.Stderr, "lab up:", err)
		return 1
	}
	fmt.Printf("lab up in %v\n", time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// Guard refuses to let a test send a packet to any target that is not in the lab:
// each target (an address, or a prefix such as 198.18.3.0/24) must lie inside
// 198.18.0.0/15 or 2001:db8::/32, and the kernel's route to it must leave through
// one of the running lab's own links. Call it before every scan.
func Guard(targets ...string) error {
	if len(targets) == 0 {
		return fmt.Errorf("guard: no targets")
	}
	st, err := LoadRecord()
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	ours := map[string]bool{}
	for _, l := range st.Links {
		ours[l] = true
	}
	for _, t := range targets {
		var addrs []netip.Addr
		if p, err := netip.ParsePrefix(t); err == nil {
			if !inLab(p) {
				return fmt.Errorf("guard: %s is outside the lab prefixes %s and %s", t, LabPrefix4, LabPrefix6)
			}
			addrs = append(addrs, p.Masked().Addr())
		} else if a, err := netip.ParseAddr(t); err == nil {
			addrs = append(addrs, a)
		} else {
			return fmt.Errorf("guard: %q is not an address or prefix", t)
		}
		for _, a := range addrs {
			if !inLab(netip.PrefixFrom(a, a.BitLen())) {
				return fmt.Errorf("guard: %s is outside the lab prefixes %s and %s", a, LabPrefix4, LabPrefix6)
			}
			dev, err := routeDev(a)
			if err != nil {
				return fmt.Errorf("guard: %w", err)
			}
			if !ours[dev] {
				return fmt.Errorf("guard: route to %s leaves through %q, not a lab link (is the lab up?)", a, dev)
			}
		}
	}
	return nil
}

func inLab(p netip.Prefix) bool {
	for _, lab := range []netip.Prefix{LabPrefix4, LabPrefix6} {
		if p.Addr().Is4() == lab.Addr().Is4() && lab.Bits() <= p.Bits() && lab.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// routeDev asks the kernel which interface a packet to a would leave through.
func routeDev(a netip.Addr) (string, error) {
	out, err := output(context.Background(), "ip", "-j", "route", "get", a.String())
	if err != nil {
		return "", err
	}
	var routes []struct {
		Dev  string `json:"dev"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(out, &routes); err != nil || len(routes) == 0 {
		return "", fmt.Errorf("parse route to %s: %v: %s", a, err, out)
	}
	return routes[0].Dev, nil
}
