// Package cookie matches replies to raw probes without remembering the probes.
//
// A SYN scan of 65,535 ports on thousands of hosts cannot keep a record per probe,
// and it must not believe a reply it did not ask for: a late RST from an earlier
// phase, a reply to another scanner on the same host, or a packet forged by
// someone who guessed our ports. So every probe carries a cookie:
//
//   - the source port is base+try (as in Nmap), and the base moves by 256 for
//     each scan phase (NextBase), so a reply to an earlier phase's port is
//     rejected before any hashing;
//   - the TCP sequence number is a SipHash-2-4 of (our address, target address,
//     our port, target port, try) under a random per-scan key, with the try in
//     its low 8 bits.
//
// A SYN/ACK or RST acknowledges seq+1, so CheckAck(ack) recomputes the hash for
// the try found in ack-1 and accepts the reply only if 24 keyed bits agree: a
// blind forger succeeds once in 16.7 million tries, per port. An ICMP error
// quotes our TCP header, and CheckSeq checks the quoted sequence number.
//
// With --source-port (NewFixedPort) every try leaves from the same port and the
// try is read from the sequence number alone.
//
// Pitfall: all arguments are from the probe's point of view. When checking a
// reply, pass the reply's destination as src and its source as dst.
package cookie
