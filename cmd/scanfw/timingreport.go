package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scanfw/scanfw/core/profile"
)

// timingReport is the block Nmap prints at -d before scanning: the timing
// values the scan will use, after templates and options are resolved, in
// milliseconds. Hostgroups without a bound show Nmap's 1 and 100000.
func timingReport(r profile.Resolved) string {
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	minGroup, maxGroup := r.MinHostgroup, r.MaxHostgroup
	if minGroup <= 0 {
		minGroup = 1
	}
	if maxGroup <= 0 {
		maxGroup = 100000
	}
	rate := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var b strings.Builder
	b.WriteString("--------------- Timing report ---------------\n")
	fmt.Fprintf(&b, "  hostgroups: min %d, max %d\n", minGroup, maxGroup)
	fmt.Fprintf(&b, "  rtt-timeouts: init %d, min %d, max %d\n", ms(r.InitialRTTTimeout), ms(r.MinRTTTimeout), ms(r.MaxRTTTimeout))
	fmt.Fprintf(&b, "  max-scan-delay: TCP %d, UDP %d, SCTP %d\n", ms(r.MaxTCPScanDelay), ms(r.MaxUDPScanDelay), ms(r.MaxSCTPScanDelay))
	fmt.Fprintf(&b, "  parallelism: min %d, max %d\n", r.MinParallelism, r.MaxParallelism)
	fmt.Fprintf(&b, "  max-retries: %d, host-timeout: %d\n", r.MaxRetries, ms(r.HostTimeout))
	fmt.Fprintf(&b, "  min-rate: %s, max-rate: %s\n", rate(r.MinRate), rate(r.MaxRate))
	b.WriteString("---------------------------------------------\n")
	return b.String()
}
