package main

import (
	"testing"

	"github.com/scanfw/scanfw/core/nmapargs"
)

// TestTimingReport checks the -d block against what Nmap 7.93 prints for
// the same options (`nmap -d ... -p 22 127.0.0.1`).
func TestTimingReport(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"defaults", []string{"-d", "127.0.0.1"}, `--------------- Timing report ---------------
  hostgroups: min 1, max 100000
  rtt-timeouts: init 1000, min 100, max 10000
  max-scan-delay: TCP 1000, UDP 1000, SCTP 1000
  parallelism: min 0, max 0
  max-retries: 10, host-timeout: 0
  min-rate: 0, max-rate: 0
---------------------------------------------
`},
		{"T4 and bounds", []string{"-d", "--min-rate", "100.5", "--max-hostgroup", "50", "--host-timeout", "30s", "--min-parallelism", "3", "-T4", "127.0.0.1"}, `--------------- Timing report ---------------
  hostgroups: min 1, max 50
  rtt-timeouts: init 500, min 100, max 1250
  max-scan-delay: TCP 10, UDP 1000, SCTP 10
  parallelism: min 3, max 0
  max-retries: 6, host-timeout: 30000
  min-rate: 100.5, max-rate: 0
---------------------------------------------
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := nmapargs.Parse(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := timingReport(inv.Profile.Timing.Resolve()); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
