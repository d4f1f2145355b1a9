package rawio

import "encoding/binary"

// SCTP chunk types the scans send or read (RFC 9260, section 3.2).
const (
	SCTPInit       = 1
	SCTPInitAck    = 2
	SCTPAbort      = 6
	SCTPCookieEcho = 10
	SCTPCookieAck  = 11
)

// sctpHeaderLen is the common header: ports, verification tag, checksum.
const sctpHeaderLen = 12

// decodeSCTP reads an SCTP packet's ports, verification tag (into Seq) and
// first chunk type. The checksum is not verified: the tag must carry our
// cookie, which a corrupted packet will not.
func decodeSCTP(l4 []byte, r *Reply) decodeResult {
	if len(l4) < sctpHeaderLen+4 {
		return tooShort
	}
	r.SrcPort = binary.BigEndian.Uint16(l4[0:])
	r.DstPort = binary.BigEndian.Uint16(l4[2:])
	r.Seq = binary.BigEndian.Uint32(l4[4:])
	r.Chunk = l4[sctpHeaderLen]
	r.Flags, r.Ack, r.Window = 0, 0, 0
	return decoded
}

// quotedSCTPTag is the tag an ICMP error's quoted SCTP probe carries: the
// verification tag of the common header, or, for an INIT (whose
// verification tag must be zero), the initiate tag of its first chunk when
// the error quotes that far. Either is where an SCTP probe keeps its
// cookie; zero means the quote is too short to tell.
func quotedSCTPTag(inner []byte) uint32 {
	if len(inner) < 8 {
		return 0
	}
	if tag := binary.BigEndian.Uint32(inner[4:]); tag != 0 {
		return tag
	}
	if len(inner) >= sctpHeaderLen+8 && inner[sctpHeaderLen] == SCTPInit {
		return binary.BigEndian.Uint32(inner[sctpHeaderLen+4:])
	}
	return 0
}
