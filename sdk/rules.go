package sdk

// Any returns a ReplyMatch of kind k that matches every reply of that kind:
// its numeric fields are -1, "any". Probe types start from it and narrow
// the fields they care about.
func Any(k MatchKind) ReplyMatch {
	return ReplyMatch{Kind: k, TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1}
}

// icmpErrors are the ICMP errors that Nmap reads as a filtered port
// (nmap-internals §3.1), with the reason names Nmap prints. Other
// unreachable codes say nothing about the port and are ignored.
var icmpErrors = []struct {
	v6         bool
	typ, code  int
	reasonName string
}{
	{false, 3, 0, "net-unreach"},
	{false, 3, 1, "host-unreach"},
	{false, 3, 2, "proto-unreach"},
	{false, 3, 3, "port-unreach"},
	{false, 3, 9, "net-prohibited"},
	{false, 3, 10, "host-prohibited"},
	{false, 3, 13, "admin-prohibited"},
	{false, 11, -1, "time-exceeded"},
	{true, 1, 0, "no-route"},
	{true, 1, 1, "admin-prohibited"},
	{true, 1, 2, "beyond-scope"},
	{true, 1, 3, "host-unreach"},
	{true, 1, 4, "port-unreach"},
	{true, 1, 5, "admin-prohibited"},
	{true, 1, 6, "reject-route"},
	{true, 3, -1, "time-exceeded"},
}

// ICMPErrorRules returns Nmap's rules for ICMP errors quoting a port probe:
// each of them marks the port filtered, from whichever router it came.
// Every TCP, UDP and SCTP technique needs them; a technique that reads one
// differently (UDP: port unreachable from the target means closed) puts its
// own rule first, since the first matching rule wins.
func ICMPErrorRules() []ReplyRule {
	out := make([]ReplyRule, 0, len(icmpErrors))
	for _, e := range icmpErrors {
		m := Any(MatchICMP)
		m.ICMPv6, m.ICMPType, m.ICMPCode = e.v6, e.typ, e.code
		out = append(out, ReplyRule{Match: m, Verdict: Verdict{State: StateFiltered, Reason: e.reasonName}})
	}
	return out
}
