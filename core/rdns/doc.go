// Package rdns finds the names of many addresses at once by reverse DNS, as
// Nmap's massdns does (nmap-internals §4.4): a stub resolver of its own that
// sends PTR queries over UDP to a few servers in parallel, each server with
// a capacity (queries in flight) that grows with answers and shrinks with
// timeouts, so a slow or overloaded server is asked less and a fast one
// more.
//
// On the wire: one PTR question per query ("4.3.2.1.in-addr.arpa." or the
// nibble form under "ip6.arpa."), recursion desired, over a connected UDP
// socket per server; an answer with the TC bit is asked again over TCP to
// the same server. Nothing else is sent.
//
// Per-try read timeouts depend on how many servers there are (1 server:
// 1 s, 1.5 s, 2 s; 2 servers: 1 s, 1 s; 3 or more: 0.5 s, 1 s). When the
// tries on one server are used up the request moves to the next server; a
// request gives up after 3 servers and the address keeps no name.
//
// Addresses found in the hosts file (/etc/hosts) are named from it without
// a query, as Nmap does. System resolves through the operating system's
// resolver instead (--system-dns).
package rdns
