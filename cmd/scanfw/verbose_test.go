package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// terminalShape keeps the lines of -v/-d output that scanfw promises to
// print as Nmap does, with times, latencies and the data directory (Nmap
// names it relative to its binary) masked. Nmap's other debug lines
// ("Overall sending rates", "Packet capture filter") and the scanner's own
// header and summary lines are left out.
func terminalShape(out string) []string {
	keep := regexp.MustCompile(`^(-{15} Timing report|  hostgroups:|  rtt-timeouts:|  max-scan-delay:|  parallelism:|  max-retries:|  min-rate:|-{45}$|` +
		`Initiating |Scanning |Discovered open port|Completed |Host is up|Scanned at |PORT |\d+/tcp |Final times for host|Read data files from|Read from |\s+Raw packets sent:)`)
	masks := []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(` at \d\d:\d\d`), " at HH:MM"},
		{regexp.MustCompile(`\d+\.\d+s elapsed`), "Ts elapsed"},
		{regexp.MustCompile(`\(\d+(\.\d+)?s latency\)`), "(L latency)"},
		{regexp.MustCompile(`Scanned at .* for \d+s`), "Scanned at DATE for Ns"},
		{regexp.MustCompile(`srtt: \d+ rttvar: \d+  to: \d+`), "srtt: S rttvar: V  to: T"},
		{regexp.MustCompile(`^Read data files from: .*`), "Read data files from: DIR"},
		{regexp.MustCompile(`^Read from [^:]*:`), "Read from DIR:"},
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if !keep.MatchString(l) {
			continue
		}
		for _, m := range masks {
			l = m.re.ReplaceAllString(l, m.with)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestVerboseDebugLinesMatchNmap runs the same -sT scan of loopback ports
// with scanfw and Nmap at -v, at -vv -d and at -d alone (which raises
// verbosity too): the timing report, the Initiating/Scanning/Completed
// lines, the discovered ports, the reason column, the per-host lines and
// the data-files note must read the same, in the same order, on standard
// output and in the -oN file.
func TestVerboseDebugLinesMatchNmap(t *testing.T) {
	nmap := needTool(t, "nmap")
	open, closed := loopbackPorts(t, 2, 2)
	for _, tc := range []struct {
		levels   []string
		minLines int // how many lines nmap prints that the comparison keeps, at least
	}{{[]string{"-v"}, 8}, {[]string{"-vv", "-d"}, 16}, {[]string{"-d"}, 16}} {
		t.Run(strings.Join(tc.levels, " "), func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-n", "-sT", "-r", "-p", joinPorts(open, closed), "127.0.0.1"}, tc.levels...)
			r := runScanfw(t, append(args, "-oN", filepath.Join(dir, "scanfw.nmap"))...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			ref, err := exec.Command(nmap, append(args, "-oN", filepath.Join(dir, "nmap.nmap"))...).Output()
			if err != nil {
				t.Fatalf("nmap: %v", err)
			}
			sameShape(t, "stdout", r.stdout, string(ref), tc.minLines)
			ourFile, err := os.ReadFile(filepath.Join(dir, "scanfw.nmap"))
			if err != nil {
				t.Fatal(err)
			}
			refFile, err := os.ReadFile(filepath.Join(dir, "nmap.nmap"))
			if err != nil {
				t.Fatal(err)
			}
			sameShape(t, "-oN file", string(ourFile), string(refFile), tc.minLines-4)
		})
	}
}

// sameShape compares the terminalShape of two outputs.
func sameShape(t *testing.T, what, ours, ref string, minLines int) {
	t.Helper()
	got, want := terminalShape(ours), terminalShape(ref)
	// Open ports are discovered in the order their answers arrive; Nmap's
	// and ours may differ there, so compare those lines as a set.
	sortDiscovered(got)
	sortDiscovered(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: scanfw:\n%s\n\nnmap:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < minLines {
		t.Errorf("%s: nmap printed %d lines the comparison keeps, want at least %d; it compares too little:\n%s", what, len(want), minLines, ref)
	}
}

func sortDiscovered(lines []string) {
	var idx []int
	var vals []string
	for i, l := range lines {
		if strings.HasPrefix(l, "Discovered open port") {
			idx = append(idx, i)
			vals = append(vals, l)
		}
	}
	sort.Strings(vals)
	for k, i := range idx {
		lines[i] = vals[k]
	}
}

// TestRawPacketCountsMatchNmap: a -v SYN scan of loopback closes with
// Nmap's raw packet counts. Nothing is lost on lo, so both send one probe a
// port; both receive each probe's incoming copy and its answer, plus, if it
// comes in time, the kernel's reset of each open port's SYN/ACK (a race on
// both sides, so the received count may differ by those).
func TestRawPacketCountsMatchNmap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a SYN scan needs root")
	}
	nmap := needTool(t, "nmap")
	open, closed := loopbackPorts(t, 1, 2)
	args := []string{"-n", "-sS", "-v", "-p", joinPorts(open, closed), "127.0.0.1"}
	r := runScanfw(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	ref, err := exec.Command(nmap, args...).Output()
	if err != nil {
		t.Fatalf("nmap: %v", err)
	}
	counts := regexp.MustCompile(`(?m)^ {11}Raw packets sent: (\d+) \((\d+)B\) \| Rcvd: (\d+) \(\d+B\)$`)
	got, want := counts.FindStringSubmatch(r.stdout), counts.FindStringSubmatch(string(ref))
	if got == nil || want == nil {
		t.Fatalf("no counts line:\nscanfw:\n%s\nnmap:\n%s", r.stdout, ref)
	}
	if got[1] != want[1] || got[2] != want[2] {
		t.Errorf("sent %s packets (%s B), nmap %s (%s B)", got[1], got[2], want[1], want[2])
	}
	ports := len(open) + len(closed)
	for _, c := range []struct{ who, rcvd string }{{"scanfw", got[3]}, {"nmap", want[3]}} {
		n, _ := strconv.Atoi(c.rcvd)
		if n < 2*ports || n > 2*ports+len(open) {
			t.Errorf("%s received %d packets, want %d to %d", c.who, n, 2*ports, 2*ports+len(open))
		}
	}
}
