package outputtest

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// versionMasks hide, on top of goldenMasks, what differs between two -sV
// runs of two scanners for reasons that are not the service columns:
var versionMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	// Each scanner sends people to its own bug tracker.
	{regexp.MustCompile(`submit the following fingerprint at \S+ :`), "submit the following fingerprint at URL :"},
	{regexp.MustCompile(`Please report any incorrect results at \S+ \.`), "Please report any incorrect results at URL ."},
	// A fingerprint names the scanner's version and platform and the time
	// it was taken.
	{regexp.MustCompile(`:V=[^%]*%`), ":V=VERSION%"},
	{regexp.MustCompile(`%Time=[0-9A-F]+%P=[^%]*%`), "%Time=T%P=PLATFORM%"},
	// memcached reports its uptime, which grows between the two scans.
	{regexp.MustCompile(`uptime \d+ seconds`), "uptime N seconds"},
	// XML: dates, times, the command line and the scanner's version.
	{regexp.MustCompile(`(start|starttime|endtime|time)="\d+"`), `$1="T"`},
	{regexp.MustCompile(`(startstr|timestr)="[^"]*"`), `$1="DATE"`},
	{regexp.MustCompile(`args="[^"]*"`), `args="ARGS"`},
	{regexp.MustCompile(`(<nmaprun scanner="nmap" args="ARGS" start="T" startstr="DATE") version="[^"]*"`), `$1 version="V"`},
	{regexp.MustCompile(`summary="[^"]*"`), `summary="SUMMARY"`},
	{regexp.MustCompile(`elapsed="[\d.]+"`), `elapsed="E"`},
	{regexp.MustCompile(`<times srtt="\d+" rttvar="\d+" to="\d+"/>`), `<times/>`},
	// Nmap names its stylesheet by the path of its own binary
	// (/usr/bin/../share/nmap); scanfw by where Nmap's data is installed.
	{regexp.MustCompile(`<\?xml-stylesheet href="[^"]*"`), `<?xml-stylesheet href="XSL"`},
	{regexp.MustCompile(`<!-- (Nmap|scanfw) .* -->`), "<!-- SCANNER -->"},
}

// unwrapFingerprints joins a normal-output fingerprint (an SF-Port line and
// its SF: continuation lines) into one line: each scanner wraps it at a
// fixed width, so the different version fields before the responses would
// move every later line break.
func unwrapFingerprints(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "SF:") && len(out) > 0 && strings.HasPrefix(out[len(out)-1], "SF-Port") {
			out[len(out)-1] += strings.TrimPrefix(l, "SF:")
			continue
		}
		out = append(out, l)
	}
	return out
}

func versionMasked(t *testing.T, path string) []string {
	lines := unwrapFingerprints(masked(t, path))
	for i, l := range lines {
		for _, m := range versionMasks {
			l = m.re.ReplaceAllString(l, m.with)
		}
		lines[i] = l
	}
	return lines
}

// TestGoldenServiceVersion compares scanfw -sV with nmap -sV over the svc
// host's TCP ports, in the normal, grepable and XML files, line for line:
// the service, product, version and extra-info columns, the CPEs and the
// fingerprint of the service neither recognises must be Nmap's.
func TestGoldenServiceVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("two -sV scans of the svc host")
	}
	bin := compare.BuildScanfw(t)
	addr := lab.SVC.V4.String()
	if err := lab.Guard(addr); err != nil {
		t.Fatal(err)
	}
	// -Pn: Nmap as root learns the MAC by ARP and prints it; masked()
	// drops that line, the rest of the scan is the same.
	args := []string{"-n", "-Pn", "-sT", "-sV", "-p", lab.SVC.PortList("tcp")}
	dir := t.TempDir()
	ours, theirs := filepath.Join(dir, "scanfw"), filepath.Join(dir, "nmap")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, run := range []struct{ bin, base string }{{bin, ours}, {"nmap", theirs}} {
		cmd := exec.CommandContext(ctx, run.bin, append(append(args, "-oA", run.base), addr)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", run.bin, err, out)
		}
	}
	for _, ext := range []string{".nmap", ".gnmap", ".xml"} {
		a, b := versionMasked(t, ours+ext), versionMasked(t, theirs+ext)
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s differs from Nmap's:\n%s", ext, lineDiff(b, a))
		}
	}
}
