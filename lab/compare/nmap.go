package compare

import (
	"bytes"
	"context"
	"fmt"
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
// args, `-oX -` and targets, after lab.Guard accepts every target, and parses the
// XML it prints.
func Scan(ctx context.Context, bin string, args []string, targets ...string) (*Run, error) {
	if err := lab.Guard(targets...); err != nil {
		return nil, err
	}
	full := append(append(append([]string(nil), args...), "-oX", "-"), targets...)
	cmd := exec.CommandContext(ctx, bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", bin, strings.Join(full, " "), err, strings.TrimSpace(stderr.String()))
	}
	run, err := Parse(&stdout)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", bin, strings.Join(full, " "), err)
	}
	return run, nil
}
