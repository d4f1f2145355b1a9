package ultrascan

import "time"

// Carrying a group's state to the next group (the default; never with
// NmapCongestion). A wide scan runs as a series of host groups, each an
// Engine, and each of Nmap's starts from nothing: ten probes in flight and
// the initial timeout. On a -Pn sweep of mostly absent addresses that
// start is the whole cost: a silent group opens its window only one probe
// per timeout of its first tries (silent.go), so every group of a /16
// spends several initial timeouts (500 ms at -T4) in slow start, and its
// absent hosts wait out the initial timeout although the live hosts of
// the groups before timed the path long ago. Groups of one scan go out
// over the same path, so, as TCP shares a closed connection's window and
// RTT with the next one to the same place (RFC 2140, temporal sharing),
// the next group starts from the last one's group window and group RTT.
// A window that congestion cut stays cut; a cut the last group made
// still holds for the next one.

// Carry is what a finished group learnt about the path, for the next
// group of the same technique. The zero Carry carries nothing.
type Carry struct {
	valid bool
	group window
	rtt   rtt
	path  path
}

// Carry returns what e learnt about the path, to Resume the next group
// from. Under NmapCongestion it is the zero Carry.
func (e *Engine) Carry() Carry {
	if e.nmap() {
		return Carry{}
	}
	return Carry{valid: true, group: e.group, rtt: e.groupRTT, path: e.gpath}
}

// Resume starts e's group window and group RTT from c, before its first
// probe. The window's reaction mark moves to now, so only probes of this
// group cut it. Nothing happens for the zero Carry or under
// NmapCongestion.
func (e *Engine) Resume(now time.Time, c Carry) {
	if !c.valid || e.nmap() {
		return
	}
	e.group = c.group
	e.group.cwnd = min(max(e.group.cwnd, e.perf.lowCwnd), e.perf.maxCwnd)
	e.group.lastDrop = now
	e.groupRTT = c.rtt
	e.gpath = c.path
}
