package scan

import (
	"net/netip"

	"github.com/scanfw/scanfw/core/connectscan"
)

// traceOptions hooks --packet-trace into a connect scan or ping.
func traceOptions(p Plan) []connectscan.Option {
	if p.Trace == nil {
		return nil
	}
	tr := p.Trace
	return []connectscan.Option{connectscan.Trace(func(dst netip.AddrPort, err error) { tr.Connect(dst, err) })}
}
