package scan

import "github.com/scanfw/scanfw/core/ultrascan"

// carries keeps, per raw technique, what its last host group learnt about
// the path (ultrascan.Carry), so the next group, also of the next
// discovery batch, starts from it rather than cold: a -Pn sweep of a /16
// is 64 groups, and a cold start costs each of them seconds of slow start
// at the initial timeout. Groups and batches run one after another, so no
// lock is needed.
type carries map[string]*ultrascan.Carry

// of returns the carry of the technique that scans with plugin id.
func (c carries) of(id string) *ultrascan.Carry {
	if c == nil {
		return nil
	}
	if c[id] == nil {
		c[id] = new(ultrascan.Carry)
	}
	return c[id]
}
