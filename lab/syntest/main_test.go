// Package syntest holds the lab tests of the raw SYN scan: scanfw -sS sees
// every lab host exactly as Debian's nmap -sS does, and finds every open port
// of the impaired wan host run after run. They need root and the lab.
package syntest

import (
	"os"
	"testing"

	"github.com/scanfw/scanfw/lab"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.All...)) }
