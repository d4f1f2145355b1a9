package ultrascan

// Silent host groups (the default; never with NmapCongestion). A group
// window grows only on replies, so a group of absent hosts (a -Pn sweep of
// mostly empty address space) keeps its initial ten probes in flight and
// sends ten per timeout: a silent /24 takes Nmap half a minute at -T4 and
// a /16 hours. A timeout is no sign of congestion, and a host that never
// answered has nothing on the path to congest; so while the group window
// was never cut and most of the group's probes went unanswered, the first
// try to a host that never answered grows it as a reply in slow start
// would, up to the window's ceiling. A few live hosts in the range do not
// stop it; a group that mostly answers does, and so does a group path
// that shows congestion now (queueing, or loss too frequent to be
// random). An old cut does not: the window starts from the cut, and
// groups carry their window to the next (carry.go), so a cut made for
// good would leave every later group of a wide sweep at the ten probes
// per timeout this growth exists to avoid.
// silentShare: the growth stops once more than 1/silentShare of the
// group's timing events were replies.
const silentShare = 2

func (e *Engine) silentGrowth(h *host, p *probe) {
	if e.nmap() || p.Ping || p.Try > 0 || h.win.received > 0 ||
		e.gpath.inflated() || e.gpath.lossy() ||
		e.group.received*silentShare >= e.group.expected {
		return
	}
	e.group.cwnd = min(e.group.cwnd+1, e.perf.maxCwnd)
}
