package labtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// openTCP lists the svc host's TCP ports a connect scan sees open.
func openTCP(h *lab.Host) string {
	var out []string
	for _, p := range h.Ports {
		if p.Proto == "tcp" && p.Expect[lab.Connect] == lab.Open {
			out = append(out, fmt.Sprint(p.Port))
		}
	}
	return strings.Join(out, ",")
}

// TestVersionMatchesNmap runs scanfw -sV and nmap -sV over every open TCP
// port of the svc host: with Nmap's data, service (with its tunnel),
// product and version must agree port for port.
func TestVersionMatchesNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"-sT", "-sV", "-n", "-Pn", "-p", openTCP(lab.SVC)}
	addr := lab.SVC.V4.String()
	begin := time.Now()
	ours, err := compare.Scan(ctx, bin, args, addr)
	if err != nil {
		t.Fatal(err)
	}
	oursTook := time.Since(begin)
	begin = time.Now()
	ref, err := compare.Nmap(ctx, args, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanfw %v, nmap %v", oursTook.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
	if d := compare.DiffServices(ours, ref); len(d) > 0 {
		for _, x := range d {
			t.Errorf("scanfw vs nmap: %s", x)
		}
	}
	if n := len(compare.Services(ours)[addr]); n != len(strings.Split(openTCP(lab.SVC), ",")) {
		t.Errorf("scanfw listed %d ports, want every open one", n)
	}
}

// TestVersionOwnData runs scanfw -sV with only the project's probe file:
// every lab daemon must be named, with the product the description gives,
// and the version wherever the daemon tells it (checked against what Nmap,
// with its own data, reads).
func TestVersionOwnData(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"-sT", "-sV", "-n", "-Pn", "-p", openTCP(lab.SVC)}
	addr := lab.SVC.V4.String()
	ours, err := compare.Scan(ctx, bin, append([]string{"--no-nmap-data"}, args...), addr)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := compare.Nmap(ctx, args, addr)
	if err != nil {
		t.Fatal(err)
	}
	got, want := compare.Services(ours)[addr], compare.Services(ref)[addr]
	for _, f := range lab.SVC.Ports {
		if f.Proto != "tcp" || f.Product == "" {
			continue
		}
		k := compare.Key{Proto: "tcp", Port: int(f.Port)}
		s := got[k]
		if s.Method != "probed" || s.Name == "" || s.Name == "unknown" {
			t.Errorf("%s (%s): service %q method %q, want it named by a probe", k, f.Why, s.Label(), s.Method)
		}
		if s.Product != f.Product {
			t.Errorf("%s: product %q, want %q", k, s.Product, f.Product)
		}
		if v := want[k].Version; v != "" && !f.HidesVersion && s.Version != v {
			t.Errorf("%s: version %q, want %q (what nmap reads from the daemon)", k, s.Version, v)
		}
	}
}

// TestVersionHostile runs -sV over the fw host's hostile services: the scan
// must end in time, name every port, and stay small.
func TestVersionHostile(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ports := make([]string, len(lab.FWHostilePorts))
	for i, p := range lab.FWHostilePorts {
		ports[i] = fmt.Sprint(p)
	}
	addr := lab.FW.V4.String()
	if err := lab.Guard(addr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	xmlPath := filepath.Join(t.TempDir(), "out.xml")
	cmd := exec.CommandContext(ctx, bin, "-sT", "-sV", "-n", "-Pn", "-p", strings.Join(ports, ","), "-oX", xmlPath, addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	begin := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("scanfw -sV over hostile services: %v\n%s", err, out.String())
	}
	took := time.Since(begin)
	// Every probe is bounded by its wait; far less than the sum of all
	// probes' waits is the proof that nothing stalls.
	if took > 90*time.Second {
		t.Errorf("took %v", took)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.Logf("took %v, max RSS %d MiB (scanfw and its plugins)", took.Round(time.Millisecond), ru.Maxrss>>10)
	if ru.Maxrss > 400<<10 { // KiB
		t.Errorf("max RSS %d MiB", ru.Maxrss>>10)
	}
	f, err := os.Open(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := compare.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	got := compare.Services(run)[addr]
	for _, p := range lab.FWHostilePorts {
		s, ok := got[compare.Key{Proto: "tcp", Port: int(p)}]
		if !ok || s.Name == "" {
			t.Errorf("%d/tcp: no service reported", p)
			continue
		}
		t.Logf("%d/tcp: %s %q %q method %s", p, s.Label(), s.Product, s.Version, s.Method)
	}
	if s := got[compare.Key{Proto: "tcp", Port: lab.FWHostileReset}]; s.Name != "tcpwrapped" {
		t.Errorf("%d/tcp (accepts and resets): %q, want tcpwrapped", lab.FWHostileReset, s.Name)
	}
}
