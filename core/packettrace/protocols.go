package packettrace

import (
	"sync"
	"sync/atomic"

	"github.com/scanfw/scanfw/data"
)

// Nmap names the IP protocols its trace does not decode from a built-in
// table of IANA keywords ("igmp (2) A > B: ..."), and "unknown" a number
// the table lacks. nmap-protocols carries the same keywords, so the trace
// takes its names from the table the scan uses for protocol names (Nmap's
// file when installed, else the project's own IANA table).
var (
	protocolNames atomic.Pointer[[256]string]
	builtinNames  = sync.OnceValue(func() *[256]string {
		names := data.ParseProtocols(data.Protocols)
		return &names
	})
)

// SetProtocolNames sets the names of IP protocol numbers for the trace;
// until it is called, the project's own table names them.
func SetProtocolNames(names [256]string) { protocolNames.Store(&names) }

func protocolName(p uint8) string {
	names := protocolNames.Load()
	if names == nil {
		names = builtinNames()
	}
	if n := names[p]; n != "" {
		return n
	}
	return "unknown"
}
