package scan

import (
	"net/netip"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/sdk"
)

// Watcher hears of a scan while it runs, for what the terminal shows
// (progress, "Discovered open port" lines). Finished hosts reach the Sink
// as always; the watcher only sees what happens before. Its methods run on
// the scan's goroutine and must return quickly.
type Watcher interface {
	// Technique says a technique starts on a group of hosts that are up.
	Technique(scanType string, hosts, ports int)
	// Port is one port answer, as it arrives.
	Port(addr netip.Addr, p sdk.Port)
}

// watchOptions hooks the plan's watcher, if any, into a connect scan of
// hosts; addr maps the scan's host index to its address.
func watchOptions(p Plan, tech Technique, hosts int, addr func(int) netip.Addr) []connectscan.Option {
	if p.Watch == nil {
		return nil
	}
	p.Watch.Technique(tech.Spec.ScanType, hosts, len(tech.Ports))
	return []connectscan.Option{connectscan.OnPort(func(h int, port sdk.Port) { p.Watch.Port(addr(h), port) })}
}
