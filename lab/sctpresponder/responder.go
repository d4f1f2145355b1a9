// Package sctpresponder answers SCTP probes in user space for the lab. The
// machine's kernel has no SCTP module, so without it a lab host answers
// every SCTP packet with ICMP protocol unreachable. A raw IPPROTO_SCTP
// socket receives the host's SCTP packets instead (and, once one exists,
// Linux no longer sends protocol unreachable), and Answer replies as an
// RFC 9260 stack would to the packets a port scanner sends:
//
//   - INIT to an open port: INIT-ACK (with a state cookie), tagged with the
//     INIT's initiate tag;
//   - INIT to any other port: ABORT tagged with the initiate tag (§5.1);
//   - COOKIE-ECHO to an open port: dropped, since the cookie cannot be
//     valid (§5.1.5); to any other port: ABORT reflecting the packet's
//     verification tag with the T bit set (§8.4 rule 8);
//   - anything to a dropped port, packets with a bad CRC32c, and every
//     other chunk: no answer.
//
// It holds no associations: a scanner never completes one.
package sctpresponder

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
)

// Config says what each port does; a port in neither list is closed.
type Config struct {
	Open []uint16 // INIT-ACK to INIT
	Drop []uint16 // never answer
}

// Chunk types (RFC 9260 §3.2).
const (
	chunkInit       = 1
	chunkInitAck    = 2
	chunkAbort      = 6
	chunkCookieEcho = 10
)

const headerLen = 12

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the packet's CRC32c with its checksum field taken as zero,
// as the wire carries it (least significant byte first).
func Checksum(pkt []byte) uint32 {
	c := append([]byte(nil), pkt...)
	clear(c[8:12])
	return crc32.Checksum(c, castagnoli)
}

// Answer returns the SCTP packet to send back for pkt (an SCTP packet
// without IP header), or nil for no answer.
func (c Config) Answer(pkt []byte) []byte {
	if len(pkt) < headerLen+4 || binary.LittleEndian.Uint32(pkt[8:]) != Checksum(pkt) {
		return nil
	}
	sport, dport := binary.BigEndian.Uint16(pkt[0:]), binary.BigEndian.Uint16(pkt[2:])
	vtag := binary.BigEndian.Uint32(pkt[4:])
	chunk := pkt[headerLen:]
	chunkLen := int(binary.BigEndian.Uint16(chunk[2:]))
	if chunkLen < 4 || chunkLen > len(chunk) || slices.Contains(c.Drop, dport) {
		return nil
	}
	open := slices.Contains(c.Open, dport)
	switch chunk[0] {
	case chunkInit:
		// An INIT must carry tag 0 and be alone in its packet (§8.4).
		if vtag != 0 || chunkLen < 20 {
			return nil
		}
		initTag := binary.BigEndian.Uint32(chunk[4:])
		if open {
			return reply(dport, sport, initTag, initAck(initTag))
		}
		return reply(dport, sport, initTag, []byte{chunkAbort, 0, 0, 4})
	case chunkCookieEcho:
		if open {
			return nil
		}
		return reply(dport, sport, vtag, []byte{chunkAbort, 1, 0, 4}) // T bit: tag reflected
	}
	return nil
}

// initAck is an INIT-ACK chunk with our own parameters and an 8-byte
// state cookie; the scanner never echoes it.
func initAck(peerTag uint32) []byte {
	b := make([]byte, 20+12)
	b[0] = chunkInitAck
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint32(b[4:], peerTag^0x5c7b5c7b|1) // our initiate tag: non-zero
	binary.BigEndian.PutUint32(b[8:], 65536)                // a_rwnd
	binary.BigEndian.PutUint16(b[12:], 10)                  // outbound streams
	binary.BigEndian.PutUint16(b[14:], 10)                  // inbound streams
	binary.BigEndian.PutUint32(b[16:], 1)                   // initial TSN
	binary.BigEndian.PutUint16(b[20:], 7)                   // parameter: state cookie
	binary.BigEndian.PutUint16(b[22:], 12)
	copy(b[24:], "scanfwlb")
	return b
}

func reply(sport, dport uint16, vtag uint32, chunk []byte) []byte {
	b := make([]byte, headerLen+len(chunk))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], vtag)
	copy(b[headerLen:], chunk)
	binary.LittleEndian.PutUint32(b[8:], Checksum(b))
	return b
}
