// Package packettrace prints what --packet-trace shows: one line per probe
// sent and per packet received, in Nmap's layout, so people who read Nmap's
// traces (and scripts that grep them) read ours.
//
//	SENT (0.0314s) TCP 127.0.0.1:50018 > 127.0.0.1:80 S ttl=40 id=30235 iplen=44  seq=2701720303 win=1024 <mss 1460>
//	RCVD (0.0314s) TCP 127.0.0.1:80 > 127.0.0.1:50018 RA ttl=64 id=0 iplen=40  seq=0 win=0
//	RCVD (0.0414s) ICMP [127.0.0.1 > 127.0.0.1 Port 161 unreachable (type=3/code=3) ] IP [ttl=64 id=48312 iplen=116 ]
//	CONN (0.0185s) TCP localhost > 127.0.0.1:22 => Connection refused
//
// Describe is the pure part: it renders one IP packet the way Nmap's
// low-detail packet summary does, quirks included (the IPv4 summary ends in
// a space, so "iplen=44  seq" has two; the ACK number is not shown). It
// reads only the bytes it is given, so a packet cut short by the capture
// length is described as far as it goes, never read past.
//
// The neighbour advertisement that answers an ND ping gets a line of its
// own, as in Nmap (DescribeNeighbourAdvert; other ICMPv6 is summarised by
// type and code):
//
//	RCVD (0.0066s) neighbor advertisement 2001:db8:1::2 > 2001:db8:1::1 2001:db8:1::2 is at d6:61:d7:b8:35:14
//
// A Tracer adds the direction and the time since the scan started and
// writes whole lines under a lock; the drivers (core/rawscan,
// core/connectscan, core/hostping) hold a nil *Tracer when tracing is off, so the cost
// then is one nil check per packet.
package packettrace
