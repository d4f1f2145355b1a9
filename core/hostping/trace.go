package hostping

import (
	"encoding/binary"
	"net/netip"
)

// --packet-trace (Config.Trace). ARP requests and replies are whole frames
// and IPv4 replies arrive with their IP header, so those are traced as they
// are. An IPv4 probe leaves as a payload the kernel wraps, so its SENT line
// shows the header the kernel writes by default (TTL 64), with ID 0 where
// the kernel picks its own. IPv6 and ND are not traced: their raw sockets
// show neither header.

// ipv4Packet writes into out (at least 20 bytes longer than payload) the
// IPv4 packet carrying payload from src to dst, and returns it.
func ipv4Packet(out []byte, src, dst netip.Addr, proto uint8, payload []byte) []byte {
	n := 20 + len(payload)
	h := out[:20]
	clear(h)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(n))
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	copy(out[20:n], payload)
	return out[:n]
}
