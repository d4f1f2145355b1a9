package portstate

import (
	"cmp"
	"slices"

	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/sdk"
)

// Scanned is one technique's part of a host's port picture: the ports it
// scanned and what silence means for it.
type Scanned struct {
	Proto   sdk.Proto
	Ports   []uint16
	Silence sdk.Verdict
	// Table, when set, holds this technique's answers in place of the
	// table given to Collapse: each technique of a scan keeps its own.
	Table *Table
}

// View holds the display options that decide what is collapsed.
type View struct {
	Verbosity int
	Debugging int
	OpenOnly  bool // --open
	IPProto   bool // an IP protocol scan (-sO) grows the limit more slowly with debugging
}

// displayOrder is Nmap's internal numbering of states, which orders the
// "Not shown" parts and XML <extraports> elements.
var displayOrder = [...]sdk.PortState{
	sdk.StateUnknown, sdk.StateClosed, sdk.StateOpen, sdk.StateFiltered,
	sdk.StateUnfiltered, sdk.StateOpenFiltered, sdk.StateClosedFiltered,
}

// Collapse turns a host's full port picture into what outputs show: the
// ports listed one by one, sorted by protocol then number, and the ports
// collapsed per state (nmap-internals §9.3). Every scanned port appears
// exactly once: answered ones with their recorded evidence, the rest with
// the technique's silence verdict. A nil table means nothing answered.
func Collapse(t *Table, scanned []Scanned, v View) ([]sdk.Port, []sdk.ExtraPorts) {
	lookup := func(s Scanned, port uint16) sdk.Port {
		t := t
		if s.Table != nil {
			t = s.Table
		}
		if t != nil {
			if e, ok := t.Get(s.Proto, port); ok {
				return sdk.Port{Proto: s.Proto, Number: port, State: e.State, Reason: e.Reason, ReasonTTL: e.ReasonTTL}
			}
		}
		return sdk.Port{Proto: s.Proto, Number: port, State: s.Silence.State, Reason: s.Silence.Reason}
	}
	var counts [len(displayOrder)]int
	for _, s := range scanned {
		for _, p := range s.Ports {
			if st := lookup(s, p).State; int(st) < len(counts) {
				counts[st]++
			}
		}
	}
	var ignored [len(displayOrder)]bool
	for st, n := range counts {
		ignored[st] = isIgnored(sdk.PortState(st), n, v)
	}

	type reasonKey struct {
		state  sdk.PortState
		reason string
		proto  sdk.Proto
	}
	groups := map[reasonKey]*[]uint16{}
	// Neighbouring ports mostly share a reason: the last group found
	// spares a hash of its key per port.
	var lastKey reasonKey
	var last *[]uint16
	var shown []sdk.Port
	for _, s := range scanned {
		for _, p := range s.Ports {
			port := lookup(s, p)
			if int(port.State) < len(ignored) && ignored[port.State] {
				k := reasonKey{port.State, port.Reason, port.Proto}
				if last == nil || k != lastKey {
					if last = groups[k]; last == nil {
						last = new([]uint16)
						groups[k] = last
					}
					lastKey = k
				}
				*last = append(*last, p)
				continue
			}
			shown = append(shown, port)
		}
	}
	slices.SortFunc(shown, func(a, b sdk.Port) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Number, b.Number))
	})

	var extra []sdk.ExtraPorts
	for _, st := range displayOrder {
		if !ignored[st] {
			continue
		}
		ep := sdk.ExtraPorts{State: st, Count: counts[st]}
		for k, list := range groups {
			if k.state == st {
				ep.Reasons = append(ep.Reasons, sdk.ExtraReason{Reason: k.reason, Count: len(*list), Proto: k.proto, Ports: ports.Ranges(*list)})
			}
		}
		// Most common reason first, as Nmap's reason summary does.
		slices.SortFunc(ep.Reasons, func(a, b sdk.ExtraReason) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Proto, b.Proto))
		})
		extra = append(extra, ep)
	}
	return shown, extra
}

// isIgnored is Nmap's rule for collapsing a state with count ports.
func isIgnored(st sdk.PortState, count int, v View) bool {
	if count == 0 || v.Debugging > 2 {
		return false
	}
	switch st {
	case sdk.StateOpen, sdk.StateUnknown:
		return false
	case sdk.StateOpenFiltered:
		if v.Verbosity > 2 {
			return false
		}
	}
	if v.OpenOnly && st != sdk.StateOpenFiltered && st != sdk.StateUnfiltered {
		return true
	}
	limit := 25
	if v.Verbosity > 0 || v.Debugging > 0 {
		dbg := 20
		if v.IPProto {
			dbg = 5
		}
		limit *= v.Verbosity + 1 + dbg*v.Debugging
	}
	return count > limit
}
