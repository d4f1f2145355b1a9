package compare

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildScanfw builds ./cmd/scanfw into the test's temporary directory and
// returns its path, so a lab test compares the scanner of the tree it runs
// in. A build failure fails the test.
func BuildScanfw(t testing.TB) string {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("build scanfw: cannot locate the module")
	}
	bin := filepath.Join(t.TempDir(), "scanfw")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/scanfw")
	cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..") // the module root, from lab/compare
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build scanfw: %v: %s", err, out)
	}
	return bin
}
