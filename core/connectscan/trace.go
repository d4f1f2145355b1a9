package connectscan

import "net/netip"

// Trace has the scan report every connect() it starts and how each ends
// (--packet-trace): err is EINPROGRESS for a connect under way, nil for
// one that connected. f runs on the scan's goroutine.
func Trace(f func(dst netip.AddrPort, err error)) Option {
	return func(s *scanner) { s.trace = f }
}

func (s *scanner) traceConnect(in inflight, err error) {
	if s.trace != nil {
		s.trace(netip.AddrPortFrom(s.addrs[in.host], in.port), err)
	}
}
