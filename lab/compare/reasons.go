package compare

import "fmt"

// PortReasons returns the reason Nmap-format XML gives for every port of h
// whose reason it names: listed ports their own, folded ports that of their
// <extrareasons ports=...> group. Scans run with --reason list more ports.
func (r *Run) PortReasons(h *Host) (map[Key]string, error) {
	out := map[Key]string{}
	for _, p := range h.Ports.Port {
		out[Key{p.Protocol, p.PortID}] = p.State.Reason
	}
	for _, e := range h.Ports.Extra {
		for _, er := range e.Reasons {
			if er.Ports == "" || er.Proto == "" {
				continue
			}
			ports, err := ParsePortList(er.Ports)
			if err != nil {
				return nil, fmt.Errorf("extrareasons of %s: %w", h.Addr(), err)
			}
			for _, p := range ports {
				out[Key{er.Proto, p}] = er.Reason
			}
		}
	}
	return out, nil
}
