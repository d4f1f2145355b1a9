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
//
// A protocol with few answered ports lives in a map; once denseAt of its
// ports have answered it moves to an array indexed by port of 4-byte
// slots. Why: a host whose every port answers (the clean host's 65,525
// resets) made the map the scan loop's largest cost, 65 k inserts while
// scanning and 130 k lookups in Collapse (about 50 ms on the project
// machine), and the array is also smaller than such a map (256 KiB against
// about 3 MiB).
type Table struct {
	silenceMeansOpen bool
	// m holds the sparse protocols' entries, and any entry a slot cannot
	// hold (a TTL outside 0-65534, the 256th distinct reason).
	m     map[uint32]Entry
	dense []denseProto
	// reasons are the dense slots' reasons; a slot holds index+1.
	reasons []string
	counts  []protoCount // answered ports per sparse protocol
}

// denseAt is the answered-port count at which a protocol's entries move
// from the map to an array: where a map of that many entries costs about
// as much memory as the array.
const denseAt = 4096

type denseProto struct {
	proto sdk.Proto
	slots []slot // by port number
}

type protoCount struct {
	proto sdk.Proto
	n     int
}

// slot is one port's entry in a dense protocol; reason 0 means the port
// has not answered (or its entry lives in the map).
type slot struct {
	state  sdk.PortState
	reason uint8
	ttl    uint16
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
	cur, ok := t.Get(p, port)
	next := Update(cur.State, v.State, t.silenceMeansOpen)
	if next == sdk.StateUnknown {
		return next
	}
	if !ok || next != cur.State {
		t.put(p, port, Entry{State: next, Reason: v.Reason, ReasonTTL: ttl}, !ok)
	}
	return next
}

// put stores e for the port; added says the port had no entry before.
func (t *Table) put(p sdk.Proto, port uint16, e Entry, added bool) {
	if d := t.denseOf(p); d != nil {
		if s, ok := t.slotOf(e); ok {
			if !added && d.slots[port].reason == 0 {
				delete(t.m, key(p, port)) // the old entry overflowed
			}
			d.slots[port] = s
			return
		}
		d.slots[port] = slot{}
		t.m[key(p, port)] = e
		return
	}
	t.m[key(p, port)] = e
	if !added {
		return
	}
	c := t.countOf(p)
	if c.n++; c.n >= denseAt {
		t.densify(p)
	}
}

// Get returns the entry of an answered port.
func (t *Table) Get(p sdk.Proto, port uint16) (Entry, bool) {
	if d := t.denseOf(p); d != nil {
		if s := d.slots[port]; s.reason != 0 {
			return Entry{State: s.state, Reason: t.reasons[s.reason-1], ReasonTTL: int(s.ttl)}, true
		}
	}
	e, ok := t.m[key(p, port)]
	return e, ok
}

// Len is the number of answered ports.
func (t *Table) Len() int {
	n := len(t.m)
	for _, d := range t.dense {
		for _, s := range d.slots {
			if s.reason != 0 {
				n++
			}
		}
	}
	return n
}

// Answered returns the answered ports sorted by protocol then number.
func (t *Table) Answered() []sdk.Port {
	out := make([]sdk.Port, 0, len(t.m))
	for k, e := range t.m {
		out = append(out, sdk.Port{Proto: sdk.Proto(k >> 16), Number: uint16(k), State: e.State, Reason: e.Reason, ReasonTTL: e.ReasonTTL})
	}
	for _, d := range t.dense {
		for port, s := range d.slots {
			if s.reason != 0 {
				out = append(out, sdk.Port{Proto: d.proto, Number: uint16(port), State: s.state, Reason: t.reasons[s.reason-1], ReasonTTL: int(s.ttl)})
			}
		}
	}
	slices.SortFunc(out, func(a, b sdk.Port) int { return int(key(a.Proto, a.Number)) - int(key(b.Proto, b.Number)) })
	return out
}

func (t *Table) denseOf(p sdk.Proto) *denseProto {
	for i := range t.dense {
		if t.dense[i].proto == p {
			return &t.dense[i]
		}
	}
	return nil
}

func (t *Table) countOf(p sdk.Proto) *protoCount {
	for i := range t.counts {
		if t.counts[i].proto == p {
			return &t.counts[i]
		}
	}
	t.counts = append(t.counts, protoCount{proto: p})
	return &t.counts[len(t.counts)-1]
}

// slotOf packs e into a slot, if it fits one.
func (t *Table) slotOf(e Entry) (slot, bool) {
	if e.ReasonTTL < 0 || e.ReasonTTL > 0xffff {
		return slot{}, false
	}
	i := slices.Index(t.reasons, e.Reason)
	if i < 0 {
		if len(t.reasons) == 0xff {
			return slot{}, false
		}
		t.reasons = append(t.reasons, e.Reason)
		i = len(t.reasons) - 1
	}
	return slot{state: e.State, reason: uint8(i + 1), ttl: uint16(e.ReasonTTL)}, true
}

// densify moves protocol p's entries from the map to an array.
func (t *Table) densify(p sdk.Proto) {
	t.dense = append(t.dense, denseProto{proto: p, slots: make([]slot, 1<<16)})
	d := &t.dense[len(t.dense)-1]
	for k, e := range t.m {
		if sdk.Proto(k>>16) != p {
			continue
		}
		if s, ok := t.slotOf(e); ok {
			d.slots[uint16(k)] = s
			delete(t.m, k)
		}
	}
}
