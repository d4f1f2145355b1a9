package portstate

import "github.com/scanfw/scanfw/sdk"

// Update returns the state a port ends up in when a reply proposes a new
// state for a port currently in current (nmap-internals §3.3). Replies often
// disagree, a late RST after a SYN/ACK or an ICMP error after a RST, and the
// rules decide which piece of evidence wins so every technique agrees.
// silenceMeansOpen marks the "noresp-open" techniques (FIN, NULL, Xmas,
// Maimon, UDP, IP protocol), where a reply is stronger evidence than the
// silence that made a port open.
//
// StateUnknown as current means no answer so far; as proposed it means the
// reply carried no verdict and changes nothing.
func Update(current, proposed sdk.PortState, silenceMeansOpen bool) sdk.PortState {
	if proposed == sdk.StateUnknown || current == sdk.StateUnknown {
		if proposed == sdk.StateUnknown {
			return current
		}
		return proposed
	}
	switch current {
	case sdk.StateOpen:
		if silenceMeansOpen {
			return proposed
		}
		return current
	case sdk.StateClosed:
		if proposed == sdk.StateFiltered || silenceMeansOpen {
			return current
		}
		return proposed
	case sdk.StateFiltered:
		if proposed == sdk.StateOpen && silenceMeansOpen {
			return current
		}
		return proposed
	case sdk.StateUnfiltered:
		// An ACK scan's RST says the port is reachable; a later ICMP error
		// (often rate limited, from elsewhere) must not undo that.
		if proposed == sdk.StateOpen || proposed == sdk.StateClosed {
			return proposed
		}
		return current
	}
	// open|filtered, closed|filtered: silence-derived or ambiguous, any
	// reply is better evidence.
	return proposed
}
