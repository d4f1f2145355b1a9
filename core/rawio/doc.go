// Package rawio sends and receives raw probe frames at full speed without
// libpcap.
//
// Sending: a TCPTemplate is serialized once with gopacket (Ethernet + IPv4/IPv6
// + TCP, MSS option, --data-length payload); Write stamps ports, sequence
// number, TTL and IP ID into a caller's buffer and finishes the IPv4 and TCP
// checksums from precomputed sums: about 11 ns and no allocation per probe. A
// Sender queues frames in preallocated slots and sends them with sendmmsg on an
// AF_PACKET socket (128 per call by default); run one Sender per CPU.
//
// Receiving: a Receiver is an AF_PACKET socket for ETH_P_IP or ETH_P_IPV6 on one
// interface, with a classic BPF filter (TCP and ICMP to our address, cut to 192
// bytes) and a TPACKET_V3 mmap ring. Poll walks retired blocks in place and
// decodes each frame into one reused Reply: 7 ns, no allocation. gopacket's
// DecodingLayerParser also does not allocate but takes 52 ns per frame, so the
// hot loop uses the hand-written decoder and gopacket checks it in the tests.
//
// The kernel of the scanning host answers every SYN/ACK we receive with an RST,
// since no socket of its own asked for it. That is fine for a SYN scan and what
// Nmap's scans cause too; it also keeps the target from holding half-open
// connections.
//
// Pitfalls: gopacket pads Ethernet frames to 60 bytes, so segment lengths come
// from the IP header, never the frame length. On lo, frames sent through
// AF_PACKET re-enter the stack as received packets without a route, and
// ip_route_input drops a loopback destination or a local source arriving that
// way as martian (unless route_localnet): IP counts them, TCP never sees them.
// IPSender (a raw IP socket) is the loopback path: its packets leave with
// their route attached and loop back like the kernel's own. Receiving on lo
// works through AF_PACKET, but every packet is seen twice (outgoing and
// incoming) and our own probes arrive as incoming packets to our address;
// callers recognise them by their cookie.
//
// Opening and closing cost RCU grace periods (synchronize_net, 8-12 ms each
// on the project machine, longer under load): setting up a ring waits one,
// closing a socket waits one and a socket with a ring one more. Binding a
// socket opened with a protocol waits one too (it was already listening on
// every interface), so sockets are opened with protocol 0 and bound to the
// protocol and interface at once. Close several sockets side by side, since
// concurrent waits share a grace period; a -sS -p- of one clean host spent
// 60 ms of its 0.45 s in these waits before they were cut and overlapped.
package rawio
