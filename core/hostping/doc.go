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
// Timing (loop.go): the probes are scheduled by the adaptive engine of the
// port scans (core/ultrascan), as Nmap runs its ping scan through
// ultra_scan (§2, §4): each ping probe is one engine "port", in Nmap's order
// per host (echo, SYN, ACK, timestamp, UDP, mask), under the scan's timing
// (-T, the RTT timeouts, --max-retries, --min/max-rate, --scan-delay,
// parallelism). The first positive reply finishes its host and drops its
// other probes; a down hint changes nothing in timing. A silent probe is
// retransmitted a quarter of the timeout later (at most 100 ms), once
// until replies to retransmissions prove loss, without Nmap's 1 s
// rate-limit-detection pause, and a silent host is given up one timeout
// after its last try (see ultrascan/ping.go). Link-layer hosts (ARP, ND) run in an
// engine of their own, starting from Nmap's 200 ms ARP timeout, and IPv4
// and IPv6 hosts apart (their probe lists differ); the engines share
// --min/max-rate in proportion to their probes. Each up host keeps the
// engine's round trip of its answer (the try it names, or the latest),
// which seeds its port scan.
package hostping
