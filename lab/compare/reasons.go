package compare

import (
	"fmt"
	"slices"
	"strings"
)

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
				out[Key{extraProto(er.Proto), p}] = er.Reason
			}
		}
	}
	return out, nil
}

// extraProto reads the proto of <extrareasons>: Nmap writes "n/a" there
// for the protocols of an IP protocol scan, which <port> calls "ip".
func extraProto(p string) string {
	if p == "n/a" {
		return "ip"
	}
	return p
}

// icmpOpenReasons are the reasons Nmap may give protocol 1 of an IP
// protocol scan: it opens ICMP on the first ICMP message from the target,
// an echo reply or an error to another protocol's probe, whichever comes
// first, and takes the reason from the last packet of that read ("unknown-
// response" when it was not ICMP). Which one wins is a race on both sides.
var icmpOpenReasons = map[string]bool{"echo-reply": true, "unknown-response": true,
	"proto-unreach": true, "port-unreach": true}

// DiffReasons lists the ports of the first host whose reasons differ
// between a and b, as "port: a vs b". Protocol 1 of an IP protocol scan
// differs only when either reason is outside what Nmap may race to.
func DiffReasons(a, b *Run) ([]string, error) {
	if len(a.Hosts) == 0 || len(b.Hosts) == 0 {
		return nil, fmt.Errorf("reasons: %d and %d hosts", len(a.Hosts), len(b.Hosts))
	}
	ra, err := a.PortReasons(&a.Hosts[0])
	if err != nil {
		return nil, err
	}
	rb, err := b.PortReasons(&b.Hosts[0])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range sortedReasonKeys(ra, rb) {
		x, y := ra[k], rb[k]
		if x == y || (k == (Key{"ip", 1}) && icmpOpenReasons[x] && icmpOpenReasons[y]) {
			continue
		}
		out = append(out, fmt.Sprintf("%v: %q vs %q", k, x, y))
	}
	return out, nil
}

func sortedReasonKeys(ms ...map[Key]string) []Key {
	seen := map[Key]bool{}
	var keys []Key
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(x, y Key) int {
		if c := strings.Compare(x.Proto, y.Proto); c != 0 {
			return c
		}
		return x.Port - y.Port
	})
	return keys
}
