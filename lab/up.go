package lab

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scanfw/scanfw/lab/labd"
)

// labdRoleEnv makes a program that calls Dispatch act as scanfw-labd, so the lab
// needs no separately built helper binary: it re-executes itself.
const labdRoleEnv = "SCANFW_LAB_ROLE"

// Dispatch runs the lab's listener role and exits if this process was started as
// one; otherwise it returns at once. Every program that calls Up (the scanfw-lab
// command, test binaries through Main) calls Dispatch first thing.
func Dispatch() {
	dispatchSCTP()
	if os.Getenv(labdRoleEnv) != "labd" {
		return
	}
	cfg, err := labd.ParseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	go func() { <-sig; cancel() }()
	if err := labd.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-labd:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// upper carries one Up call's state.
type upper struct {
	st   *Record
	dir  string
	self string // this executable, re-executed as scanfw-labd
}

// Up brings up the sink and the given hosts (all hosts if none are given). It first
// removes whatever an earlier lab left (Down), so it is idempotent, and returns only
// when every listener the facts promise is bound. On error the partial lab stays
// recorded for Down.
func Up(ctx context.Context, hosts ...*Host) error {
	if len(hosts) == 0 {
		hosts = All
	}
	if err := Down(ctx); err != nil {
		return fmt.Errorf("clean earlier lab: %w", err)
	}
	// The daemons live on after this process; none may inherit a descriptor
	// this process got from its parent without close-on-exec (a shell's
	// `exec 9>/run/scanfw-lab.lock; flock 9` once left every daemon holding
	// the lab lock, and every later lab test waited for it).
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("mark inherited descriptors close-on-exec: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "scanfw-lab-")
	if err != nil {
		return err
	}
	// Daemons that drop root (postgres, exim) must traverse into their subdirectories.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	u := &upper{st: &Record{Dir: dir}, dir: dir, self: self}
	for _, h := range hosts {
		u.st.Hosts = append(u.st.Hosts, h.Name)
	}
	if err := u.st.record(func(*Record) {}); err != nil {
		return err
	}
	if err := u.sink(ctx); err != nil {
		return err
	}
	// Hosts are independent once the sink exists; svc is slow (initdb), the rest
	// take milliseconds, so run them side by side.
	var wg sync.WaitGroup
	errs := make([]error, len(hosts))
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := u.host(ctx, h); err != nil {
				errs[i] = fmt.Errorf("host %s: %w", h.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// newNS creates namespace ns with lo up, recording it first.
func (u *upper) newNS(ctx context.Context, ns string) error {
	if err := u.st.record(func(s *Record) { s.Namespaces = append(s.Namespaces, ns) }); err != nil {
		return err
	}
	if err := run(ctx, "ip", "netns", "add", ns); err != nil {
		return err
	}
	return run(ctx, "ip", "-n", ns, "link", "set", "lo", "up")
}

// veth creates root-side link root and its peer peer inside ns.
func (u *upper) veth(ctx context.Context, root, peer, ns string) error {
	if err := u.st.record(func(s *Record) { s.Links = append(s.Links, root) }); err != nil {
		return err
	}
	return run(ctx, "ip", "link", "add", root, "type", "veth", "peer", "name", peer, "netns", ns)
}

// sink routes all of the lab prefixes into a namespace that drops everything, so
// a lab address that no host holds never leads a packet off the machine. Host
// routes (/24, /64) are more specific and win.
func (u *upper) sink(ctx context.Context) error {
	const root, peer = "sfw-sink", "eth0"
	if err := u.newNS(ctx, SinkNS); err != nil {
		return err
	}
	if err := u.veth(ctx, root, peer, SinkNS); err != nil {
		return err
	}
	if err := ipBatch(ctx, SinkNS, []string{
		"addr add " + sinkNS4.String() + "/30 dev eth0",
		"addr add " + sinkNS6.String() + "/64 dev eth0 nodad",
		"link set eth0 up",
	}); err != nil {
		return err
	}
	// Drop everything but neighbour discovery (which the root side needs to reach
	// the next hop). ARP is not seen by the inet family, so it still works.
	rules := `table inet sink {
	chain pre {
		type filter hook prerouting priority raw; policy drop;
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
	chain out {
		type filter hook output priority raw; policy drop;
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
`
	if err := nft(ctx, SinkNS, rules); err != nil {
		return err
	}
	return ipBatch(ctx, "", []string{
		"addr add " + sinkRoot4.String() + "/30 dev " + root,
		"addr add " + sinkRoot6.String() + "/64 dev " + root + " nodad",
		"link set " + root + " up",
		"route replace " + LabPrefix4.String() + " via " + sinkNS4.String() + " dev " + root,
		"route replace " + LabPrefix6.String() + " via " + sinkNS6.String() + " dev " + root,
	})
}

// nft loads a ruleset into the namespace.
func nft(ctx context.Context, ns, rules string) error {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// link joins host h's namespace to the root namespace: the root side holds the
// gateway addresses, the host side its own, with default routes back.
func (u *upper) link(ctx context.Context, h *Host, root, nsSide string) error {
	var lines []string
	for _, a := range h.Addrs() {
		if a.Is4() {
			lines = append(lines, fmt.Sprintf("addr add %s/%d dev %s", a, h.Prefix.Bits(), nsSide))
		} else {
			lines = append(lines, fmt.Sprintf("addr add %s/%d dev %s nodad", a, h.Prefix6.Bits(), nsSide))
		}
	}
	lines = append(lines, "link set "+nsSide+" up", "route add default via "+h.Gateway.String())
	if h.V6.IsValid() {
		lines = append(lines, "route add ::/0 via "+h.Gateway6.String())
	}
	if err := ipBatch(ctx, h.NS, lines); err != nil {
		return err
	}
	lines = []string{fmt.Sprintf("addr add %s/%d dev %s", h.Gateway, h.Prefix.Bits(), root)}
	if h.V6.IsValid() {
		lines = append(lines, fmt.Sprintf("addr add %s/%d dev %s nodad", h.Gateway6, h.Prefix6.Bits(), root))
	}
	lines = append(lines, "link set "+root+" up")
	return ipBatch(ctx, "", lines)
}

// RootLink is the name of host h's veth end in the root namespace.
func RootLink(h *Host) string { return "sfw-" + h.Name }

func (u *upper) host(ctx context.Context, h *Host) error {
	if err := u.newNS(ctx, h.NS); err != nil {
		return err
	}
	if err := confineEgress(ctx, h.NS); err != nil {
		return err
	}
	if h == WAN {
		if err := u.wanLink(ctx, h); err != nil {
			return err
		}
	} else {
		if err := u.veth(ctx, RootLink(h), "eth0", h.NS); err != nil {
			return err
		}
		if err := u.link(ctx, h, RootLink(h), "eth0"); err != nil {
			return err
		}
	}
	switch h {
	case SVC:
		return u.svc(ctx, h)
	case FW:
		return u.fw(ctx, h)
	default:
		var ports []uint16
		for _, p := range h.Ports {
			if p.Proto == "tcp" && p.Expect[Connect] == Open {
				ports = append(ports, p.Port)
			}
		}
		pid, err := u.labd(ctx, h, "labd", labd.Config{Bind: "", TCPClose: ports})
		if err != nil {
			return err
		}
		if err := waitListening(ctx, pid, ports, nil); err != nil {
			return err
		}
		if h == WAN && len(ports) > 0 {
			// Listening inside proves nothing about the relay in between.
			return waitReachable(ctx, netip.AddrPortFrom(h.V4, ports[0]))
		}
		return nil
	}
}

// waitReachable returns once a TCP connect from the root namespace to ap succeeds
// (the wan host's link crosses the relay, which may lose the first SYNs), or
// fails after 15 s.
func waitReachable(ctx context.Context, ap netip.AddrPort) error {
	deadline := time.Now().Add(15 * time.Second)
	var d net.Dialer
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := d.DialContext(cctx, "tcp", ap.String())
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s unreachable from the root namespace: %w", ap, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// labd starts the listener role in h's namespace.
func (u *upper) labd(ctx context.Context, h *Host, name string, c labd.Config) (int, error) {
	args := []string{
		"-tcp-close", labd.FormatPorts(c.TCPClose), "-tcp-hold", labd.FormatPorts(c.TCPHold),
		"-udp-echo", labd.FormatPorts(c.UDPEcho), "-udp-silent", labd.FormatPorts(c.UDPSilent),
	}
	args = append(args, labd.HostileArgs(c)...)
	if c.HoldFor > 0 {
		args = append(args, "-hold-for", c.HoldFor.String())
	}
	if c.Bind != "" {
		args = append(args, "-bind", c.Bind)
	}
	cmd := exec.Command(u.self, args...)
	cmd.Env = append(os.Environ(), labdRoleEnv+"=labd")
	return u.spawn(h.NS, name, cmd)
}

// spawn starts cmd in ns as a session leader (so a terminal's ^C reaches only the
// lab's own handler, which tears down in order) with its output in the lab's log
// directory, and records it.
func (u *upper) spawn(ns, name string, cmd *exec.Cmd) (int, error) {
	logDir := filepath.Join(u.dir, "log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(filepath.Join(logDir, ns+"-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	if err := startIn(ns, cmd); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	start, _ := procStart(pid)
	// Reap it in the background so it does not linger as a zombie while we run.
	go func() { _ = cmd.Wait() }()
	if err := u.st.record(func(s *Record) {
		s.Procs = append(s.Procs, Proc{Name: name, NS: ns, PID: pid, Start: start})
	}); err != nil {
		return pid, err
	}
	return pid, nil
}

// LogTail returns the end of a lab process's log, for error messages.
func LogTail(dir, ns, name string) string {
	data, _ := os.ReadFile(filepath.Join(dir, "log", ns+"-"+name+".log"))
	if len(data) > 1500 {
		data = data[len(data)-1500:]
	}
	return strings.TrimSpace(string(data))
}

// waitListening returns once every TCP port listens and every UDP port is bound
// inside pid's namespace (read from procfs, so ports behind a firewall rule count
// too), or fails when pid exits or 20 s pass.
func waitListening(ctx context.Context, pid int, tcp, udp []uint16) error {
	deadline := time.Now().Add(20 * time.Second)
	pending := map[string]bool{}
	for _, p := range tcp {
		pending["tcp/"+strconv.Itoa(int(p))] = true
	}
	for _, p := range udp {
		pending["udp/"+strconv.Itoa(int(p))] = true
	}
	for {
		for k := range pending {
			proto, port, _ := strings.Cut(k, "/")
			n, _ := strconv.Atoi(port)
			if socketBound(pid, proto, uint16(n)) {
				delete(pending, k)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if _, alive := procStart(pid); !alive {
			return fmt.Errorf("process %d exited before listening on %v", pid, keys(pending))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("still not listening after 20s: %v", keys(pending))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// socketBound reports whether a TCP socket listens (state 0A) or a UDP socket is
// bound (state 07) on port in pid's network namespace.
func socketBound(pid int, proto string, port uint16) bool {
	want, state := fmt.Sprintf(":%04X", port), "0A"
	if proto == "udp" {
		state = "07"
	}
	for _, f := range []string{proto, proto + "6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) > 3 && strings.HasSuffix(fields[1], want) && fields[3] == state {
				return true
			}
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
