// Package labtest holds the lab's integration tests: the daemons answer, nmap
// sees every port in the state the description promises, and scanfw agrees with
// nmap port for port. They need root and the packages of .ci/install-lab.sh.
package labtest

import (
	"os"
	"testing"

	"github.com/scanfw/scanfw/lab"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.All...)) }
