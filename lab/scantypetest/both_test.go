package scantypetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab/compare"
)

// scanBoth scans addr with scanfw and then with nmap, the same arguments
// (with -6 put first for an IPv6 address), and logs how long each took.
func scanBoth(ctx context.Context, t *testing.T, bin string, args []string, addr string) (ours, ref *compare.Run) {
	t.Helper()
	ours, ref, _ = scanBothOutput(ctx, t, bin, args, nil, addr)
	return ours, ref
}

// scanBothOutput is scanBoth with extra arguments for scanfw alone (ours)
// and what scanfw printed.
func scanBothOutput(ctx context.Context, t *testing.T, bin string, args, ourExtra []string, addr string) (ours, ref *compare.Run, out string) {
	t.Helper()
	if strings.Contains(addr, ":") {
		args = append([]string{"-6"}, args...)
	}
	start := time.Now()
	ours, out, err := compare.ScanOutput(ctx, bin, append(append([]string(nil), args...), ourExtra...), addr)
	if err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	ref, err = compare.Nmap(ctx, args, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanfw %v, nmap %v", mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
	return ours, ref, out
}

// matchNmap is scanBoth that fails the test on every port whose state
// differs; it returns scanfw's run for further checks.
func matchNmap(ctx context.Context, t *testing.T, bin string, args []string, addr string) *compare.Run {
	t.Helper()
	ours, ref := scanBoth(ctx, t, bin, args, addr)
	if d := compare.Diff(ours, ref); len(d) > 0 {
		t.Error(compare.Format("scanfw", "nmap", d))
	}
	return ours
}
