package cookie

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Source-port bases follow Nmap's scheme: a base in [BaseMin, BaseMin+BaseSpan),
// probe try t leaves from base+t, and every scan phase moves the base by 256 so
// late replies to an earlier phase land outside the current phase's port range.
const (
	BaseMin  = 33000
	BaseSpan = 32261
	// MaxTry is the highest try number a source port or sequence number can carry.
	MaxTry = 255
)

// Key is the secret of one scan. Without it nobody off-path can build a reply
// that validates, and replies to another scan (another key) never validate.
type Key struct{ k0, k1 uint64 }

// NewKey draws a key from crypto/rand.
func NewKey() (Key, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Key{}, fmt.Errorf("cookie key: %w", err)
	}
	return KeyFrom(b), nil
}

// KeyFrom builds a key from fixed bytes (tests, reproducible runs).
func KeyFrom(b [16]byte) Key {
	return Key{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// RandomBase draws a first source-port base for a scan.
func RandomBase() (uint16, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("cookie base port: %w", err)
	}
	return uint16(BaseMin + binary.LittleEndian.Uint32(b[:])%BaseSpan), nil
}

// NextBase is the base of the phase after the one that used prev (Nmap's
// increment_base_port). A prev outside the range restarts at its start.
func NextBase(prev uint16) uint16 {
	if prev < BaseMin || prev >= BaseMin+BaseSpan {
		return BaseMin
	}
	return uint16(BaseMin + (int(prev)-BaseMin+256)%BaseSpan)
}

// Matcher writes and checks the cookies of one scan phase. Its fields are fixed
// for the phase, so one value is shared by senders and receivers without locks.
//
// All addresses and ports are given from the probe's point of view: Src is our
// address and SrcPort our port, also when checking a reply (whose fields are
// swapped by the caller).
type Matcher struct {
	key Key
	// base is the source port of try 0, or the only source port if fixed.
	base  uint16
	fixed bool
}

// New returns a matcher whose probes leave from base+try.
func New(key Key, base uint16) Matcher { return Matcher{key: key, base: base} }

// NewFixedPort returns a matcher for --source-port: every probe leaves from port
// and the try number travels only in the sequence number.
func NewFixedPort(key Key, port uint16) Matcher {
	return Matcher{key: key, base: port, fixed: true}
}

// SrcPort is the source port of a probe's try.
func (m Matcher) SrcPort(try uint8) uint16 {
	if m.fixed {
		return m.base
	}
	return m.base + uint16(try)
}

// Seq is the TCP sequence number of a probe: the top 24 bits are a keyed hash of
// the probe's addresses, ports and try, the low 8 bits the try in clear so it can
// be read back without per-probe state.
func (m Matcher) Seq(src, dst netip.Addr, srcPort, dstPort uint16, try uint8) uint32 {
	return m.hash(src, dst, srcPort, dstPort, try)&^0xff | uint32(try)
}

// CheckSeq validates a sequence number quoted back to us (an ICMP error carries
// the probe's header) and returns the probe's try.
func (m Matcher) CheckSeq(src, dst netip.Addr, srcPort, dstPort uint16, seq uint32) (try uint8, ok bool) {
	try = uint8(seq)
	if !m.portFits(srcPort, try) {
		return 0, false
	}
	if m.hash(src, dst, srcPort, dstPort, try)&^0xff != seq&^0xff {
		return 0, false
	}
	return try, true
}

// CheckAck validates the acknowledgement number of a TCP reply (SYN/ACK or RST
// to a SYN acknowledges seq+1) and returns the probe's try.
func (m Matcher) CheckAck(src, dst netip.Addr, srcPort, dstPort uint16, ack uint32) (try uint8, ok bool) {
	return m.CheckSeq(src, dst, srcPort, dstPort, ack-1)
}

// portFits rejects replies to ports this phase never sent from before any
// hashing: most stray traffic fails here.
func (m Matcher) portFits(srcPort uint16, try uint8) bool {
	if m.fixed {
		return srcPort == m.base
	}
	return srcPort == m.base+uint16(try)
}

func (m Matcher) hash(src, dst netip.Addr, srcPort, dstPort uint16, try uint8) uint32 {
	// 16+16 address bytes (IPv4 as IPv4-mapped), 2+2 ports, 1 try.
	var b [37]byte
	s, d := src.As16(), dst.As16()
	copy(b[0:16], s[:])
	copy(b[16:32], d[:])
	binary.BigEndian.PutUint16(b[32:], srcPort)
	binary.BigEndian.PutUint16(b[34:], dstPort)
	b[36] = try
	h := sipHash24(m.key.k0, m.key.k1, b[:])
	return uint32(h) ^ uint32(h>>32)
}
