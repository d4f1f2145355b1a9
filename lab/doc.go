// Package lab is the project's test lab: real network stacks and real daemons in
// network namespaces on this machine, brought up by the test suite (Main) or by
// `make lab-up` / `make lab-down` (lab/lab.mk, command lab/cmd/scanfw-lab).
//
// # Topology
//
// The scanner runs in the root namespace. hosts.go is the one description of the
// lab: every address, port, expected state and daemon package that a test needs
// comes from it, never from literals in tests.
//
//	root ns (scanner)
//	 ├─ sfw-svc  198.18.1.1/24 2001:db8:1::1/64 ── scanfw-svc  .2 / ::2  real Debian daemons
//	 ├─ sfw-fw   198.18.2.1/24 2001:db8:2::1/64 ── scanfw-fw   .2 / ::2  nft rules + scanfw-labd + scanfw-sctp
//	 ├─ sfw-farm 198.18.3.1/24                  ── scanfw-farm .10-.49   rest of the /24 absent
//	 ├─ sfw-wan  198.18.4.1/24 ── scanfw-wanrelay (scanfw-relay) ── scanfw-wan .2
//	 └─ sfw-sink 198.19.255.1/30 2001:db8:ffff::1/64 ── scanfw-sink (drops everything)
//	     routes 198.18.0.0/15 and 2001:db8::/32 via the sink; the hosts' /24 and /64 win
//
// A scan of any lab address that no host holds therefore ends in the sink and
// never leaves the machine. Every lab namespace also rejects any packet it would
// send outside the lab prefixes (egress.go): daemons that resolve names through
// the machine's resolv.conf fail at once instead of sending a query away.
//
// The fw host gives every port state a scanner must tell apart (open, closed by
// the kernel, closed by an nft reset, filtered by drop, filtered by ICMP
// admin-prohibited; UDP open with a reply, open and silent, closed, filtered).
// A listener sits behind every nft rule, so the rule, not a missing socket, makes
// the state.
//
// # Lifecycle
//
// Up records every namespace, link and process under /run/scanfw-lab before
// making it; Down undoes the record (processes by PID and start time, never by
// name), so the next Up or Down cleans up after a crash. Up always starts from
// Down: a lab from `make lab-up` is replaced when a test package starts and gone
// when it ends. The lock /run/scanfw-lab.lock serialises test packages and the
// command. Listeners run as a re-execution of the calling binary (Dispatch), so no
// helper needs building; the wan relay is built with `go build` from the module.
//
// Processes started by the scanfw-lab command outlive it and are reparented; on
// this machine PID 1 does not reap, so after `scanfw-lab down` they may linger as
// zombies (dead, holding no socket). Proc.Alive counts a zombie as gone.
//
// # Pitfalls
//
// Linux rate-limits ICMP errors per destination (net.ipv4.icmp_ratelimit, 1000 ms
// after a burst of about 6; net.ipv6.icmp.ratelimit likewise). Closed and
// admin-prohibited UDP ports and admin-prohibited TCP ports answer with ICMP, so
// the facts keep such ports few enough that one scan stays within the burst, and
// expected-state tests hold under the default limit. A test that needs many ICMP
// answers quickly calls SetICMPRateLimit(ctx, host, 0) and puts 1000 back.
//
// Guard must accept every target before a test sends a packet: it refuses
// anything outside 198.18.0.0/15 and 2001:db8::/32 and anything whose route does
// not leave through one of the running lab's links.
package lab
