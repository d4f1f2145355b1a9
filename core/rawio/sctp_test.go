package rawio

import (
	"encoding/hex"
	"testing"
)

// FuzzDecodeSCTP feeds arbitrary bytes behind an Ethernet and IPv4 header
// that say SCTP, or inside an ICMP error quoting SCTP: decoding must never
// panic, and a decoded SCTP reply has its tag from the bytes given.
func FuzzDecodeSCTP(f *testing.F) {
	// nmap -sY's INIT to 127.0.0.1:80 (IP header onwards).
	init, _ := hex.DecodeString("450000348ad8000026840b6c7f0000017f000001f26600500000000073c44d6301000014ccbc4fed00008000000a0800a2d05ac6")
	f.Add(init[20:], false)
	f.Add(init[20:28], true)
	f.Add(init[20:], true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, l4 []byte, inICMP bool) {
		ip := append([]byte(nil), init[:20]...)
		var frame []byte
		if inICMP {
			outer := append([]byte(nil), init[:20]...)
			outer[9] = 1
			frame = append(append(append(make([]byte, 14), outer...), 3, 2, 0, 0, 0, 0, 0, 0), append(ip, l4...)...)
		} else {
			frame = append(append(make([]byte, 14), ip...), l4...)
		}
		frame[12], frame[13] = 0x08, 0x00
		var r Reply
		if !Decode(frame, &r) || inICMP {
			return
		}
		if r.Proto != 132 || len(l4) < 16 || r.Chunk != l4[12] || r.Seq != uint32(l4[4])<<24|uint32(l4[5])<<16|uint32(l4[6])<<8|uint32(l4[7]) {
			t.Errorf("decoded %+v from % x", r, l4)
		}
	})
}

func TestQuotedSCTPTag(t *testing.T) {
	t.Parallel()
	hdr := func(vtag byte, chunk byte, initTag byte) []byte {
		b := make([]byte, 32)
		b[7], b[12], b[19] = vtag, chunk, initTag
		return b
	}
	cases := []struct {
		name  string
		inner []byte
		want  uint32
	}{
		{"COOKIE-ECHO: its verification tag", hdr(9, SCTPCookieEcho, 0), 9},
		{"INIT: its initiate tag", hdr(0, SCTPInit, 7), 7},
		{"INIT quoted in 8 bytes", hdr(0, SCTPInit, 7)[:8], 0},
		{"four bytes: nothing", hdr(9, SCTPInit, 7)[:4], 0},
		{"tag 0 and not an INIT", hdr(0, SCTPAbort, 7), 0},
	}
	for _, c := range cases {
		if got := quotedSCTPTag(c.inner); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
