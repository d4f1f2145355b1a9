// Package hostping finds out which hosts are up with raw probes, as Nmap's
// privileged host discovery does (nmap-internals §4): ARP on a directly
// connected Ethernet link, IPv6 neighbour solicitation on one, and otherwise
// ICMP echo, timestamp and address-mask requests, TCP SYN and ACK segments,
// UDP datagrams and ICMPv6 echo requests.
//
// What goes on the wire: ARP requests are whole Ethernet frames on an
// AF_PACKET socket bound to the link; every other probe is an IP payload on a
// raw socket of its protocol (the kernel adds the IP header, routes and
// resolves the next hop), so discovery needs no MAC of its own past ARP and
// works on any interface. Replies are read from raw sockets of the same
// protocols: Linux hands a copy of every ICMP, TCP and UDP packet to them.
//
// Matching: every probe of a run carries the run's random identity (the ICMP
// identifier, the TCP and UDP source port); a reply counts only when it comes
// from the probed address (or, for an ICMP error, quotes a probe to it) and
// carries that identity back. Reply rules are Nmap's (§4.3): an echo,
// timestamp or mask reply, a SYN/ACK or RST, any UDP answer, and a port or
// protocol unreachable from the target itself make the host up; other
// unreachables only hint why it is down; ARP and ND answers make it up and
// give its MAC. A host is done at its first positive reply.
//
// Timing (timing.go): probes go out in Nmap's order per host (echo, SYN,
// ACK, timestamp, UDP, mask), host after host, paced by --max-rate when
// given; an unanswered host's retransmission follows a short spacing after
// its first try (a quarter of the timeout, at most 100 ms), interleaved with
// later hosts' first tries, and the run ends one timeout after the last
// probe. The timeout is learnt from the answers so far (srtt + 4 rttvar,
// clamped by --min/--max-rtt-timeout), link-layer and IP apart. Each up host
// keeps the round trip of its answer, which seeds its port scan.
package hostping
