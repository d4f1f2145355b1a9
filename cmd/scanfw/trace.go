package main

import (
	"io"

	"github.com/scanfw/scanfw/core/nmapargs"
	"github.com/scanfw/scanfw/core/packettrace"
)

// hookTrace turns on --packet-trace: every probe and reply of raw scans,
// every connect() of connect scans and pings, printed to stdout as Nmap
// does, with times counted from the scan's start.
func hookTrace(inv *nmapargs.Invocation, s *session, stdout io.Writer) {
	if !inv.PacketTrace {
		return
	}
	tr := packettrace.New(stdout, s.plan.Start.Start)
	s.plan.Trace = tr
	s.plan.Raw.Trace = tr
}
