// Package compare reads Nmap-format XML (Nmap's own and scanfw's) and diffs two
// results port for port, so every scan type can be checked against Debian's nmap
// on the lab. Ports that a result folds into <extraports> are expanded back into
// single ports from the scanned port list, so the two sides compare per port
// whatever each chose to fold.
package compare

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Run is the subset of <nmaprun> the comparison needs.
type Run struct {
	Scanner  string     `xml:"scanner,attr"`
	Args     string     `xml:"args,attr"`
	Version  string     `xml:"version,attr"`
	ScanInfo []ScanInfo `xml:"scaninfo"`
	Hosts    []Host     `xml:"host"`
}

// ScanInfo names the scanned ports of one protocol ("1-1000,1022").
type ScanInfo struct {
	Type     string `xml:"type,attr"`
	Protocol string `xml:"protocol,attr"`
	Services string `xml:"services,attr"`
}

// Host is one <host>.
type Host struct {
	Status    Status     `xml:"status"`
	Addresses []Address  `xml:"address"`
	Hostnames []Hostname `xml:"hostnames>hostname"`
	Ports     Ports      `xml:"ports"`
}

// Hostname is a <hostname>; Type is "user" or "PTR".
type Hostname struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
}

// Status is a host's up/down state and why.
type Status struct {
	State  string `xml:"state,attr"`
	Reason string `xml:"reason,attr"`
	// ReasonTTL is the TTL (hop limit) of the packet that decided it.
	ReasonTTL string `xml:"reason_ttl,attr"`
}

// Address is an <address>; AddrType is ipv4, ipv6 or mac.
type Address struct {
	Addr     string `xml:"addr,attr"`
	AddrType string `xml:"addrtype,attr"`
	Vendor   string `xml:"vendor,attr"` // of a MAC address, from nmap-mac-prefixes
}

// Ports holds the listed ports and the folded ones.
type Ports struct {
	Extra []ExtraPorts `xml:"extraports"`
	Port  []Port       `xml:"port"`
}

// ExtraPorts counts ports in one state that were not listed one by one.
type ExtraPorts struct {
	State   string         `xml:"state,attr"`
	Count   int            `xml:"count,attr"`
	Reasons []ExtraReasons `xml:"extrareasons"`
}

// ExtraReasons breaks ExtraPorts down by reason; Nmap 7.90 and later also say
// which ports (Proto, Ports) it covers.
type ExtraReasons struct {
	Reason string `xml:"reason,attr"`
	Count  int    `xml:"count,attr"`
	Proto  string `xml:"proto,attr"`
	Ports  string `xml:"ports,attr"`
}

// Port is one listed <port>.
type Port struct {
	Protocol string  `xml:"protocol,attr"`
	PortID   int     `xml:"portid,attr"`
	State    State   `xml:"state"`
	Service  Service `xml:"service"`
}

// State is a port's state and the reason for it.
type State struct {
	State  string `xml:"state,attr"`
	Reason string `xml:"reason,attr"`
}

// Service is what service detection said about a port.
type Service struct {
	Name    string `xml:"name,attr"`
	Product string `xml:"product,attr"`
	Version string `xml:"version,attr"`
	Tunnel  string `xml:"tunnel,attr"`
	Method  string `xml:"method,attr"`
}

// Parse reads one Nmap-format XML document.
func Parse(r io.Reader) (*Run, error) {
	var run Run
	dec := xml.NewDecoder(r)
	// <!DOCTYPE nmaprun> and the stylesheet instruction need no entity handling.
	dec.Strict = true
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("parse nmap xml: %w", err)
	}
	return &run, nil
}

// Addr returns the host's IP address (the first ipv4 or ipv6 one).
func (h *Host) Addr() string {
	for _, a := range h.Addresses {
		if a.AddrType == "ipv4" || a.AddrType == "ipv6" {
			return a.Addr
		}
	}
	return ""
}

// Key names one port of one protocol.
type Key struct {
	Proto string
	Port  int
}

func (k Key) String() string { return fmt.Sprintf("%d/%s", k.Port, k.Proto) }

// Ambiguous is the state of a folded port whose state cannot be told: several
// <extraports> groups and no per-port lists to say which port is in which.
const Ambiguous = "?"

// PortStates returns the state of every scanned port of h: listed ports as listed,
// folded ports from <extrareasons ports=...> where given, else from the scanned
// list (scaninfo services) when only one <extraports> group leaves no doubt.
func (r *Run) PortStates(h *Host) (map[Key]string, error) {
	out := map[Key]string{}
	for _, p := range h.Ports.Port {
		out[Key{p.Protocol, p.PortID}] = p.State.State
	}
	unlisted := 0
	for _, e := range h.Ports.Extra {
		for _, er := range e.Reasons {
			if er.Ports == "" || er.Proto == "" {
				unlisted += er.Count
				continue
			}
			ports, err := ParsePortList(er.Ports)
			if err != nil {
				return nil, fmt.Errorf("extrareasons of %s: %w", h.Addr(), err)
			}
			for _, p := range ports {
				out[Key{extraProto(er.Proto), p}] = e.State
			}
		}
		if len(e.Reasons) == 0 {
			unlisted += e.Count
		}
	}
	if unlisted == 0 {
		return out, nil
	}
	fill := Ambiguous
	if len(h.Ports.Extra) == 1 {
		fill = h.Ports.Extra[0].State
	}
	for _, si := range r.ScanInfo {
		ports, err := ParsePortList(si.Services)
		if err != nil {
			return nil, fmt.Errorf("scaninfo %s: %w", si.Protocol, err)
		}
		for _, p := range ports {
			k := Key{si.Protocol, p}
			if _, ok := out[k]; !ok {
				out[k] = fill
			}
		}
	}
	return out, nil
}

// ParsePortList parses Nmap's "1-3,7,9-10" into ports in ascending order.
func ParsePortList(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 65535 {
			return nil, fmt.Errorf("bad port %q in %q", part, s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > 65535 {
				return nil, fmt.Errorf("bad port range %q in %q", part, s)
			}
		}
		for p := a; p <= b; p++ {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out, nil
}
