package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/lab/compare"
)

// These tests run the real scanfw binary, with its plugins as real
// subprocesses, against listeners on loopback that the tests open
// themselves. Nothing leaves 127.0.0.0/8.

var scanfwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scanfw-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scanfwBin = filepath.Join(dir, "scanfw")
	out, err := exec.Command("go", "build", "-o", scanfwBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build scanfw: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// runScanfw runs the binary with args; a scan gets -n unless args say how to
// find names (compare.NoSystemDNS), so no test queries the machine's
// resolvers.
func runScanfw(t *testing.T, args ...string) result {
	t.Helper()
	if len(args) == 0 || args[0] != "plugin" {
		safe, err := compare.NoSystemDNS(args)
		if err != nil {
			t.Fatal(err)
		}
		args = safe
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, scanfwBin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run scanfw: %v", err)
	}
	return result{code, so.String(), se.String()}
}

// loopbackPorts opens n listeners and finds m closed ports on 127.0.0.1.
func loopbackPorts(t *testing.T, n, m int) (open, closed []int) {
	t.Helper()
	for range n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		open = append(open, l.Addr().(*net.TCPAddr).Port)
	}
	for range m {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed = append(closed, l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	return open, closed
}

func joinPorts(ps ...[]int) string {
	var s []string
	for _, list := range ps {
		for _, p := range list {
			s = append(s, strconv.Itoa(p))
		}
	}
	return strings.Join(s, ",")
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI must install it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func validateXML(t *testing.T, path string) {
	t.Helper()
	xmllint := needTool(t, "xmllint")
	out, err := exec.Command(xmllint, "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", path).CombinedOutput()
	if err != nil {
		t.Errorf("%s is not valid against Nmap's DTD: %v\n%s", path, err, out)
	}
}

func parseXML(t *testing.T, path string) *compare.Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := compare.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConnectScanLoopback(t *testing.T) {
	open, closed := loopbackPorts(t, 3, 3)
	dir := t.TempDir()
	base := filepath.Join(dir, "out")
	ports := joinPorts(open, closed)
	r := runScanfw(t, "-sT", "-n", "-p", ports, "-oA", base, "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range open {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^%d/tcp\s+open\s`, p)).MatchString(r.stdout) {
			t.Errorf("stdout does not show %d/tcp open:\n%s", p, r.stdout)
		}
	}
	for _, p := range closed {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^%d/tcp\s+closed\s`, p)).MatchString(r.stdout) {
			t.Errorf("stdout does not show %d/tcp closed:\n%s", p, r.stdout)
		}
	}
	for _, want := range []string{"PORT ", "STATE", "SERVICE", "scan report for", "(1 host up)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, ext := range []string{".nmap", ".xml", ".gnmap"} {
		if fi, err := os.Stat(base + ext); err != nil || fi.Size() == 0 {
			t.Errorf("-oA did not write %s: %v", base+ext, err)
		}
	}
	validateXML(t, base+".xml")

	// Nmap's own scan of the same ports must agree port for port.
	nmap := needTool(t, "nmap")
	nx := filepath.Join(dir, "nmap.xml")
	if out, err := exec.Command(nmap, "-sT", "-Pn", "-n", "-p", ports, "-oX", nx, "127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if d := compare.Diff(parseXML(t, base+".xml"), parseXML(t, nx)); len(d) > 0 {
		t.Errorf("%s", compare.Format("scanfw", "nmap", d))
	}
	if ndiff, err := exec.LookPath("ndiff"); err == nil {
		out, _ := exec.Command(ndiff, nx, base+".xml").CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "-") || strings.HasPrefix(line, "+") {
				if strings.Contains(line, "/tcp") {
					t.Errorf("ndiff sees a port difference: %s\n%s", line, out)
				}
			}
		}
	}
}

func TestBadInputExitsTwoWithAClearMessage(t *testing.T) {
	dir := t.TempDir()
	badProfile := filepath.Join(dir, "bad.hcl")
	os.WriteFile(badProfile, []byte("targets = [\"127.0.0.1\"]\ntiming {\n  template = 9\n}\n"), 0o644)
	unknownPlugin := filepath.Join(dir, "unknown.hcl")
	os.WriteFile(unknownPlugin, []byte("targets = [\"127.0.0.1\"]\noutput \"output.nosuch\" {\n  path = \"x\"\n}\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"--frobnicate", "127.0.0.1"}, []string{"--frobnicate"}},
		{"bad target", []string{"-sT", "-p", "80", "127.0.0.300"}, []string{"127.0.0.300"}},
		{"bad ports", []string{"-sT", "-p", "22,5-3", "127.0.0.1"}, []string{"5-3"}},
		{"no targets", []string{"-sT", "-p", "80"}, []string{"no targets"}},
		{"profile error", []string{"--profile", badProfile}, []string{"bad.hcl:3:", "template = 9"}},
		{"missing plugin", []string{"--profile", unknownPlugin}, []string{"output.nosuch", "not available"}},
		{"not built yet", []string{"-sT", "--unprivileged", "-PO", "-p", "80", "127.0.0.1"}, []string{"SCTP and IP protocol pings (-PY/-PO) without privileges is not supported yet"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runScanfw(t, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\nstderr:\n%s", r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("panicked:\n%s", r.stderr)
			}
		})
	}
}

func TestPrintProfileRoundTrip(t *testing.T) {
	open, closed := loopbackPorts(t, 1, 1)
	ports := joinPorts(open, closed)
	r := runScanfw(t, "-sT", "-p", ports, "-T4", "--max-retries", "1", "127.0.0.1", "--print-profile")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"probe \"probe.tcp_connect\"", "template", "127.0.0.1", strconv.Itoa(open[0])} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("profile lacks %q:\n%s", want, r.stdout)
		}
	}
	prof := filepath.Join(t.TempDir(), "p.hcl")
	os.WriteFile(prof, []byte(r.stdout), 0o644)
	again := runScanfw(t, "--profile", prof, "--print-profile")
	if again.code != 0 || again.stdout != r.stdout {
		t.Errorf("printing the printed profile changed it:\n%s\nvs\n%s\n%s", r.stdout, again.stdout, again.stderr)
	}
	scan := runScanfw(t, "--profile", prof)
	if scan.code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^%d/tcp\s+open`, open[0])).MatchString(scan.stdout) {
		t.Errorf("scan from the printed profile: exit %d\n%s\n%s", scan.code, scan.stdout, scan.stderr)
	}
}

// TestExternalPluginPinnedBySHA256 builds a plugin the way a third party
// would (its own main package using only sdk), loads it by path with its
// sha256, and checks that one changed byte makes scanfw refuse it.
func TestExternalPluginPinnedBySHA256(t *testing.T) {
	dir := t.TempDir()
	plug := filepath.Join(dir, "scanfw-plugin-output.lines")
	if out, err := exec.Command("go", "build", "-o", plug, "./testdata/extplugin").CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	sum, err := pluginhost.FileSHA256(plug)
	if err != nil {
		t.Fatal(err)
	}
	open, _ := loopbackPorts(t, 1, 0)
	lines := filepath.Join(dir, "hosts.txt")
	prof := filepath.Join(dir, "p.hcl")
	write := func(sha string) {
		os.WriteFile(prof, []byte(fmt.Sprintf(`targets = ["127.0.0.1"]
ports   = "%d"
probe "probe.tcp_connect" {}
plugin "output.lines" {
  source = %q
  sha256 = %q
}
output "output.lines" {
  path   = %q
  prefix = "> "
}
`, open[0], plug, sha, lines)), 0o644)
	}
	write(sum)
	r := runScanfw(t, "--profile", prof, "-d")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// The plugin's own log line reaches the core's log under its name.
	if !regexp.MustCompile(`\[INFO\] +scanfw\.output\.lines.*: starting`).MatchString(r.stderr) {
		t.Errorf("the plugin's log line is not in the core's log:\n%s", r.stderr)
	}
	got, _ := os.ReadFile(lines)
	want := fmt.Sprintf("> 127.0.0.1 up %d/tcp\n> end success 1/1\n", open[0])
	if string(got) != want {
		t.Errorf("plugin wrote %q, want %q", got, want)
	}

	// A setting of the wrong type is caught against the plugin's schema, with its position.
	os.WriteFile(prof, bytes.Replace(mustRead(t, prof), []byte(`prefix = "> "`), []byte(`prefix = ["a"]`), 1), 0o644)
	if r := runScanfw(t, "--profile", prof); r.code != 2 || !strings.Contains(r.stderr, "p.hcl:10") {
		t.Errorf("mistyped setting: exit %d\n%s", r.code, r.stderr)
	}

	// One byte changed: refused before it runs.
	write(sum)
	b := mustRead(t, plug)
	b[len(b)/3] ^= 0x01
	os.WriteFile(plug, b, 0o755)
	os.Remove(lines)
	r = runScanfw(t, "--profile", prof)
	if r.code != 2 || !strings.Contains(r.stderr, "sha256 mismatch") {
		t.Errorf("changed plugin: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(lines); err == nil {
		t.Errorf("the changed plugin ran and wrote %s", lines)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPluginList(t *testing.T) {
	r := runScanfw(t, "plugin", "list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, id := range []string{"probe.tcp_connect", "output.normal", "output.xml", "output.grepable"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+\w+\s+\S+\s+builtin\s+[0-9a-f]{64}$`).MatchString(r.stdout) {
			t.Errorf("plugin list lacks a full row for %s:\n%s", id, r.stdout)
		}
	}
}

// slowScan starts a scan of several loopback hosts that takes seconds
// (rate-limited), returning the command and the XML path.
func slowScan(t *testing.T, dir string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	xmlPath := filepath.Join(dir, "out.xml")
	cmd := exec.Command(scanfwBin, "-sT", "-Pn", "-p", "1-400", "--max-rate", "800", "--max-hostgroup", "1", "-n",
		"-oX", xmlPath, "127.0.0.1-6")
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, xmlPath, &se
}

// waitHosts waits until the XML file holds at least n finished hosts.
func waitHosts(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("</host>")) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %d finished hosts in %s after 30s", n, path)
}

func checkPartialXML(t *testing.T, path string, total int) {
	t.Helper()
	validateXML(t, path)
	b := mustRead(t, path)
	var doc struct {
		Hosts    []struct{} `xml:"host"`
		RunStats struct {
			Finished struct {
				Exit     string `xml:"exit,attr"`
				ErrorMsg string `xml:"errormsg,attr"`
			} `xml:"finished"`
		} `xml:"runstats"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("partial XML is not well-formed: %v", err)
	}
	if len(doc.Hosts) == 0 || len(doc.Hosts) >= total {
		t.Errorf("partial XML holds %d hosts, want some but not all %d", len(doc.Hosts), total)
	}
	if doc.RunStats.Finished.Exit != "error" || doc.RunStats.Finished.ErrorMsg == "" {
		t.Errorf("runstats finished = %+v, want exit=error with a message", doc.RunStats.Finished)
	}
}

func TestPluginKilledMidScan(t *testing.T) {
	dir := t.TempDir()
	cmd, xmlPath, stderr := slowScan(t, dir)
	waitHosts(t, xmlPath, 1)
	pid := childWithArg(t, cmd.Process.Pid, "probe.tcp_connect")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("plugin probe.tcp_connect (pid %d) exited unexpectedly", pid)) {
		t.Errorf("stderr does not name the dead plugin:\n%s", stderr)
	}
	checkPartialXML(t, xmlPath, 6)
}

func TestInterruptLeavesValidFiles(t *testing.T) {
	dir := t.TempDir()
	cmd, xmlPath, stderr := slowScan(t, dir)
	waitHosts(t, xmlPath, 1)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", stderr)
	}
	checkPartialXML(t, xmlPath, 6)
}

// childWithArg finds the child process of pid whose command line contains arg.
func childWithArg(t *testing.T, pid int, arg string) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			cpid, _ := strconv.Atoi(c)
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cpid))
			if bytes.Contains(cmdline, []byte(arg)) {
				return cpid
			}
		}
	}
	t.Fatalf("no child of %d runs %s", pid, arg)
	return 0
}

// TestPluginsExitWithAKilledCore: a core killed with SIGKILL cannot stop its
// plugins; they notice they were orphaned and exit on their own.
func TestPluginsExitWithAKilledCore(t *testing.T) {
	dir := t.TempDir()
	cmd, xmlPath, _ := slowScan(t, dir)
	waitHosts(t, xmlPath, 1)
	pid := childWithArg(t, cmd.Process.Pid, "probe.tcp_connect")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// Signal 0 checks that the process exists; a reaped orphan does not.
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			return // exited, waiting to be reaped by init
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("plugin pid %d still runs 10 s after its core was killed", pid)
}
