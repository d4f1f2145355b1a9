package connectscan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
	"golang.org/x/sys/unix"
)

func rule(o string, st sdk.PortState, r string) sdk.ReplyRule {
	return sdk.ReplyRule{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: o}, Verdict: sdk.Verdict{State: st, Reason: r}}
}

var spec = sdk.ProbeSpec{
	ScanType: "connect", Proto: sdk.ProtoTCP, Transport: sdk.TransportConnect,
	Rules: []sdk.ReplyRule{
		rule(sdk.ConnectConnected, sdk.StateOpen, "syn-ack"),
		rule(sdk.ConnectRefused, sdk.StateClosed, "conn-refused"),
	},
	Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
}

// listen opens n listeners on addr and returns their ports; a port of a
// closed listener is returned as known closed.
func listen(t *testing.T, network, addr string, n int) (open []uint16, closed uint16) {
	t.Helper()
	for i := 0; i <= n; i++ {
		l, err := net.Listen(network, net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Skipf("listen %s: %v", addr, err)
		}
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		if i == n {
			l.Close()
			closed = port
			break
		}
		t.Cleanup(func() { l.Close() })
		open = append(open, port)
	}
	return open, closed
}

func scan(t *testing.T, ctx context.Context, addrs []netip.Addr, ports []uint16) ([]HostResult, error) {
	t.Helper()
	var got []HostResult
	err := Run(ctx, ultrascan.DefaultConfig(), spec, addrs, ports, func(r HostResult) { got = append(got, r) })
	return got, err
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for _, fam := range []struct{ network, addr string }{{"tcp4", "127.0.0.1"}, {"tcp6", "::1"}} {
		t.Run(fam.addr, func(t *testing.T) {
			t.Parallel()
			open, closed := listen(t, fam.network, fam.addr, 3)
			ports := append([]uint16{closed}, open...)
			res, err := scan(t, context.Background(), []netip.Addr{netip.MustParseAddr(fam.addr)}, ports)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 {
				t.Fatalf("%d host results, want 1", len(res))
			}
			r := res[0]
			for _, p := range open {
				if e, _ := r.Table.Get(sdk.ProtoTCP, p); e.State != sdk.StateOpen || e.Reason != "syn-ack" {
					t.Errorf("port %d: %+v, want open syn-ack", p, e)
				}
			}
			if e, _ := r.Table.Get(sdk.ProtoTCP, closed); e.State != sdk.StateClosed || e.Reason != "conn-refused" || e.ReasonTTL != 0 {
				t.Errorf("closed port %d: %+v, want closed conn-refused ttl 0", closed, e)
			}
			if r.SRTT <= 0 || r.Timeout < 100*time.Millisecond || r.End.Before(r.Start) || r.TimedOut {
				t.Errorf("timing %+v", r)
			}
		})
	}
}

func TestManyHostsStreamed(t *testing.T) {
	t.Parallel()
	open, closed := listen(t, "tcp4", "127.0.0.1", 1)
	// Different loopback addresses are different hosts; only 127.0.0.1
	// has the listener (it is bound to 127.0.0.1 only).
	var addrs []netip.Addr
	for i := 1; i <= 20; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}))
	}
	res, err := scan(t, context.Background(), addrs, []uint16{open[0], closed})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(addrs) {
		t.Fatalf("%d results, want %d", len(res), len(addrs))
	}
	for _, r := range res {
		e, _ := r.Table.Get(sdk.ProtoTCP, open[0])
		want := sdk.StateClosed
		if r.Addr == netip.MustParseAddr("127.0.0.1") {
			want = sdk.StateOpen
		}
		if e.State != want || r.Addr != addrs[r.Host] {
			t.Errorf("host %d %v: port %d %v, want %v", r.Host, r.Addr, open[0], e.State, want)
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	ports := make([]uint16, 0, 65535)
	for p := 1; p <= 65535; p++ {
		ports = append(ports, uint16(p))
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := scan(t, ctx, []netip.Addr{netip.MustParseAddr("127.0.0.2")}, ports)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("stopped %v after start, want promptly after the 20ms cancel", d)
	}
}

// TestFiltered scans a port dropped by nftables inside a network namespace
// the test creates, so the silent port is real and nothing leaves the
// machine.
func TestFiltered(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must run this test as root")
		}
		t.Skip("needs root for a network namespace")
	}
	type outcome struct {
		res []HostResult
		err error
		dur time.Duration
	}
	ch := make(chan outcome, 1)
	// The goroutine's thread moves into a fresh namespace and is never
	// unlocked, so Go discards it when the goroutine ends.
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- outcome{err: err}
			return
		}
		for _, c := range [][]string{
			{"ip", "link", "set", "lo", "up"},
			{"nft", "add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in tcp dport 9 drop"},
		} {
			cmd := exec.Command(c[0], c[1:]...)
			if c[0] == "nft" {
				cmd = exec.Command("nft", "-f", "-")
				cmd.Stdin = strings.NewReader(strings.ReplaceAll(c[1], "; ", "\n"))
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				ch <- outcome{err: errors.New(string(out))}
				return
			}
		}
		l, err := net.Listen("tcp4", "127.0.0.1:7")
		if err != nil {
			ch <- outcome{err: err}
			return
		}
		defer l.Close()
		start := time.Now()
		res, err := scan(t, context.Background(), []netip.Addr{netip.MustParseAddr("127.0.0.1")}, []uint16{7, 8, 9})
		ch <- outcome{res, err, time.Since(start)}
	}()
	o := <-ch
	if o.err != nil {
		t.Fatal(o.err)
	}
	tb := o.res[0].Table
	if e, _ := tb.Get(sdk.ProtoTCP, 7); e.State != sdk.StateOpen {
		t.Errorf("port 7: %+v, want open", e)
	}
	if e, _ := tb.Get(sdk.ProtoTCP, 8); e.State != sdk.StateClosed {
		t.Errorf("port 8: %+v, want closed", e)
	}
	if e, ok := tb.Get(sdk.ProtoTCP, 9); ok {
		t.Errorf("dropped port 9 recorded as %+v; silence must not be stored", e)
	}
	// Port 9 is tried twice with a 100ms floor on the learned timeout.
	if o.dur < 200*time.Millisecond || o.dur > 3*time.Second {
		t.Errorf("scan took %v", o.dur)
	}
}

// TestOnPortBeforeHostDone checks the per-port hook: every answered port is
// reported with its state, and before the host's result is delivered.
func TestOnPortBeforeHostDone(t *testing.T) {
	t.Parallel()
	open, closed := listen(t, "tcp4", "127.0.0.1", 3)
	ports := append([]uint16{closed}, open...)
	seen := map[uint16]sdk.PortState{}
	doneAt := -1
	err := Run(context.Background(), ultrascan.DefaultConfig(), spec, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, ports,
		func(HostResult) { doneAt = len(seen) },
		OnPort(func(host int, p sdk.Port) {
			if host != 0 || p.Proto != sdk.ProtoTCP {
				t.Errorf("port event for host %d proto %v", host, p.Proto)
			}
			if doneAt >= 0 {
				t.Errorf("port %d reported after its host was done", p.Number)
			}
			seen[p.Number] = p.State
		}))
	if err != nil {
		t.Fatal(err)
	}
	if doneAt != len(ports) {
		t.Errorf("%d ports reported before the host was done, want %d", doneAt, len(ports))
	}
	for _, p := range open {
		if seen[p] != sdk.StateOpen {
			t.Errorf("port %d: %v, want open", p, seen[p])
		}
	}
	if seen[closed] != sdk.StateClosed {
		t.Errorf("closed port %d: %v", closed, seen[closed])
	}
}
