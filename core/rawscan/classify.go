package rawscan

import (
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// classifier applies a probe type's declarative reply rules to decoded
// replies. What a reply means comes only from the rules: the core never
// decides on its own that a SYN/ACK is open.
type classifier struct {
	rules []sdk.ReplyRule
	// defeatRST: a closed-port RST is worth what an ICMP error is
	// (--defeat-rst-ratelimit).
	defeatRST bool
	// defeatICMP: so is the target's own port unreachable
	// (--defeat-icmp-ratelimit): losing it to the limit is no drop, so it
	// neither boosts the scan delay nor earns more tries, as in Nmap.
	defeatICMP bool
}

// classify returns the index of the first rule that matches r, or -1. A
// rule whose verdict has no state marks a reply to ignore; so does no rule.
func (c *classifier) classify(r *rawio.Reply, fromTarget bool) int {
	for i := range c.rules {
		if matches(&c.rules[i].Match, r, fromTarget) {
			if c.rules[i].Verdict.State == sdk.StateUnknown {
				return -1
			}
			return i
		}
	}
	return -1
}

func (c *classifier) verdict(i int) sdk.Verdict { return c.rules[i].Verdict }

// response says what a reply matched by rule i is worth for timing. ICMP
// errors are rate-limited by routers and stacks (RFC 1812), so their absence
// proves no loss and they never time the host as pings. A TCP answer from
// the target makes the probe a timing-ping candidate, a reset better than a
// handshake because it leaves no half-open connection (Nmap's
// pingprobe_score: 6 and 3).
func (c *classifier) response(i int) ultrascan.Response {
	r := c.rules[i]
	switch r.Match.Kind {
	case sdk.MatchICMP:
		if r.Verdict.State == sdk.StateClosed && !c.defeatICMP {
			// The target's own "nobody here" (UDP's port unreachable) is
			// the closed-port answer, as a RST is for TCP: losing it to
			// the target's rate limit is exactly what retransmissions
			// and scan-delay boosts must see (Nmap's pingprobe_score 2).
			return ultrascan.Response{Kind: ultrascan.Positive, PingScore: 2}
		}
		return ultrascan.Response{Kind: ultrascan.RateLimited}
	case sdk.MatchUDP:
		return ultrascan.Response{Kind: ultrascan.Positive, PingScore: 3}
	case sdk.MatchTCP, sdk.MatchSCTP:
		// An SCTP INIT-ACK or ABORT is to an SCTP scan what a SYN/ACK or
		// RST is to a TCP one (Nmap scores them alike).
		if r.Verdict.State == sdk.StateOpen {
			return ultrascan.Response{Kind: ultrascan.Positive, PingScore: 3}
		}
		if c.defeatRST && r.Match.Kind == sdk.MatchTCP && r.Verdict.State == sdk.StateClosed {
			return ultrascan.Response{Kind: ultrascan.RateLimited}
		}
		return ultrascan.Response{Kind: ultrascan.Positive, PingScore: 6}
	}
	return ultrascan.Response{Kind: ultrascan.Positive}
}

func matches(m *sdk.ReplyMatch, r *rawio.Reply, fromTarget bool) bool {
	if m.FromTarget >= 0 && (m.FromTarget == 1) != fromTarget {
		return false
	}
	switch m.Kind {
	case sdk.MatchTCP:
		if r.Proto != 6 || r.Flags&m.TCPFlagsMask != m.TCPFlags {
			return false
		}
		switch m.TCPWindow {
		case 0:
			return r.Window == 0
		case 1:
			return r.Window != 0
		}
		return true
	case sdk.MatchICMP:
		if !r.IsICMPError() || m.ICMPv6 != (r.Proto == 58) {
			return false
		}
		return (m.ICMPType < 0 || int(r.ICMPType) == m.ICMPType) &&
			(m.ICMPCode < 0 || int(r.ICMPCode) == m.ICMPCode)
	case sdk.MatchUDP:
		return r.Proto == 17
	case sdk.MatchSCTP:
		return r.Proto == protoSCTP && r.Chunk == m.SCTPChunk
	}
	// Connect outcomes and IP-protocol replies never reach a raw TCP, UDP
	// or SCTP scan.
	return false
}
