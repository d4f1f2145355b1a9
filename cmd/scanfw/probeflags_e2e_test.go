package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab/compare"
)

// needRoot skips a test of a raw scan when not root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a raw scan needs root")
	}
}

// bothScan runs scanfw and nmap with the same arguments against 127.0.0.1
// and returns both runs, scanfw's exit checked.
func bothScan(t *testing.T, args ...string) (ours, ref *compare.Run) {
	t.Helper()
	dir := t.TempDir()
	o, n := filepath.Join(dir, "ours.xml"), filepath.Join(dir, "nmap.xml")
	r := runScanfw(t, append(append([]string{"-n"}, args...), "-oX", o, "127.0.0.1")...)
	if r.code != 0 {
		t.Fatalf("scanfw %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
	}
	nmap := needTool(t, "nmap")
	if out, err := exec.Command(nmap, append(append([]string{"-n"}, args...), "-oX", n, "127.0.0.1")...).CombinedOutput(); err != nil {
		t.Fatalf("nmap %v: %v\n%s", args, err, out)
	}
	return parseXML(t, o), parseXML(t, n)
}

// TestScanflagsLoopbackMatchesNmap: --scanflags alone (a SYN scan's table
// with other flags) and on an ACK and a FIN base agree with nmap on open
// and closed loopback ports.
func TestScanflagsLoopbackMatchesNmap(t *testing.T) {
	needRoot(t)
	open, closed := loopbackPorts(t, 2, 2)
	ports := joinPorts(open, closed)
	for _, flags := range [][]string{
		{"--scanflags", "SYNFIN"},
		{"--scanflags", "SYN"},
		{"-sA", "--scanflags", "ACKPSH"},
		{"-sF", "--scanflags", "FINURG"},
		{"-sF", "--scanflags", "SYN"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			ours, ref := bothScan(t, append([]string{"-p", ports, "--max-retries", "1"}, flags...)...)
			if d := compare.Diff(ours, ref); len(d) > 0 {
				t.Errorf("%s", compare.Format("scanfw", "nmap", d))
			}
		})
	}
}

// TestScanflagsNeedsARawTCPScan: --scanflags with only a UDP scan is
// refused with a message that names the scans it applies to.
func TestScanflagsNeedsARawTCPScan(t *testing.T) {
	r := runScanfw(t, "-sU", "--scanflags", "SYN", "-p", "53", "127.0.0.1")
	if r.code != 2 || !strings.Contains(r.stderr, "--scanflags") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDefeatICMPRatelimit: with -sU the flag is taken (a closed loopback
// port stays closed: its ICMP answer still counts); without -sU it is
// ignored, as Nmap does, and the scan is the same as without it.
func TestDefeatICMPRatelimit(t *testing.T) {
	needRoot(t)
	_, closed := loopbackPorts(t, 0, 1)
	p := joinPorts(closed)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"with -sU", []string{"-sU", "--defeat-icmp-ratelimit", "-p", p}, p + "/udp closed"},
		{"ignored with -sS", []string{"-sS", "--defeat-icmp-ratelimit", "-p", p}, p + "/tcp closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runScanfw(t, append(tc.args, "127.0.0.1")...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), tc.want) {
				t.Errorf("want %q in\n%s", tc.want, r.stdout)
			}
		})
	}
}

// TestNoNmapDataUDPPayload listens on a loopback port for which Nmap's
// nmap-payloads has a payload and the project's own data has none (177,
// XDMCP): without --no-nmap-data the probe carries Nmap's payload, with it
// the datagram is empty, so nmap-payloads was not used.
func TestNoNmapDataUDPPayload(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/share/nmap/nmap-payloads"); err != nil {
		t.Skip("no installed nmap-payloads")
	}
	const port = 177
	for _, tc := range []struct {
		name  string
		flags []string
		empty bool
	}{
		{"nmap data", nil, false},
		{"no nmap data", []string{"--no-nmap-data"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				t.Skipf("port %d: %v", port, err)
			}
			defer c.Close()
			args := append([]string{"-sU", "-p", strconv.Itoa(port), "--max-retries", "0", "127.0.0.1"}, tc.flags...)
			if r := runScanfw(t, args...); r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if err := c.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1500)
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("no probe arrived: %v", err)
			}
			if (n == 0) != tc.empty {
				t.Errorf("probe of %d bytes, want empty=%v", n, tc.empty)
			}
		})
	}
}

// TestIPProtoLoopbackMatchesNmap: -sO of ICMP, TCP and UDP on 127.0.0.1
// agrees with nmap -sO, states and reasons (our own probes arrive on lo
// too and must not count as answers; protocol 1's reason is a race, see
// compare.DiffReasons).
func TestIPProtoLoopbackMatchesNmap(t *testing.T) {
	needRoot(t)
	ours, ref := bothScan(t, "-sO", "-p", "1,6,17,47", "--reason")
	if d := compare.Diff(ours, ref); len(d) > 0 {
		t.Errorf("%s", compare.Format("scanfw", "nmap", d))
	}
	got, err := ours.PortStates(&ours.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[int]string{1: "open", 6: "open", 17: "open", 47: "closed"} {
		if s := got[compare.Key{Proto: "ip", Port: p}]; s != want {
			t.Errorf("protocol %d: %q, want %q", p, s, want)
		}
	}
	d, err := compare.DiffReasons(ours, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range d {
		t.Errorf("reason (scanfw vs nmap) %s", l)
	}
}
