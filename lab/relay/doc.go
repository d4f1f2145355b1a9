// Package relay is the lab's impaired link. This kernel has no sch_netem, so
// delay, jitter and loss are applied in user space: a relay process in its
// own namespace owns two veth ends, A and B, and moves every Ethernet frame
// between them (ARP included), each direction with its own Impairment.
//
// Per direction: a receive loop reads a TPACKET_V3 ring on an AF_PACKET
// socket bound to the input interface (ETH_P_ALL, PACKET_IGNORE_OUTGOING and
// a PACKET_OUTGOING check, so the relay never re-forwards what it sent),
// draws the loss decision, copies the frame into a fixed queue slot and gives
// it a release time; a sender sleeps until the earliest release time and
// sends every due frame with sendmmsg on a socket bound to the output
// interface. Frame memory is allocated once (Queue), so the steady state
// allocates nothing.
//
// Timing. A frame's delay counts from its kernel receive timestamp, so time
// spent in the ring (up to the 1 ms block retire timeout) is not added.
// Frames leave up to about 1 ms late (Go timer wake-up); never early.
//
// Order. By default a direction keeps its order: a frame is never released
// before the one ahead of it, so with jitter the effective delay is skewed
// upwards when frames are closer together than the jitter. Config.Reorder
// lets each frame keep its own draw and overtake.
//
// Loss and jitter are drawn from PCG streams derived from Config.Seed and the
// direction, with loss and jitter on separate streams: the same seed and the
// same arrival sequence give the same decisions.
//
// Pitfalls of veth, handled or to handle by the lab:
//   - Checksums: a sender on veth leaves TCP/UDP checksums partial (the
//     receiver trusts the flag, the bytes are not final). The relay
//     completes them (counter csum-fixed); otherwise the far side would drop
//     every re-sent segment.
//   - Segmentation offload: TCP on veth sends 64 KiB GSO frames. The relay
//     drops frames larger than MTU + 18 (counter oversize), so the ends that
//     send into the relay need "ip link set dev X gso_max_segs 1" (or
//     ethtool -K X tso off gso off).
//   - Queue: Config.QueueLen frames per direction (drop-tail, counter
//     queue-full). At rate R and delay D the queue holds about R*D frames.
package relay
