package rawscan

import (
	"net/netip"

	"github.com/scanfw/scanfw/core/cookie"
	"github.com/scanfw/scanfw/core/rawio"
)

// anyTry marks a reply whose try cannot be read back (a bare SYN or RST
// with a fixed source port): it is credited to the port's newest probe.
const anyTry = 0xff

// event is a validated, classified reply, small enough to pass by value.
type event struct {
	host int32
	port uint16
	try  uint8
	ttl  uint8
	rule int16
}

// matcher validates replies statelessly: a reply counts only if it carries
// the cookie of a probe we sent (the acknowledgement of a SYN/ACK or RST,
// or the sequence number quoted in an ICMP error). It is read-only after
// construction, so every receiver goroutine shares one.
type matcher struct {
	m     cookie.Matcher
	fixed bool // --source-port: the try travels only in the sequence number
	proto uint8
	hosts map[netip.Addr]int32
	cls   *classifier
	// payload is the --data-length: a RST to a SYN that carried data
	// acknowledges the data too (seq + 1 + payload).
	payload uint32
}

// match validates r, received on a path whose source address is src, and
// classifies it. ok is false for anything that is not an answer to one of
// our probes, or that the rules ignore.
func (mt *matcher) match(r *rawio.Reply, src netip.Addr) (ev event, ok bool) {
	var (
		target     netip.Addr
		port, ours uint16
		try        uint8
		fromTarget bool
	)
	switch {
	case r.Proto == 6:
		if r.Dst != src {
			return ev, false
		}
		target, port, ours, fromTarget = r.Src, r.SrcPort, r.DstPort, true
		if r.Flags&rawio.FlagACK != 0 {
			try, ok = mt.m.CheckAck(src, target, ours, port, r.Ack)
			if !ok && mt.payload > 0 {
				try, ok = mt.m.CheckAck(src, target, ours, port, r.Ack-mt.payload)
			}
			if !ok {
				return ev, false
			}
			break
		}
		// No acknowledgement to check (a split-handshake SYN, a bare RST).
		// On lo we also see our own probes and our kernel's resets to the
		// target's SYN/ACKs arrive: both carry our cookie (or cookie+1) in
		// their own sequence number, which a target's packet cannot.
		if _, own := mt.m.CheckSeq(r.Src, r.Dst, r.SrcPort, r.DstPort, r.Seq); own {
			return ev, false
		}
		if _, own := mt.m.CheckSeq(r.Src, r.Dst, r.SrcPort, r.DstPort, r.Seq-1); own {
			return ev, false
		}
		if try, ok = mt.portTry(ours); !ok {
			return ev, false
		}
	case r.IsICMPError():
		q := &r.Quoted
		if q.Src != src || q.Proto != mt.proto {
			return ev, false
		}
		target, port, fromTarget = q.Dst, q.DstPort, r.Src == q.Dst
		if try, ok = mt.m.CheckSeq(q.Src, q.Dst, q.SrcPort, q.DstPort, q.Seq); !ok {
			return ev, false
		}
	default:
		return ev, false
	}
	h, known := mt.hosts[target]
	if !known {
		return ev, false
	}
	rule := mt.cls.classify(r, fromTarget)
	if rule < 0 {
		return ev, false
	}
	return event{host: h, port: port, try: try, ttl: r.TTL, rule: int16(rule)}, true
}

// portTry reads the try back from our source port alone.
func (mt *matcher) portTry(ours uint16) (uint8, bool) {
	base := mt.m.SrcPort(0)
	if mt.fixed {
		return anyTry, ours == base
	}
	d := ours - base
	if d > cookie.MaxTry || ours < base {
		return 0, false
	}
	return uint8(d), true
}
