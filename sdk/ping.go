package sdk

// HostVerdict is what a reply to a discovery (ping) probe says about its
// host. A ping probe type is an ordinary probe type whose rules carry host
// verdicts: the core sends its templates to each target during host
// discovery and reads the first rule a reply matches.
type HostVerdict uint8

const (
	// HostUnspecified: the reply says nothing about the host (ignored).
	HostUnspecified HostVerdict = iota
	// HostUp: the host is up; the rule's Reason is what Nmap reports
	// (echo-reply, syn-ack, reset, port-unreach, proto-unreach, ...).
	HostUp
	// HostDownHint: the host stays down unless another probe finds it, and
	// the Reason says why (host-unreach from a router, ...).
	HostDownHint
)

func (h HostVerdict) String() string {
	switch h {
	case HostUp:
		return "up"
	case HostDownHint:
		return "down-hint"
	}
	return "unspecified"
}

// Slots in ping templates, beside the port scan's: in an ICMP or ICMPv6
// template, SlotCookie (width 4) is the identifier and sequence number
// (the core's run identity and the probe's number, echoed by the reply);
// SlotChecksum is the Internet checksum (ICMPv4, TCP, UDP; the kernel fills
// it over IPv6) or, in an SCTP template (IP protocol 132), the CRC32c of
// the whole packet.

// PingErrorRules returns Nmap's reading of ICMP errors about a ping probe
// (nmap-internals §4.3): a port or protocol unreachable from the target
// itself proves it is up; every other unreachable or time-exceeded, or one
// from a router, only hints that it is down, with that error's reason.
func PingErrorRules() []ReplyRule {
	var out []ReplyRule
	for _, e := range []struct {
		v6        bool
		typ, code int
		reason    string
	}{{false, 3, 3, "port-unreach"}, {false, 3, 2, "proto-unreach"}, {true, 1, 4, "port-unreach"}} {
		m := Any(MatchICMP)
		m.ICMPv6, m.ICMPType, m.ICMPCode, m.FromTarget = e.v6, e.typ, e.code, 1
		out = append(out, ReplyRule{Match: m, Verdict: Verdict{Reason: e.reason, Host: HostUp}})
	}
	for _, r := range ICMPErrorRules() {
		r.Verdict = Verdict{Reason: r.Verdict.Reason, Host: HostDownHint}
		out = append(out, r)
	}
	return out
}
