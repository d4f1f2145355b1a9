package nmapargs

import (
	"strings"
)

// Usage returns the option summary printed for -h.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: scanfw [options] {targets}\n")
	b.WriteString("Targets: host names, addresses, networks (198.18.0.0/24), ranges (10.0.0-3.1-254), IPv6.\n\n")
	for _, o := range options {
		if o.help != "" {
			b.WriteString("  ")
			b.WriteString(o.help)
			b.WriteByte('\n')
		}
	}
	b.WriteString("\nTime values take ms, s, m or h; a bare number is seconds (30m, 500ms, 2).\n")
	b.WriteString("Examples:\n  scanfw -v -p 22,80 127.0.0.1\n  scanfw -T4 -oA scan --profile profiles/default.hcl 198.18.0.0/28\n")
	return b.String()
}
