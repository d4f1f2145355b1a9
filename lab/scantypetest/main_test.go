// Package scantypetest holds the lab tests of the scan techniques beyond
// SYN: every flag scan (and UDP) sees the fw host port for port as
// Debian's nmap does, and as the lab's facts promise. They need root and
// the lab.
package scantypetest

import (
	"os"
	"testing"

	"github.com/scanfw/scanfw/lab"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.FW, lab.SVC)) }
