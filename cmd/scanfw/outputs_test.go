package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsonLines parses every line of a JSON lines file; a line that is cut or
// not JSON fails the test.
func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, l := range strings.SplitAfter(string(mustRead(t, path)), "\n") {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\n") {
			t.Errorf("%s line %d is not complete: %q", path, i+1, l)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("%s line %d: %v", path, i+1, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

func types(recs []map[string]any) string {
	var ts []string
	for _, r := range recs {
		ts = append(ts, r["type"].(string))
	}
	return strings.Join(ts, ",")
}

// TestInterruptedJSONAndHTML stops a slow scan mid-way, by SIGINT (the
// scan ends its outputs) and by SIGKILL (it cannot), and checks that the
// JSON lines are all complete and the HTML page says what it holds.
func TestInterruptedJSONAndHTML(t *testing.T) {
	if testing.Short() {
		t.Skip("a scan of several seconds")
	}
	cases := []struct {
		name  string
		sig   syscall.Signal
		ended bool
	}{
		{"SIGINT", syscall.SIGINT, true},
		{"SIGKILL", syscall.SIGKILL, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			jsonPath, htmlPath := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "out.html")
			cmd := exec.Command(scanfwBin, "-n", "-sT", "-Pn", "-p", "1-400", "--max-rate", "800", "--max-hostgroup", "1",
				"-oJ", jsonPath, "-oH", htmlPath, "127.0.0.1-6")
			var se bytes.Buffer
			cmd.Stderr = &se
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			deadline := time.Now().Add(30 * time.Second)
			for !bytes.Contains(mustReadMaybe(jsonPath), []byte(`"type":"host"`)) {
				if time.Now().After(deadline) {
					t.Fatalf("no host record after 30s\n%s", se.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(c.sig)
			cmd.Wait()

			recs := jsonLines(t, jsonPath)
			ts := types(recs)
			hosts := strings.Count(ts, "host")
			if !strings.HasPrefix(ts, "start,host") || hosts >= 6 {
				t.Errorf("records %s: want the start and some but not all 6 hosts", ts)
			}
			last := recs[len(recs)-1]
			if c.ended && (last["type"] != "end" || last["exit"] != "error" || last["error"] == "") {
				t.Errorf("last record %v, want an end record with exit error and a message", last)
			}
			if !c.ended && last["type"] == "end" {
				t.Errorf("a killed scan wrote an end record")
			}

			page := string(mustRead(t, htmlPath))
			if n := strings.Count(page, `<tr class="host `); n != hosts {
				t.Errorf("the page holds %d hosts, the JSON %d", n, hosts)
			}
			if c.ended != strings.Contains(page, `<section class="summary">`) || c.ended != strings.Contains(page, "The scan stopped early") {
				t.Errorf("summary present = %v, want %v", !c.ended, c.ended)
			}
		})
	}
}

func mustReadMaybe(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// TestAppendOutputEveryFormat runs the same scan twice with
// --append-output: like Nmap, every file then holds two whole runs one
// after the other (for XML, two complete documents), and when Nmap is
// installed its files hold the same number of each marker as ours.
func TestAppendOutputEveryFormat(t *testing.T) {
	open, closed := loopbackPorts(t, 1, 1)
	ports := joinPorts(open, closed)
	dir := t.TempDir()
	base := filepath.Join(dir, "ours")
	for range 2 {
		r := runScanfw(t, "-sT", "-p", ports, "--append-output", "-oA", base, "-oJ", base+".jsonl", "-oH", base+".html", "127.0.0.1")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	markers := map[string][]string{
		".nmap":  {" scan initiated ", "Nmap scan report for", " done at "},
		".gnmap": {" scan initiated ", "\tPorts: ", " done at "},
		".xml":   {"<?xml version=", "<nmaprun ", "</nmaprun>", "<host "},
	}
	for ext, ms := range markers {
		got := string(mustRead(t, base+ext))
		for _, m := range ms {
			if n := strings.Count(got, m); n != 2 {
				t.Errorf("%s: %d of %q, want 2", ext, n, m)
			}
		}
	}
	if ts := types(jsonLines(t, base+".jsonl")); ts != "start,host,end,start,host,end" {
		t.Errorf("JSON records %s, want two whole runs", ts)
	}
	if n := strings.Count(string(mustRead(t, base+".html")), `<main class="run">`); n != 2 {
		t.Errorf("the HTML holds %d runs, want 2", n)
	}
	// Each XML document on its own is valid, as each of Nmap's is.
	docs := strings.SplitAfter(string(mustRead(t, base+".xml")), "</nmaprun>\n")
	for i, d := range docs[:2] {
		p := filepath.Join(dir, "doc"+string(rune('1'+i))+".xml")
		os.WriteFile(p, []byte(d), 0o644)
		validateXML(t, p)
	}

	if _, err := exec.LookPath("nmap"); err != nil {
		return
	}
	nbase := filepath.Join(dir, "nmap")
	for range 2 {
		if out, err := exec.Command("nmap", "-n", "-sT", "-p", ports, "--append-output", "-oA", nbase, "127.0.0.1").CombinedOutput(); err != nil {
			t.Fatalf("nmap: %v\n%s", err, out)
		}
	}
	for ext, ms := range markers {
		ours, theirs := string(mustRead(t, base+ext)), string(mustRead(t, nbase+ext))
		for _, m := range ms {
			if a, b := strings.Count(ours, m), strings.Count(theirs, m); a != b {
				t.Errorf("%s: %d of %q, Nmap's has %d", ext, a, m, b)
			}
		}
	}
}
