// Package route tells the raw sender where a probe goes: the source address the
// kernel would pick, the output interface (index, name, MTU, MAC), whether the
// target is directly connected or behind a gateway, and the Ethernet address of
// the next hop.
//
// The lookup is `ip route get` done over rtnetlink (RTM_GETROUTE) rather than by
// running ip and parsing its text: no fork per lookup (a few ms each, and a scan
// groups hosts by route), no dependence on iproute2's output format or on it
// being installed, and the kernel's own answer, with policy rules, preferred
// source and route type, arrives as typed attributes.
//
// The next hop's MAC comes from the neighbour table (RTM_GETNEIGH). If there is
// no usable entry, one empty UDP datagram to the next hop's discard port, sent
// from a socket bound to the interface, makes the kernel run ARP or neighbour
// discovery with its own retries; the table is then polled until the entry
// appears or Options.ResolveTimeout (1 s by default) passes. A scan resolves
// a group's hops together (Options.Unresolved, then ResolveAll): every
// missing hop is asked for at once and one table dump per poll answers them
// all, so absent on-link targets cost one timeout per batch of 256, not one
// each.
//
// Destinations on 127.0.0.0/8, ::1 or one of our own addresses route over lo;
// Route.Loopback is set and the MAC is all zeros, which is what frames on lo carry.
//
// -e and -S map to Options.Iface (passed to the kernel as the output interface)
// and Options.Src (replaces the source; the route still decides the interface).
package route
