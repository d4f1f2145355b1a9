package rawscan

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"

	"github.com/scanfw/scanfw/core/rawio"
)

// protoSCTP is SCTP's IP protocol number.
const protoSCTP = 132

// castagnoli is SCTP's checksum polynomial (RFC 9260, appendix A).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumWidth is how wide a checksum slot is: SCTP's CRC32c takes four
// bytes, the Internet checksum of every other protocol two.
func checksumWidth(proto uint8) int {
	if proto == protoSCTP {
		return 4
	}
	return 2
}

// putSCTPChecksum writes the CRC32c of the whole SCTP packet at off. Unlike
// the Internet checksum it covers no pseudo-header, and it goes on the wire
// least significant byte first (RFC 9260 appendix A; Linux stores it as a
// little-endian word).
func putSCTPChecksum(pkt []byte, off int) {
	binary.LittleEndian.PutUint32(pkt[off:], 0)
	binary.LittleEndian.PutUint32(pkt[off:], crc32.Checksum(pkt, castagnoli))
}

// sctpTry validates an SCTP reply and reads its try. An SCTP probe keeps
// its cookie in a tag the peer must echo as the verification tag of its
// answer: an INIT's initiate tag comes back in the INIT-ACK or ABORT
// (RFC 9260 §5.1, §8.4), a COOKIE-ECHO's own verification tag in the
// ABORT with the T bit (§8.4 rule 8). On lo our own COOKIE-ECHOs arrive
// too: they carry the cookie of their own direction, which an answer
// cannot.
func (mt *matcher) sctpTry(r *rawio.Reply, src netip.Addr) (uint8, bool) {
	if r.Src == r.Dst {
		if _, own := mt.m.CheckSeq(r.Src, r.Dst, r.SrcPort, r.DstPort, r.Seq); own {
			return 0, false
		}
	}
	return mt.m.CheckSeq(src, r.Src, r.DstPort, r.SrcPort, r.Seq)
}
