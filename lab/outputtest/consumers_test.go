// Package outputtest checks, on the lab, that what reads Nmap's files reads
// ours the same way (xsltproc with nmap.xsl, ndiff, python3-libnmap,
// python3-nmap) and that our normal and grepable files equal Nmap's of the
// same scan line for line once times, versions and the scanner's name are
// masked. It needs root and the lab (lab.Main).
package outputtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.SVC, lab.FW)) }

// scans runs the same -sT scan of the svc and fw hosts with scanfw and
// with Nmap, every format, and returns the two -oA bases.
func scans(t *testing.T, scanType string, extra ...string) (ours, theirs string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scanfw")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scanfw")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build scanfw: %v\n%s", err, out)
	}
	var targets []string
	ports := map[string]bool{}
	for _, h := range []*lab.Host{lab.SVC, lab.FW} {
		for _, a := range h.Addrs() {
			if a.Is4() {
				targets = append(targets, a.String())
				break
			}
		}
		for _, p := range strings.Split(h.PortList("tcp"), ",") {
			ports[p] = true
		}
	}
	var list []string
	for p := range ports {
		list = append(list, p)
	}
	args := append([]string{"-n", scanType, "-p", strings.Join(list, ",")}, extra...)
	dir := t.TempDir()
	ours, theirs = filepath.Join(dir, "scanfw"), filepath.Join(dir, "nmap")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, run := range []struct{ bin, base string }{{bin, ours}, {"nmap", theirs}} {
		cmd := exec.CommandContext(ctx, run.bin, append(append(args, "-oA", run.base), targets...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", run.bin, err, out)
		}
	}
	return ours, theirs
}

func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/run must install it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func TestConsumersReadOursAsNmaps(t *testing.T) {
	ours, theirs := scans(t, "-sT", "--unprivileged")

	t.Run("xsltproc nmap.xsl", func(t *testing.T) {
		xsltproc := need(t, "xsltproc")
		html := ours + ".html"
		out, err := exec.Command(xsltproc, "-o", html, "/usr/share/nmap/nmap.xsl", ours+".xml").CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Fatalf("xsltproc: %v\n%s", err, out)
		}
		page := string(mustRead(t, html))
		for _, want := range []string{"<html", "open", lab.SVC.Addrs()[0].String()} {
			if !strings.Contains(page, want) {
				t.Errorf("the rendered page lacks %q", want)
			}
		}
	})

	t.Run("ndiff", func(t *testing.T) {
		ndiff := need(t, "ndiff")
		out, _ := exec.Command(ndiff, theirs+".xml", ours+".xml").CombinedOutput()
		// Only the header line (scanner, version, time, command) may differ.
		var diffs []string
		for _, l := range strings.Split(string(out), "\n") {
			if l == "" || strings.HasPrefix(l, "-Nmap ") || strings.HasPrefix(l, "+Nmap ") {
				continue
			}
			diffs = append(diffs, l)
		}
		if len(diffs) > 0 {
			t.Errorf("ndiff finds differences in hosts or ports:\n%s", out)
		}
	})

	t.Run("python3-libnmap and python3-nmap", func(t *testing.T) {
		py := "/usr/bin/python3" // Debian's, where the packages are
		if err := exec.Command(py, "-c", "import libnmap.parser, nmap").Run(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("python3-libnmap or python3-nmap is not installed (.ci/run must install them): %v", err)
			}
			t.Skipf("python3-libnmap or python3-nmap is not installed: %v", err)
		}
		read := func(path string) string {
			out, err := exec.Command(py, "testdata/consumers.py", path).CombinedOutput()
			if err != nil {
				t.Fatalf("consumers.py %s: %v\n%s", path, err, out)
			}
			return string(out)
		}
		a, b := read(ours+".xml"), read(theirs+".xml")
		if !strings.Contains(a, "port ") {
			t.Fatalf("the readers found no ports in our file:\n%s", a)
		}
		if a != b {
			t.Errorf("the readers see our file differently from Nmap's\nours:\n%s\nNmap's:\n%s", a, b)
		}
	})
}

// goldenMasks hide what legitimately differs between two runs and two
// scanners: the scanner's name and version, dates, elapsed times,
// latencies and the command line.
var goldenMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(Nmap|scanfw) \S+ scan initiated .* as: .*`), "SCANNER scan initiated DATE as: ARGS"},
	{regexp.MustCompile(`(Nmap|scanfw) done at .* -- `), "SCANNER done at DATE -- "},
	{regexp.MustCompile(`(Nmap|scanfw) done: `), "SCANNER done: "},
	{regexp.MustCompile(`Starting (Nmap|scanfw) .*`), "Starting SCANNER"},
	{regexp.MustCompile(`(Nmap|scanfw) scan report for`), "SCANNER scan report for"},
	{regexp.MustCompile(`in \d+\.\d+ seconds`), "in T seconds"},
	{regexp.MustCompile(`\(\d+(\.\d+)?s latency\)`), "(L latency)"},
}

func masked(t *testing.T, path string) []string {
	s := string(mustRead(t, path))
	// Nmap as root prints the lab hosts' MAC addresses (learnt by ARP even
	// with -Pn); scanfw reports MACs once raw discovery lands.
	s = regexp.MustCompile(`(?m)^MAC Address: .*\n`).ReplaceAllString(s, "")
	// Nmap's connect scan writes socket errors it did not expect into the
	// normal output ("Strange read error from 198.18.2.2 (104 - 'Connection
	// reset by peer')", from the fw host's port that accepts and resets);
	// whether one appears depends on timing, not on the scan's result.
	s = regexp.MustCompile(`(?m)^Strange (read|write) error from .*\n`).ReplaceAllString(s, "")
	for _, m := range goldenMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return strings.Split(s, "\n")
}

// TestGoldenNormalAndGrepable compares our -oN and -oG files with Nmap's
// of the same lab scan line for line.
func TestGoldenNormalAndGrepable(t *testing.T) {
	// --unprivileged: Nmap as root finds lab hosts by ARP and prints their
	// MAC addresses, which comes to scanfw with raw discovery; unprivileged,
	// both discover by connect().
	cases := []struct {
		name string
		args []string
		root bool
	}{
		{"connect", []string{"-sT", "--unprivileged"}, false},
		{"connect with reasons", []string{"-sT", "--unprivileged", "--reason"}, false},
		{"SYN", []string{"-sS", "-Pn"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.root && os.Geteuid() != 0 {
				t.Skip("a SYN scan needs root")
			}
			ours, theirs := scans(t, c.args[0], c.args[1:]...)
			for _, ext := range []string{".nmap", ".gnmap"} {
				a, b := masked(t, ours+ext), masked(t, theirs+ext)
				if strings.Join(a, "\n") != strings.Join(b, "\n") {
					t.Errorf("%s differs from Nmap's:\n%s", ext, lineDiff(b, a))
				}
			}
		})
	}
}

func lineDiff(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			b.WriteString("  nmap:   " + w + "\n  scanfw: " + g + "\n")
		}
	}
	return b.String()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
