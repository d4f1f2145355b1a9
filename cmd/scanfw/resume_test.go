package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/scanfw/scanfw/lab/compare"
)

// resumeArgs is a scan slow enough to interrupt (about a second a host)
// with every file format, over open and closed loopback ports.
func resumeArgs(dir, ports string) []string {
	base := filepath.Join(dir, "out")
	return []string{"-n", "-Pn", "-sT", "-p", ports + ",1-60", "--scan-delay", "10ms", "--max-hostgroup", "1",
		"-oA", base, "-oJ", base + ".jsonl", "-oH", base + ".html", "127.0.0.1-8"}
}

// TestResumeAfterInterruption stops a scan mid-way by SIGINT and, apart,
// by SIGKILL, checks the files it left, resumes it from its checkpoint,
// and checks every file then holds what an uninterrupted run of the same
// scan holds: the same hosts, ports and states, times aside.
func TestResumeAfterInterruption(t *testing.T) {
	if testing.Short() {
		t.Skip("three scans of several seconds")
	}
	ports := joinPorts(loopbackPorts(t, 2, 2))
	refDir := t.TempDir()
	if r := runScanfw(t, resumeArgs(refDir, ports)...); r.code != 0 {
		t.Fatalf("uninterrupted scan: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(refDir, "out.nmap.resume")); !os.IsNotExist(err) {
		t.Errorf("a completed scan left its checkpoint behind (stat: %v)", err)
	}
	for _, c := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGINT", syscall.SIGINT}, {"SIGKILL", syscall.SIGKILL}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			base := filepath.Join(dir, "out")
			cmd := exec.Command(scanfwBin, resumeArgs(dir, ports)...)
			var se bytes.Buffer
			cmd.Stderr = &se
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			waitHosts(t, base+".xml", 2)
			cmd.Process.Signal(c.sig)
			cmd.Wait()

			ck := base + ".nmap.resume"
			if _, err := os.Stat(ck); err != nil {
				t.Fatalf("no checkpoint after %s: %v\n%s", c.name, err, se.String())
			}
			jsonLines(t, base+".jsonl") // every line complete, whatever the signal
			if c.sig == syscall.SIGINT {
				checkPartialXML(t, base+".xml", 8)
			}

			// --resume alone runs the checkpoint's own command line (with -n).
			if out, err := exec.Command(scanfwBin, "--resume", base+".nmap").CombinedOutput(); err != nil {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			if _, err := os.Stat(ck); !os.IsNotExist(err) {
				t.Errorf("the resumed scan completed but left its checkpoint (stat: %v)", err)
			}
			validateXML(t, base+".xml")
			if d := compare.Diff(parseXML(t, filepath.Join(refDir, "out.xml")), parseXML(t, base+".xml")); len(d) > 0 {
				t.Errorf("resumed XML differs from an uninterrupted scan's:\n%s", compare.Format("uninterrupted", "resumed", d))
			}
			for _, ext := range []string{".xml", ".nmap", ".gnmap", ".jsonl"} {
				want, got := records(t, filepath.Join(refDir, "out"+ext)), records(t, base+ext)
				if !slices.Equal(want, got) {
					t.Errorf("%s: resumed file differs from an uninterrupted scan's\nuninterrupted:\n%s\nresumed:\n%s", ext, strings.Join(want, "\n"), strings.Join(got, "\n"))
				}
			}
			page := string(mustRead(t, base+".html"))
			if n := strings.Count(page, `<tr class="host `); n != 8 || strings.Contains(page, "The scan stopped early") {
				t.Errorf("the resumed HTML report holds %d hosts (want 8) or says the scan stopped early", n)
			}
		})
	}
}

// masks hide what differs between two runs of one scan: times, durations,
// round-trip estimates, and the temporary directory in the command line.
var masks = []*regexp.Regexp{
	regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?Z?`),
	regexp.MustCompile(`(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \w{3} +\d+ \d\d:\d\d:\d\d \d{4}`),
	regexp.MustCompile(`(time|timestr|elapsed|starttime|endtime|srtt|rttvar|to|start|end)="[^"]*"`),
	regexp.MustCompile(`"(start|end|elapsed_s|srtt_us|rttvar_us|timeout_us|args|command_line)":("[^"]*"|[0-9.]+)`),
	regexp.MustCompile(`\(\d+(\.\d+)?s latency\)`),
	regexp.MustCompile(`in \d+(\.\d+)? seconds`),
	regexp.MustCompile(`/tmp/\S+/`),
}

// records cuts a file into records (a host's block, a line) with the
// masks applied and sorts them: hosts finish in a different order when a
// scan is resumed, as they do from run to run.
func records(t *testing.T, path string) []string {
	t.Helper()
	s := string(mustRead(t, path))
	for _, m := range masks {
		s = m.ReplaceAllString(s, "<masked>")
	}
	var recs []string
	switch filepath.Ext(path) {
	case ".xml":
		s = strings.ReplaceAll(s, "<host ", "\x00<host ")
		s = strings.ReplaceAll(s, "</host>", "</host>\x00")
		recs = strings.Split(s, "\x00")
	case ".nmap":
		recs = strings.Split(s, "\n\n")
	default:
		recs = strings.Split(s, "\n")
		for i, r := range recs {
			var m map[string]any
			if json.Unmarshal([]byte(r), &m) == nil {
				b, _ := json.Marshal(m) // keys in one order
				recs[i] = string(b)
			}
		}
	}
	slices.Sort(recs)
	return recs
}

// TestResumeRefusesAnotherScan asks to resume a checkpoint with other
// ports: it is refused before anything is sent, naming the setting.
func TestResumeRefusesAnotherScan(t *testing.T) {
	if testing.Short() {
		t.Skip("a scan interrupted after a second")
	}
	dir := t.TempDir()
	args := resumeArgs(dir, joinPorts(loopbackPorts(t, 2, 2)))
	cmd := exec.Command(scanfwBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHosts(t, filepath.Join(dir, "out.xml"), 1)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	other := slices.Clone(args)
	other[slices.Index(other, "-p")+1] = "1-70"
	r := runScanfw(t, append(other, "--resume", filepath.Join(dir, "out.nmap.resume"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "not the scan of the checkpoint") || !strings.Contains(r.stderr, `ports = "1-70"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant status 2 and a message naming the ports", r.code, r.stderr)
	}
}
