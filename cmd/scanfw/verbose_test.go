package main

import (
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// terminalShape keeps the lines of -vv -d output that scanfw promises to
// print as Nmap does, with times and latencies masked. Nmap's other debug
// lines ("Overall sending rates", "Read from ...") and the scanner's own
// header and summary lines are left out.
func terminalShape(out string) []string {
	keep := regexp.MustCompile(`^(-{15} Timing report|  hostgroups:|  rtt-timeouts:|  max-scan-delay:|  parallelism:|  max-retries:|  min-rate:|-{45}$|` +
		`Initiating |Scanning |Discovered open port|Completed |Host is up|Scanned at |PORT |\d+/tcp |Final times for host)`)
	masks := []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(` at \d\d:\d\d`), " at HH:MM"},
		{regexp.MustCompile(`\d+\.\d+s elapsed`), "Ts elapsed"},
		{regexp.MustCompile(`\(\d+(\.\d+)?s latency\)`), "(L latency)"},
		{regexp.MustCompile(`Scanned at .* for \d+s`), "Scanned at DATE for Ns"},
		{regexp.MustCompile(`srtt: \d+ rttvar: \d+  to: \d+`), "srtt: S rttvar: V  to: T"},
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
// with scanfw and Nmap at -vv -d and at -d alone (which raises verbosity
// too): the timing report, the Initiating/Scanning/Completed lines, the
// discovered ports, the reason column and the per-host lines must read the
// same, in the same order.
func TestVerboseDebugLinesMatchNmap(t *testing.T) {
	nmap := needTool(t, "nmap")
	open, closed := loopbackPorts(t, 2, 2)
	for _, levels := range [][]string{{"-vv", "-d"}, {"-d"}} {
		t.Run(strings.Join(levels, " "), func(t *testing.T) {
			args := append([]string{"-n", "-sT", "-r", "-p", joinPorts(open, closed), "127.0.0.1"}, levels...)
			r := runScanfw(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			ref, err := exec.Command(nmap, args...).Output()
			if err != nil {
				t.Fatalf("nmap: %v", err)
			}
			got, want := terminalShape(r.stdout), terminalShape(string(ref))
			// Open ports are discovered in the order their answers arrive;
			// Nmap's and ours may differ there, so compare those lines as a set.
			sortDiscovered(got)
			sortDiscovered(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("scanfw:\n%s\n\nnmap:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(want) < 15 {
				t.Errorf("nmap printed fewer lines than expected; the test compares too little:\n%s", ref)
			}
		})
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
