package rawscan

import "time"

// traceReceived hooks --packet-trace into a path's receiver. The receiver
// hands over Ethernet frames (lo's carry a zero Ethernet header), so every
// frame is described from its link header.
func (s *scanner) traceReceived(p *path) {
	tr := s.opt.Trace
	if tr == nil {
		return
	}
	p.recv.Trace = func(frame []byte, nanos int64) {
		tr.Received(frame, true, time.Unix(0, nanos))
	}
}
