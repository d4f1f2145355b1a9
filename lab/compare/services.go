package compare

import (
	"fmt"
	"sort"
)

// Label is how Nmap's normal output names a service: "ssl/http" for a
// service found inside TLS.
func (s Service) Label() string {
	if s.Tunnel != "" {
		return s.Tunnel + "/" + s.Name
	}
	return s.Name
}

// ServiceDiff is one port where two -sV results disagree on the service
// name (with its tunnel), product or version.
type ServiceDiff struct {
	Host string
	Key  Key
	A, B Service
}

func (d ServiceDiff) String() string {
	return fmt.Sprintf("%s %s: %q %q %q vs %q %q %q", d.Host, d.Key,
		d.A.Label(), d.A.Product, d.A.Version, d.B.Label(), d.B.Product, d.B.Version)
}

// Services maps each listed port of each host (by address) to its service.
func Services(r *Run) map[string]map[Key]Service {
	out := map[string]map[Key]Service{}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		m := map[Key]Service{}
		for _, p := range h.Ports.Port {
			m[Key{Proto: p.Protocol, Port: p.PortID}] = p.Service
		}
		out[h.Addr()] = m
	}
	return out
}

// DiffServices compares the services two -sV runs report on the ports both
// list, in port order.
func DiffServices(a, b *Run) []ServiceDiff {
	sa, sb := Services(a), Services(b)
	var out []ServiceDiff
	for addr, pa := range sa {
		pb := sb[addr]
		for k, x := range pa {
			y, ok := pb[k]
			if !ok || x.Label() != y.Label() || x.Product != y.Product || x.Version != y.Version {
				out = append(out, ServiceDiff{Host: addr, Key: k, A: x, B: y})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		return out[i].Key.Port < out[j].Key.Port
	})
	return out
}
