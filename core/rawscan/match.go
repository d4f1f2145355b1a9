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
	// tcp says where a TCP probe's cookie travels and how replies echo it.
	tcp tcpEcho
}

// tcpEcho is how a TCP reply carries our cookie back, read from the
// template's flags and the offset of its cookie slot (RFC 793, reset
// generation): a probe without ACK is acknowledged (ack = seq + SYN + FIN
// + data), a probe with ACK gets a reset whose sequence number is our
// acknowledgement number.
type tcpEcho struct {
	inAck  bool   // the cookie is the probe's acknowledgement number
	seqLen uint32 // sequence space the probe's flags take: SYN and FIN count one each
}

// tcpEchoOf reads the echo rule from a TCP template.
func tcpEchoOf(l4 []byte, cookieOff int) tcpEcho {
	var e tcpEcho
	if len(l4) > 13 {
		f := l4[13]
		if f&rawio.FlagSYN != 0 {
			e.seqLen++
		}
		if f&rawio.FlagFIN != 0 {
			e.seqLen++
		}
	}
	e.inAck = cookieOff == 8
	return e
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
		if mt.tcp.inAck {
			// A reset to a probe with ACK set: its sequence number is our
			// acknowledgement, the cookie itself.
			if try, ok = mt.m.CheckSeq(src, target, ours, port, r.Seq); !ok {
				return ev, false
			}
			break
		}
		if r.Flags&rawio.FlagACK != 0 {
			try, ok = mt.m.CheckSeq(src, target, ours, port, r.Ack-mt.tcp.seqLen)
			if !ok && mt.payload > 0 {
				try, ok = mt.m.CheckSeq(src, target, ours, port, r.Ack-mt.tcp.seqLen-mt.payload)
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
	case r.Proto == 17:
		if r.Dst != src || mt.proto != 17 {
			return ev, false
		}
		target, port, ours, fromTarget = r.Src, r.SrcPort, r.DstPort, true
		// On lo our own probes arrive too, from our cookie port: a
		// datagram from a port of ours to ourselves is one of them.
		if r.Src == r.Dst {
			if _, own := mt.portTry(r.SrcPort); own {
				return ev, false
			}
		}
		if try, ok = mt.portTry(ours); !ok {
			return ev, false
		}
	case r.Proto == protoSCTP:
		if r.Dst != src || mt.proto != protoSCTP {
			return ev, false
		}
		target, port, fromTarget = r.Src, r.SrcPort, true
		if try, ok = mt.sctpTry(r, src); !ok {
			return ev, false
		}
	case r.IsICMPError():
		q := &r.Quoted
		if q.Src != src || q.Proto != mt.proto {
			return ev, false
		}
		target, port, fromTarget = q.Dst, q.DstPort, r.Src == q.Dst
		quoted := q.Seq
		if q.Proto == 6 && mt.tcp.inAck {
			quoted = q.Ack
		}
		if q.Proto == protoSCTP && quoted == 0 {
			// Quoted too short to reach the INIT's initiate tag: the
			// source port alone says the probe was ours.
			if try, ok = mt.portTry(q.SrcPort); !ok {
				return ev, false
			}
		} else if q.Proto == 17 {
			// A UDP probe's cookie is its source port.
			if try, ok = mt.portTry(q.SrcPort); !ok {
				return ev, false
			}
		} else if try, ok = mt.m.CheckSeq(q.Src, q.Dst, q.SrcPort, q.DstPort, quoted); !ok {
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
