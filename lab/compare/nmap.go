package compare

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/scanfw/scanfw/lab"
)

// NmapPath is Debian's nmap, the reference the lab compares against.
const NmapPath = "/usr/bin/nmap"

// Nmap runs Debian's nmap with args against targets (lab addresses only: each is
// checked with lab.Guard first) and returns its parsed XML.
func Nmap(ctx context.Context, args []string, targets ...string) (*Run, error) {
	return Scan(ctx, NmapPath, args, targets...)
}

// Scan runs any scanner with an Nmap-compatible command line (nmap, scanfw) with
// args (made DNS-safe by NoSystemDNS), `-oX FILE` and targets, after lab.Guard
// accepts every target, and parses
// the XML it wrote. A file rather than `-oX -` keeps the scanner's other output
// (warnings on stdout) out of the XML.
func Scan(ctx context.Context, bin string, args []string, targets ...string) (*Run, error) {
	run, _, err := ScanOutput(ctx, bin, args, targets...)
	return run, err
}

// ScanOutput is Scan that also returns what the scanner printed (standard
// output and error together), for a test that reads its -d lines.
func ScanOutput(ctx context.Context, bin string, args []string, targets ...string) (*Run, string, error) {
	if err := lab.Guard(targets...); err != nil {
		return nil, "", err
	}
	args, err := NoSystemDNS(args)
	if err != nil {
		return nil, "", err
	}
	f, err := os.CreateTemp("", "scanfw-compare-*.xml")
	if err != nil {
		return nil, "", err
	}
	f.Close()
	defer os.Remove(f.Name())
	full := append(append(append([]string(nil), args...), "-oX", f.Name()), targets...)
	cmd := exec.CommandContext(ctx, bin, full...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, out.String(), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(full, " "), err, strings.TrimSpace(out.String()))
	}
	xmlFile, err := os.Open(f.Name())
	if err != nil {
		return nil, out.String(), err
	}
	defer xmlFile.Close()
	run, err := Parse(xmlFile)
	if err != nil {
		return nil, out.String(), fmt.Errorf("%s %s: %w", bin, strings.Join(full, " "), err)
	}
	return run, out.String(), nil
}

// NoSystemDNS returns args with -n added unless they already say how names
// are found. Without it both scanners send PTR queries to the machine's
// resolvers from /etc/resolv.conf, an address outside loopback and the
// lab, which tests must never reach. A test that wants names passes
// --dns-servers with the lab's DNS server; -R or --system-dns without it
// is refused.
func NoSystemDNS(args []string) ([]string, error) {
	servers, never, asks := false, false, ""
	for _, a := range args {
		switch {
		case a == "-n":
			never = true
		case a == "--dns-servers" || strings.HasPrefix(a, "--dns-servers="):
			servers = true
		case a == "-R" || a == "--system-dns":
			asks = a
		}
	}
	if never || servers {
		return args, nil
	}
	if asks != "" {
		return nil, fmt.Errorf("%s without --dns-servers would query the system's resolvers, outside the lab", asks)
	}
	return append([]string{"-n"}, args...), nil
}
