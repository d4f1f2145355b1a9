package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// run runs a short command (ip, nft, sysctl) and returns its error with stderr.
func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// ipBatch feeds several `ip` commands to one process: each fork of ip costs a few
// milliseconds and the lab issues a few hundred of them.
func ipBatch(ctx context.Context, ns string, lines []string) error {
	args := []string{"-batch", "-"}
	if ns != "" {
		args = []string{"-n", ns, "-batch", "-"}
	}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %q -batch: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startIn starts cmd with its network namespace set to ns. exec.Cmd cannot name a
// namespace, but a forked child inherits the namespaces of the forking thread, so
// the thread is moved into ns for the fork and moved back afterwards. Unlike
// `ip netns exec`, this keeps SysProcAttr.Credential usable (postgres must not run
// as root) and the started PID is the daemon's own.
func startIn(ns string, cmd *exec.Cmd) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own netns: %w", err)
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open netns %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	startErr := cmd.Start()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it dies with its goroutine instead of serving
		// other goroutines from the wrong namespace.
		return fmt.Errorf("setns back from %s: %w (start: %v)", ns, err, startErr)
	}
	runtime.UnlockOSThread()
	if startErr != nil {
		return fmt.Errorf("start %s in %s: %w", cmd.Path, ns, startErr)
	}
	return nil
}

// SetICMPRateLimit sets net.ipv4.icmp_ratelimit and net.ipv6.icmp.ratelimit (in
// milliseconds; 0 disables the limit) inside the namespace of host h. Linux sends
// at most about one ICMP error per second per destination after a short burst, so
// a test that needs many port-unreachable or admin-prohibited answers quickly sets
// 0 here; the expected states in the facts hold under the default limit.
func SetICMPRateLimit(ctx context.Context, h *Host, ms int) error {
	for _, key := range []string{"net.ipv4.icmp_ratelimit", "net.ipv6.icmp.ratelimit"} {
		if err := run(ctx, "ip", "netns", "exec", h.NS, "sysctl", "-q", "-w", fmt.Sprintf("%s=%d", key, ms)); err != nil {
			return fmt.Errorf("set %s in %s: %w", key, h.NS, err)
		}
	}
	return nil
}

func nsExists(ns string) bool {
	_, err := os.Stat("/run/netns/" + ns)
	return err == nil
}
