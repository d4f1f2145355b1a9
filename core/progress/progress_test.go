package progress

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/progress/ptytest"
	"github.com/scanfw/scanfw/sdk"
)

var (
	t0 = time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC)
	a1 = netip.MustParseAddr("198.18.0.1")
	a2 = netip.MustParseAddr("198.18.0.2")
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

type nopSink struct{}

func (nopSink) Start(context.Context, sdk.ScanStart) error { return nil }
func (nopSink) Host(context.Context, sdk.Host) error       { return nil }
func (nopSink) End(context.Context, sdk.ScanEnd) error     { return nil }

func port(n uint16, st sdk.PortState) sdk.Port {
	return sdk.Port{Proto: sdk.ProtoTCP, Number: n, State: st}
}

func up(a netip.Addr) sdk.Host {
	return sdk.Host{Addr: a, Status: sdk.HostStatus{State: "up"}}
}

// TestFractionAndETA drives a scan of 4 hosts x 10 ports and checks the
// share done and the ETA after each step.
func TestFractionAndETA(t *testing.T) {
	c := &fakeClock{now: t0}
	term := New(io.Discard, io.Discard, Options{Now: c.Now})
	term.SetScope(4, 10)
	sink := term.Sink(nopSink{})
	ctx := context.Background()
	sink.Start(ctx, sdk.ScanStart{Start: t0})
	term.Technique("connect", 2, 10)

	// Each step comes 10 s after the one before; the ETA is the elapsed
	// time times (1-f)/f.
	steps := []struct {
		name string
		do   func()
		want float64
		eta  string
	}{
		{"nothing yet", func() {}, 0, ""},
		{"five answers", func() {
			for p := range uint16(5) {
				term.Port(a1, port(p+1, sdk.StateClosed))
			}
		}, 5.0 / 40, "0:02:20"},
		{"the same host answers more than it has ports", func() {
			for p := range uint16(20) {
				term.Port(a1, port(p+100, sdk.StateClosed))
			}
		}, 10.0 / 40, "0:01:30"},
		{"host 1 done", func() { sink.Host(ctx, up(a1)) }, 10.0 / 40, "0:02:00"},
		{"host 2 done with silent ports", func() {
			term.Port(a2, port(1, sdk.StateOpen))
			sink.Host(ctx, up(a2))
		}, 20.0 / 40, "0:00:50"},
		{"a down host counts whole", func() {
			sink.Host(ctx, sdk.Host{Addr: netip.MustParseAddr("198.18.0.3"), Status: sdk.HostStatus{State: "down"}})
		}, 30.0 / 40, "0:00:20"},
	}
	for _, s := range steps {
		c.now = c.now.Add(10 * time.Second)
		s.do()
		if got := term.Fraction(); got != s.want {
			t.Errorf("%s: fraction %v, want %v", s.name, got, s.want)
		}
		line := term.StatusLine()
		if s.eta != "" && !strings.Contains(line, "ETA "+s.eta+" (") {
			t.Errorf("%s: status line %q lacks ETA %s", s.name, line, s.eta)
		}
		if s.eta == "" && strings.Contains(line, "ETA") {
			t.Errorf("%s: status line %q has an ETA with nothing done", s.name, line)
		}
	}
	sink.End(ctx, sdk.ScanEnd{})
	if term.Fraction() != 1 {
		t.Errorf("fraction after End: %v", term.Fraction())
	}
}

// TestFractionNeverClaimsDoneEarly: exclusions make the host count an
// estimate; more finished hosts than expected must not show 100%.
func TestFractionNeverClaimsDoneEarly(t *testing.T) {
	term := New(io.Discard, io.Discard, Options{})
	term.SetScope(1, 1)
	sink := term.Sink(nopSink{})
	sink.Host(context.Background(), up(a1))
	sink.Host(context.Background(), up(a2))
	if f := term.Fraction(); f >= 1 {
		t.Errorf("fraction %v before the end", f)
	}
}

// TestDiscoveredLines: "Discovered open port" with -v, only for open
// ports, once per port, and never when stdout holds a machine format.
func TestDiscoveredLines(t *testing.T) {
	cases := []struct {
		name       string
		verbose    int
		discovered bool
		want       string
	}{
		{"-v", 1, true, "Discovered open port 22/tcp on 198.18.0.1\nDiscovered open port 80/tcp on 198.18.0.1\nDiscovered open port 22/tcp on 198.18.0.2\n"},
		{"-vv", 2, true, "Discovered open port 22/tcp on 198.18.0.1\nDiscovered open port 80/tcp on 198.18.0.1\nDiscovered open port 22/tcp on 198.18.0.2\n"},
		{"not verbose", 0, true, ""},
		{"machine format on stdout", 2, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			term := New(&out, io.Discard, Options{Verbose: c.verbose, Discovered: c.discovered})
			term.SetScope(2, 3)
			term.Port(a1, port(22, sdk.StateOpen))
			term.Port(a1, port(23, sdk.StateClosed))
			term.Port(a1, port(22, sdk.StateOpen)) // a retry answered again
			term.Port(a1, port(80, sdk.StateOpen))
			term.Port(a1, port(81, sdk.StateFiltered))
			term.Port(a2, port(22, sdk.StateOpen))
			if out.String() != c.want {
				t.Errorf("stdout %q, want %q", out.String(), c.want)
			}
		})
	}
}

// TestStats checks --stats-every's two lines, in Nmap's words.
func TestStats(t *testing.T) {
	c := &fakeClock{now: t0}
	term := New(io.Discard, io.Discard, Options{Now: c.Now})
	term.SetScope(10, 100)
	sink := term.Sink(nopSink{})
	sink.Start(context.Background(), sdk.ScanStart{Start: t0})
	term.Technique("connect", 8, 100)
	sink.Host(context.Background(), up(a1))
	sink.Host(context.Background(), sdk.Host{Addr: a2, Status: sdk.HostStatus{State: "down"}})
	c.now = t0.Add(75 * time.Second)
	want := "Stats: 0:01:15 elapsed; 2 hosts completed (1 up), 7 undergoing Connect Scan\n" +
		"Connect Scan Timing: About 20.00% done; ETC: 11:06 (0:05:00 remaining)\n"
	if got := term.Stats(); got != want {
		t.Errorf("stats:\n%q\nwant\n%q", got, want)
	}
}

// syncBuffer is a writer a test can read while the terminal writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// readAll copies what the program side writes to the pty into a buffer.
func readAll(f *os.File) *syncBuffer {
	b := &syncBuffer{}
	go io.Copy(b, f)
	return b
}

// TestStatusLineUnderPTY runs the terminal with stdout and stderr on one
// pseudo-terminal, as in an interactive shell: the status line appears
// with percent done, and every other line reaches the screen whole, never
// mixed with the status line.
func TestStatusLineUnderPTY(t *testing.T) {
	ctl, tty, err := ptytest.Open(100)
	if ptytest.IsPtyUnavailable(err) {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	defer tty.Close()
	seen := readAll(ctl)

	term := New(tty, tty, Options{Verbose: 1, Discovered: true, Redraw: 5 * time.Millisecond})
	if !term.IsTerminal() {
		t.Fatal("a pty is not seen as a terminal")
	}
	term.SetScope(2, 50)
	sink := term.Sink(nopSink{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go term.Run(ctx)
	sink.Start(ctx, sdk.ScanStart{Start: time.Now()})
	term.Technique("connect", 2, 50)
	out := term.Stdout()
	for i := range uint16(50) {
		term.Port(a1, port(1000+i, []sdk.PortState{sdk.StateOpen, sdk.StateClosed}[i%2]))
		if i%10 == 0 {
			io.WriteString(out, "Nmap scan report for something\n")
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(t, seen, "% done")
	sink.Host(ctx, up(a1))
	sink.End(ctx, sdk.ScanEnd{})
	io.WriteString(out, "scanfw done\n")
	waitFor(t, seen, "scanfw done\n")

	raw := seen.String()
	if !strings.Contains(raw, "\r\x1b[K") {
		t.Errorf("the status line was never erased:\n%q", raw)
	}
	screen := ptytest.Screen([]byte(raw))
	discovered := 0
	for _, l := range screen {
		if strings.Contains(l, "% done") {
			t.Errorf("a status line stayed on the screen: %q", l)
		}
		if strings.HasPrefix(l, "Discovered open port ") {
			discovered++
		}
		if l != "" && !strings.HasPrefix(l, "Discovered open port ") && l != "Nmap scan report for something" && l != "scanfw done" {
			t.Errorf("a mixed or broken line on the screen: %q", l)
		}
	}
	if discovered != 25 {
		t.Errorf("%d Discovered lines on the screen, want 25:\n%s", discovered, strings.Join(screen, "\n"))
	}
}

// TestSilentWhenNotATerminal: with stderr a pipe, no status line at all.
func TestSilentWhenNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := readAll(r)
	term := New(io.Discard, w, Options{Redraw: time.Millisecond})
	if term.IsTerminal() {
		t.Fatal("a pipe is seen as a terminal")
	}
	term.SetScope(1, 10)
	ctx, cancel := context.WithCancel(context.Background())
	go term.Run(ctx)
	term.Technique("connect", 1, 10)
	term.Port(a1, port(1, sdk.StateClosed))
	time.Sleep(50 * time.Millisecond)
	cancel()
	term.Close()
	w.Close()
	time.Sleep(10 * time.Millisecond)
	if s := seen.String(); s != "" {
		t.Errorf("wrote %q to a stderr that is not a terminal", s)
	}
}

func waitFor(t *testing.T, b *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q never appeared on the terminal:\n%q", s, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
