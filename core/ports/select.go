package ports

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// DefaultTop is how many of the most frequent ports per protocol Nmap scans
// when no port option is given; FastTop is the count for -F.
const (
	DefaultTop = 1000
	FastTop    = 100
)

// Options are the port-related command-line options plus what they depend
// on. Zero values mean "not given".
type Options struct {
	Ports   *Spec   // -p
	Exclude *Spec   // --exclude-ports
	Top     int     // --top-ports N
	Ratio   float64 // --port-ratio R, in (0,1]
	Fast    bool    // -F, the top FastTop ports
	// Scanned lists the protocols the chosen scan types probe (TCP for
	// -sS/-sT/..., UDP for -sU, SCTP for -sY/-sZ, IP for -sO). Only these
	// get ports; unprefixed items of -p apply to all of them.
	Scanned []Proto
	// Catalog supplies service names and frequencies. It may be nil only
	// when Ports is given and uses neither names nor brackets.
	Catalog Catalog
}

// Select builds the port lists of a scan the way Nmap does (nmap-internals
// §6): -p alone is taken as written; --top-ports, --port-ratio and -F pick
// the most frequent ports, restricted to -p when both are given; with no
// port option the top DefaultTop per protocol are used. --exclude-ports is
// removed before the top N are counted. IP protocol scans default to all
// 256 protocols. Warnings are for conditions Nmap warns about and goes on
// (a U: prefix without a UDP scan, duplicate ports).
func Select(o Options) (List, []string, error) {
	var list List
	var warn []string
	if o.Fast {
		if o.Ports != nil {
			return list, nil, errors.New("-F (fast scan) cannot be combined with -p; use --top-ports or --port-ratio to restrict a range")
		}
		if o.Top != 0 || o.Ratio != 0 {
			return list, nil, errors.New("-F (fast scan) cannot be combined with --top-ports or --port-ratio")
		}
		o.Top = FastTop
	}
	if o.Top != 0 && o.Ratio != 0 {
		return list, nil, errors.New("--top-ports and --port-ratio cannot be combined")
	}
	if o.Top < 0 {
		return list, nil, fmt.Errorf("--top-ports %d: must be positive", o.Top)
	}
	if o.Ratio < 0 || o.Ratio > 1 {
		return list, nil, fmt.Errorf("--port-ratio %g: must be between 0 and 1", o.Ratio)
	}
	r := resolver{cat: o.Catalog}
	var exclude [5]*bitset
	if o.Exclude != nil {
		for _, p := range Protos {
			set, _, err := r.resolve(o.Exclude, p, true)
			if err != nil {
				return list, nil, fmt.Errorf("--exclude-ports: %w", err)
			}
			exclude[p] = set
		}
	}
	var given [5]*bitset
	if o.Ports != nil {
		var err error
		if given, warn, err = r.resolveAll(o.Ports, o.Scanned); err != nil {
			return list, nil, err
		}
	}
	ranked := o.Top != 0 || o.Ratio != 0 || o.Ports == nil
	if ranked && o.Top == 0 && o.Ratio == 0 {
		o.Top = DefaultTop
	}
	for _, p := range o.Scanned {
		var ports []uint16
		switch {
		case p == IP && o.Ports == nil:
			for n := range 256 {
				ports = append(ports, uint16(n))
			}
		case ranked && p != IP:
			if o.Catalog == nil {
				return list, nil, errors.New("top ports need a services database with frequencies")
			}
			for _, e := range o.Catalog.Ranked(p) {
				if o.Top != 0 && len(ports) == o.Top || o.Ratio != 0 && e.Freq < o.Ratio {
					break
				}
				if given[p] != nil && !given[p].has(e.Port) {
					continue
				}
				if exclude[p] != nil && exclude[p].has(e.Port) {
					continue
				}
				ports = append(ports, e.Port)
			}
			slices.Sort(ports)
		default:
			ports = given[p].ports()
		}
		if exclude[p] != nil {
			ports = slices.DeleteFunc(ports, exclude[p].has)
		}
		list.set(p, ports)
	}
	if list.Len() == 0 {
		return list, warn, errors.New("no ports left to scan")
	}
	return list, warn, nil
}

// resolver turns parsed items into port sets, caching the catalogued ports
// brackets need.
type resolver struct {
	cat   Catalog
	known [5]*bitset
}

// resolveAll resolves spec for every scanned protocol and warns about
// prefixes naming a protocol that is not scanned, which Nmap ignores.
func (r *resolver) resolveAll(spec *Spec, scanned []Proto) ([5]*bitset, []string, error) {
	var sets [5]*bitset
	var warn []string
	for _, p := range Protos {
		if slices.Contains(scanned, p) {
			continue
		}
		for _, it := range spec.items {
			if it.proto == p {
				warn = append(warn, fmt.Sprintf("your ports include %q but you have not specified %s", prefix(p)+":", scanWord(p)))
				break
			}
		}
	}
	dup := false
	matched := make([]bool, len(spec.items))
	for _, p := range scanned {
		set, m, err := r.resolve(spec, p, false)
		if err != nil {
			return sets, nil, err
		}
		sets[p] = set
		dup = dup || set.dup
		for i := range matched {
			matched[i] = matched[i] || m[i]
		}
	}
	for i, it := range spec.items {
		if it.name != "" && !matched[i] && anyScanned(it.proto, scanned) {
			return sets, nil, &SpecError{Spec: spec.text, Col: it.col, Msg: fmt.Sprintf("no service matching %q for the scanned protocols", it.name)}
		}
	}
	if dup {
		warn = append(warn, "duplicate port number(s) specified")
	}
	return sets, warn, nil
}

func anyScanned(p Proto, scanned []Proto) bool {
	return p == 0 || slices.Contains(scanned, p)
}

func scanWord(p Proto) string {
	switch p {
	case TCP:
		return "any TCP scan type"
	case UDP:
		return "a UDP scan (-sU)"
	case SCTP:
		return "any SCTP scan type"
	}
	return "an IP protocol scan (-sO)"
}

// resolve returns the ports spec selects for p and, per item, whether a
// name item matched anything. Names never apply to IP protocol numbers.
func (r *resolver) resolve(spec *Spec, p Proto, lenient bool) (*bitset, []bool, error) {
	set := new(bitset)
	matched := make([]bool, len(spec.items))
	for i, it := range spec.items {
		if it.proto != 0 && it.proto != p {
			continue
		}
		if it.name != "" {
			if p == IP {
				continue
			}
			if r.cat == nil {
				return nil, nil, &SpecError{Spec: spec.text, Col: it.col, Msg: "service names need a services database"}
			}
			for _, port := range r.cat.Match(it.name, p) {
				set.add(port)
				matched[i] = true
			}
			continue
		}
		hi := it.hi
		if hi < 0 {
			hi = maxPort(p)
		}
		if hi > maxPort(p) {
			if lenient {
				hi = maxPort(p)
			} else {
				return nil, nil, &SpecError{Spec: spec.text, Col: it.col, Msg: fmt.Sprintf("protocol numbers must be 0-255, got %d", hi)}
			}
		}
		var known *bitset
		if it.known {
			known = r.catalogued(p)
		}
		for port := it.lo; port <= hi; port++ {
			if known == nil || known.has(uint16(port)) {
				set.add(uint16(port))
			}
		}
	}
	return set, matched, nil
}

func (r *resolver) catalogued(p Proto) *bitset {
	if r.known[p] == nil {
		r.known[p] = new(bitset)
		if r.cat != nil {
			for _, e := range r.cat.Ranked(p) {
				r.known[p].add(e.Port)
			}
		}
	}
	return r.known[p]
}

// bitset is a set of 16-bit ports, 8 KiB flat, so -p- costs no map.
type bitset struct {
	w   [1024]uint64
	dup bool // an add found the port already present
}

func (b *bitset) add(p uint16) {
	m := uint64(1) << (p & 63)
	if b.w[p>>6]&m != 0 {
		b.dup = true
	}
	b.w[p>>6] |= m
}

func (b *bitset) has(p uint16) bool { return b.w[p>>6]&(1<<(p&63)) != 0 }

func (b *bitset) ports() []uint16 {
	if b == nil {
		return nil
	}
	n := 0
	for _, w := range b.w {
		n += bits.OnesCount64(w)
	}
	out := make([]uint16, 0, n)
	for i, w := range b.w {
		for w != 0 {
			out = append(out, uint16(i*64+bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return out
}
