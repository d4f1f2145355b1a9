package scan

import (
	"time"

	"github.com/scanfw/scanfw/core/progress"
)

// PhaseWatcher is a Watcher that also hears when a technique starts and
// ends on a group of hosts, for Nmap's -v lines ("Initiating SYN Stealth
// Scan", "Scanning 3 hosts [1000 ports/host]", "Completed ...").
type PhaseWatcher interface {
	TechniqueStart(scanType string, hosts []string, ports int)
	TechniqueEnd(scanType string, hosts, ports int, elapsed time.Duration)
}

// phaseStart tells the plan's watcher, if it listens for phases, that
// tech starts on hosts; the returned func says it ended (once, however
// often it is called). Called when the group's last host finishes the
// technique, before that host is delivered, the "Completed" line comes
// before the host's report, as in Nmap.
func phaseStart(p Plan, tech Technique, hosts []*hostState) func() {
	pw, ok := p.Watch.(PhaseWatcher)
	if !ok {
		return func() {}
	}
	labels := make([]string, len(hosts))
	for i, h := range hosts {
		name := h.target.Name
		if name == "" {
			name = h.ptr
		}
		labels[i] = progress.HostLabel(name, h.target.Addr)
	}
	begin := time.Now()
	pw.TechniqueStart(tech.Spec.ScanType, labels, len(tech.Ports))
	done := false
	return func() {
		if !done {
			done = true
			pw.TechniqueEnd(tech.Spec.ScanType, len(hosts), len(tech.Ports), time.Since(begin))
		}
	}
}
