package sctpresponder

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// probe is an SCTP packet with one chunk, its CRC32c from gopacket.
func probe(t *testing.T, dport uint16, vtag uint32, chunk []byte) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true},
		&layers.SCTP{SrcPort: 40000, DstPort: layers.SCTPPort(dport), VerificationTag: vtag}, gopacket.Payload(chunk))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func initChunk(tag uint32) []byte {
	c := make([]byte, 20)
	c[0] = chunkInit
	binary.BigEndian.PutUint16(c[2:], 20)
	binary.BigEndian.PutUint32(c[4:], tag)
	binary.BigEndian.PutUint32(c[8:], 32768)
	binary.BigEndian.PutUint16(c[12:], 10)
	binary.BigEndian.PutUint16(c[14:], 2048)
	return c
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	c := Config{Open: []uint16{80}, Drop: []uint16{2000}}
	cookieEcho := []byte{chunkCookieEcho, 0, 0, 8, 1, 2, 3, 4}
	cases := []struct {
		name  string
		pkt   []byte
		chunk int // -1: no answer
		flags uint8
		vtag  uint32
	}{
		{"INIT to an open port", probe(t, 80, 0, initChunk(0xabcd)), chunkInitAck, 0, 0xabcd},
		{"INIT to a closed port", probe(t, 81, 0, initChunk(0xabcd)), chunkAbort, 0, 0xabcd},
		{"INIT to a dropped port", probe(t, 2000, 0, initChunk(0xabcd)), -1, 0, 0},
		{"INIT with a non-zero tag", probe(t, 80, 7, initChunk(0xabcd)), -1, 0, 0},
		{"INIT with a bad checksum", func() []byte { p := probe(t, 80, 0, initChunk(1)); p[8] ^= 1; return p }(), -1, 0, 0},
		{"COOKIE-ECHO to an open port", probe(t, 80, 0x1234, cookieEcho), -1, 0, 0},
		{"COOKIE-ECHO to a closed port", probe(t, 81, 0x1234, cookieEcho), chunkAbort, 1, 0x1234},
		{"ABORT is never answered", probe(t, 81, 0x1234, []byte{chunkAbort, 0, 0, 4}), -1, 0, 0},
		{"a chunk longer than the packet", probe(t, 81, 0, []byte{chunkInit, 0, 0, 40}), -1, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := c.Answer(tc.pkt)
			if tc.chunk < 0 {
				if out != nil {
					t.Fatalf("answered % x", out)
				}
				return
			}
			p := gopacket.NewPacket(out, layers.LayerTypeSCTP, gopacket.Default)
			s, ok := p.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			if !ok {
				t.Fatalf("answer does not decode: %v", p)
			}
			if s.SrcPort != layers.SCTPPort(binary.BigEndian.Uint16(tc.pkt[2:])) || s.DstPort != 40000 ||
				s.VerificationTag != tc.vtag || int(s.Payload[0]) != tc.chunk || s.Payload[1] != tc.flags {
				t.Errorf("answer %+v chunk % x", s, s.Payload[:2])
			}
			if binary.LittleEndian.Uint32(out[8:]) != Checksum(out) {
				t.Error("answer's checksum is wrong")
			}
		})
	}
}
