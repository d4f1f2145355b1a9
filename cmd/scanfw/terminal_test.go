package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/progress/ptytest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProgressLineOnATerminal runs a slow scan with stderr on a
// pseudo-terminal and stdout on a pipe: the terminal shows percent done
// while the scan runs and nothing of it stays at the end; stdout gets the
// --stats-every lines and no terminal control bytes.
func TestProgressLineOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("a scan of a few seconds")
	}
	ctl, tty, err := ptytest.Open(120)
	if ptytest.IsPtyUnavailable(err) {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	open, closed := loopbackPorts(t, 2, 30)
	screen := &lockedBuffer{}
	go io.Copy(screen, ctl)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, scanfwBin, "-n", "-sT", "-Pn", "--scan-delay", "60ms", "--stats-every", "500ms",
		"-p", joinPorts(open, closed), "127.0.0.1")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Run(); err != nil {
		t.Fatalf("scanfw: %v\nstdout:\n%s\nterminal:\n%q", err, stdout.String(), screen.String())
	}
	tty.Close()
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(screen.String(), "\r\x1b[K") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	raw := screen.String()
	if !strings.Contains(raw, "connect scan") || !strings.Contains(raw, "% done") {
		t.Errorf("no progress line on the terminal:\n%q", raw)
	}
	for _, l := range ptytest.Screen([]byte(raw)) {
		if strings.Contains(l, "% done") {
			t.Errorf("the progress line stayed on the screen: %q", l)
		}
	}
	out := stdout.String()
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\r") {
		t.Errorf("terminal control bytes on stdout:\n%q", out)
	}
	if !strings.Contains(out, "Stats: ") || !strings.Contains(out, "Connect Scan Timing: About ") {
		t.Errorf("no --stats-every lines on stdout:\n%s", out)
	}
	if !strings.Contains(out, "Nmap scan report for 127.0.0.1") {
		t.Errorf("no host report on stdout:\n%s", out)
	}
}

// TestVerboseDiscoveredPorts: -v announces each open port on stdout as it
// is found, before the host's report; with XML on stdout it does not, and
// with stderr not a terminal no progress line is written at all.
func TestVerboseDiscoveredPorts(t *testing.T) {
	open, closed := loopbackPorts(t, 3, 3)
	ports := joinPorts(open, closed)
	cases := []struct {
		name       string
		args       []string
		discovered bool
	}{
		{"-v, normal output on stdout", []string{"-v"}, true},
		{"-vv and a file output", []string{"-vv", "-oN", "/dev/null"}, true},
		{"not verbose", nil, false},
		{"-v with XML on stdout", []string{"-v", "-oX", "-"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runScanfw(t, append(append([]string{"-sT", "-p", ports}, c.args...), "127.0.0.1")...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			report := strings.Index(r.stdout, "Nmap scan report for")
			for _, p := range open {
				line := fmt.Sprintf("Discovered open port %d/tcp on 127.0.0.1\n", p)
				at := strings.Index(r.stdout, line)
				if (at >= 0) != c.discovered {
					t.Errorf("%q on stdout: %v, want %v\n%s", line, at >= 0, c.discovered, r.stdout)
				}
				if at >= 0 && report >= 0 && at > report {
					t.Errorf("%q after the host report", line)
				}
			}
			for _, p := range closed {
				if strings.Contains(r.stdout, fmt.Sprintf("Discovered open port %d/", p)) {
					t.Errorf("closed port %d announced as open", p)
				}
			}
			if strings.Contains(r.stderr, "% done") || strings.Contains(r.stderr, "\x1b") {
				t.Errorf("progress on a stderr that is not a terminal:\n%q", r.stderr)
			}
		})
	}
}
