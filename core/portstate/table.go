package portstate

import (
	"slices"

	"github.com/scanfw/scanfw/sdk"
)

// Entry is the recorded evidence for one answered port.
type Entry struct {
	State     sdk.PortState
	Reason    string
	ReasonTTL int
}

// Table holds the answered ports of one host. Ports that never answered are
// never stored: a -p- scan of thousands of filtered hosts would otherwise
// hold 65535 entries per host for nothing (nmap-internals §11 item 20). The
// scan's silence verdict fills them in at output time (Collapse).
type Table struct {
	silenceMeansOpen bool
	m                map[uint32]Entry
}

// NewTable returns an empty table for a scan whose technique has the given
// silence semantics (sdk.ProbeSpec.SilenceMeansOpen); it decides how
// disagreeing replies are merged (Update).
func NewTable(silenceMeansOpen bool) *Table {
	return &Table{silenceMeansOpen: silenceMeansOpen, m: make(map[uint32]Entry)}
}

func key(p sdk.Proto, port uint16) uint32 { return uint32(p)<<16 | uint32(port) }

// Record merges a reply's verdict into the port and returns the resulting
// state. The reason follows the state: when the rules keep the old state the
// old reason stays, so a port never shows a reason that contradicts it. A
// verdict without a state is ignored.
func (t *Table) Record(p sdk.Proto, port uint16, v sdk.Verdict, ttl int) sdk.PortState {
	k := key(p, port)
	cur, ok := t.m[k]
	next := Update(cur.State, v.State, t.silenceMeansOpen)
	if next == sdk.StateUnknown {
		return next
	}
	if !ok || next != cur.State {
		t.m[k] = Entry{State: next, Reason: v.Reason, ReasonTTL: ttl}
	}
	return next
}

// Get returns the entry of an answered port.
func (t *Table) Get(p sdk.Proto, port uint16) (Entry, bool) {
	e, ok := t.m[key(p, port)]
	return e, ok
}

// Len is the number of answered ports.
func (t *Table) Len() int { return len(t.m) }

// Answered returns the answered ports sorted by protocol then number.
func (t *Table) Answered() []sdk.Port {
	out := make([]sdk.Port, 0, len(t.m))
	for k, e := range t.m {
		out = append(out, sdk.Port{Proto: sdk.Proto(k >> 16), Number: uint16(k), State: e.State, Reason: e.Reason, ReasonTTL: e.ReasonTTL})
	}
	slices.SortFunc(out, func(a, b sdk.Port) int { return int(key(a.Proto, a.Number)) - int(key(b.Proto, b.Number)) })
	return out
}
