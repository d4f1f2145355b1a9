package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The relay's package inside the module; the lab builds and runs it when present.
const relayPkg = "./lab/relay/cmd/scanfw-relay"

// wanLink joins the wan host to the root namespace through the relay namespace:
//
//	root sfw-wan <-> wra [scanfw-wanrelay: scanfw-relay moves frames] wrb <-> eth0 [scanfw-wan]
//
// The relay namespace has no addresses and IPv6 off, so its own kernel adds no
// traffic; the relay copies Ethernet frames between wra and wrb with WANImpairment.
func (u *upper) wanLink(ctx context.Context, h *Host) error {
	root := RootLink(h)
	modRoot, haveRelay := relaySource()
	if !haveRelay {
		return fmt.Errorf("wan: the relay's source (%s) is not in this module", relayPkg)
	}
	if err := u.newNS(ctx, WANRelayNS); err != nil {
		return err
	}
	for _, key := range []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"} {
		if err := run(ctx, "ip", "netns", "exec", WANRelayNS, "sysctl", "-q", "-w", key+"=1"); err != nil {
			return err
		}
	}
	if err := u.veth(ctx, root, "wra", WANRelayNS); err != nil {
		return err
	}
	if err := run(ctx, "ip", "-n", WANRelayNS, "link", "add", "wrb", "type", "veth", "peer", "name", "eth0", "netns", h.NS); err != nil {
		return err
	}
	if err := ipBatch(ctx, WANRelayNS, []string{"link set wra up promisc on", "link set wrb up promisc on"}); err != nil {
		return err
	}
	if err := u.link(ctx, h, root, "eth0"); err != nil {
		return err
	}
	// The relay moves single frames of at most the MTU. veth would hand it
	// 64 KiB GSO super-frames, which it drops, so the two ends that send
	// into it segment in the kernel instead.
	if err := run(ctx, "ip", "link", "set", "dev", root, "gso_max_segs", "1"); err != nil {
		return err
	}
	if err := run(ctx, "ip", "-n", h.NS, "link", "set", "dev", "eth0", "gso_max_segs", "1"); err != nil {
		return err
	}
	bin := filepath.Join(u.dir, "scanfw-relay")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, relayPkg)
	build.Dir = modRoot
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build relay: %w: %s", err, out)
	}
	imp := WANImpairment
	cmd := exec.Command(bin, "-a", "wra", "-b", "wrb",
		"-delay-ab", imp.DelayAB, "-delay-ba", imp.DelayBA, "-jitter", imp.Jitter,
		"-loss-ab", strconv.FormatFloat(imp.LossAB, 'g', -1, 64),
		"-loss-ba", strconv.FormatFloat(imp.LossBA, 'g', -1, 64),
		"-seed", strconv.FormatInt(imp.Seed, 10),
		// 50 ms of a fast scan's probes must fit: about rate x delay frames.
		"-queue", "65536",
		"-pidfile", filepath.Join(u.dir, "scanfw-relay.pid"))
	_, err := u.spawn(WANRelayNS, "relay", cmd)
	return err
}

// relaySource finds the module root (walking up from the working directory) and
// reports whether the relay's main package is in it.
func relaySource() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/scanfw/scanfw\n") {
			_, err := os.Stat(filepath.Join(dir, relayPkg, "main.go"))
			return dir, err == nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// RelayRunning reports whether the running lab put the wan host behind the relay.
func RelayRunning() bool {
	s, err := LoadRecord()
	if err != nil {
		return false
	}
	for _, p := range s.Procs {
		if p.Name == "relay" && p.Alive() {
			return true
		}
	}
	return false
}
