package rawscan

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/sdk"
)

// nmapINIT is an IPv4 SCTP INIT that nmap 7.93 -sY sent to 127.0.0.1:80,
// captured on lo: its checksum is the reference for ours.
const nmapINIT = "450000348ad8000026840b6c7f0000017f000001f26600500000000073c44d6301000014ccbc4fed00008000000a0800a2d05ac6"

// nmapCookieEcho is nmap -sZ's COOKIE-ECHO, captured the same way.
const nmapCookieEcho = "45000028753800002c841b187f0000017f000001e99b00508887fa828b9940ae0a0000081e8c53b1"

// TestSCTPChecksumMatchesNmap recomputes the CRC32c of packets Nmap sent:
// the bytes and their order on the wire must be Nmap's.
func TestSCTPChecksumMatchesNmap(t *testing.T) {
	t.Parallel()
	for name, h := range map[string]string{"INIT": nmapINIT, "COOKIE-ECHO": nmapCookieEcho} {
		pkt, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		sctp := append([]byte(nil), pkt[20:]...)
		want := append([]byte(nil), sctp[8:12]...)
		putSCTPChecksum(sctp, 8)
		if !bytes.Equal(sctp[8:12], want) {
			t.Errorf("%s: checksum % x, Nmap sent % x", name, sctp[8:12], want)
		}
	}
}

// sctpTemplates are the INIT and COOKIE-ECHO probes as the plugins
// declare them (the core may not import the plugins).
func sctpInitTemplate() sdk.PacketTemplate {
	l4 := make([]byte, 32)
	l4[12] = rawio.SCTPInit
	binary.BigEndian.PutUint16(l4[14:], 20)
	binary.BigEndian.PutUint32(l4[20:], 32768)
	binary.BigEndian.PutUint16(l4[24:], 10)
	binary.BigEndian.PutUint16(l4[26:], 2048)
	return sdk.PacketTemplate{Name: "init", IPProtocol: 132, Layer4: l4, Slots: sctpSlots(16)}
}

func sctpCookieTemplate() sdk.PacketTemplate {
	l4 := make([]byte, 20)
	l4[12] = rawio.SCTPCookieEcho
	binary.BigEndian.PutUint16(l4[14:], 8)
	copy(l4[16:], "\xde\xad\xbe\xef")
	return sdk.PacketTemplate{Name: "cookie-echo", IPProtocol: 132, Layer4: l4, Slots: sctpSlots(4)}
}

func sctpSlots(cookieOff int) []sdk.Slot {
	return []sdk.Slot{
		{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2}, {Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
		{Kind: sdk.SlotCookie, Offset: cookieOff, Width: 4}, {Kind: sdk.SlotChecksum, Offset: 8, Width: 4},
	}
}

// TestSCTPProbeDecodes builds both probes over IPv4 and IPv6 and reads them
// back with gopacket: the IP header must say SCTP, the slots must land in
// the fields they name, and gopacket's own CRC32c over the same packet must
// equal ours.
func TestSCTPProbeDecodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		tmpl     sdk.PacketTemplate
		src, dst netip.Addr
		chunk    layers.SCTPChunkType
		vtag     func(cookie uint32) uint32
	}{
		{"INIT over IPv4", sctpInitTemplate(), us4, them4, layers.SCTPChunkTypeInit, func(uint32) uint32 { return 0 }},
		{"INIT over IPv6", sctpInitTemplate(), us6, them6, layers.SCTPChunkTypeInit, func(uint32) uint32 { return 0 }},
		{"COOKIE-ECHO over IPv4", sctpCookieTemplate(), us4, them4, layers.SCTPChunkTypeCookieEcho, func(c uint32) uint32 { return c }},
		{"COOKIE-ECHO over IPv6", sctpCookieTemplate(), us6, them6, layers.SCTPChunkTypeCookieEcho, func(c uint32) uint32 { return c }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := newBuilder(c.tmpl, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := newHead(false, nil, nil, c.src, c.dst)
			buf := make([]byte, b.maxLen())
			const cookie = 0x11223344
			n, err := b.write(buf, &h, probeFields{srcPort: 40001, dstPort: 80, cookie: cookie, ttl: 50})
			if err != nil {
				t.Fatal(err)
			}
			first := layers.LayerTypeIPv4
			if c.dst.Is6() {
				first = layers.LayerTypeIPv6
			}
			pkt := gopacket.NewPacket(buf[:n], first, gopacket.Default)
			s, ok := pkt.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			if !ok {
				t.Fatalf("probe does not decode as SCTP: %v", pkt)
			}
			if s.SrcPort != 40001 || s.DstPort != 80 || s.VerificationTag != c.vtag(cookie) {
				t.Errorf("header %d->%d vtag %#x", s.SrcPort, s.DstPort, s.VerificationTag)
			}
			if got := layers.SCTPChunkType(s.Payload[0]); got != c.chunk {
				t.Errorf("first chunk %v, want %v", got, c.chunk)
			}
			if init, ok := pkt.Layer(layers.LayerTypeSCTPInit).(*layers.SCTPInit); ok {
				if init.InitiateTag != cookie || init.AdvertisedReceiverWindowCredit != 32768 ||
					init.OutboundStreams != 10 || init.InboundStreams != 2048 {
					t.Errorf("INIT chunk %+v", init)
				}
			}
			// gopacket's serializer computes the CRC32c over the header
			// and the chunks that follow it.
			again := gopacket.NewSerializeBuffer()
			hdr := &layers.SCTP{SrcPort: s.SrcPort, DstPort: s.DstPort, VerificationTag: s.VerificationTag}
			if err := gopacket.SerializeLayers(again, gopacket.SerializeOptions{ComputeChecksums: true}, hdr, gopacket.Payload(s.Payload)); err != nil {
				t.Fatal(err)
			}
			l4 := buf[n-len(c.tmpl.Layer4) : n]
			if !bytes.Equal(again.Bytes(), l4) {
				t.Errorf("ours % x\ngopacket % x", l4, again.Bytes())
			}
		})
	}
}

func TestSCTPChecksumSlotWidth(t *testing.T) {
	t.Parallel()
	tm := sctpInitTemplate()
	tm.Slots[3].Width = 2
	if _, err := newBuilder(tm, nil); err == nil {
		t.Error("a 2-byte checksum slot on an SCTP template was accepted")
	}
	if err := checkTemplates([]sdk.PacketTemplate{sctpInitTemplate()}); err != nil {
		t.Errorf("SCTP template refused: %v", err)
	}
}

func sctpChunkRule(typ uint8, st sdk.PortState, reason string) sdk.ReplyRule {
	m := sdk.Any(sdk.MatchSCTP)
	m.SCTPChunk = typ
	return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: st, Reason: reason}}
}

func sctpMatcher(init bool) *matcher {
	m := testMatcher(false, 0)
	m.proto = protoSCTP
	rules := []sdk.ReplyRule{sctpChunkRule(rawio.SCTPAbort, sdk.StateClosed, "abort")}
	if init {
		rules = append([]sdk.ReplyRule{sctpChunkRule(rawio.SCTPInitAck, sdk.StateOpen, "init-ack")}, rules...)
	}
	m.cls = &classifier{rules: append(rules, sdk.ICMPErrorRules()...)}
	return m
}

// sctpFrame is an Ethernet frame carrying an SCTP packet with one chunk of
// type typ (and its flags) under verification tag vtag.
func sctpFrame(t *testing.T, src, dst netip.Addr, sport, dport uint16, vtag uint32, typ, flags uint8) []byte {
	t.Helper()
	chunk := []byte{typ, flags, 0, 4}
	eth := &layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv4}
	var ip gopacket.SerializableLayer = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolSCTP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	if src.Is6() {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolSCTP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	}
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip,
		&layers.SCTP{SrcPort: layers.SCTPPort(sport), DstPort: layers.SCTPPort(dport), VerificationTag: vtag}, gopacket.Payload(chunk))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sctpProbe is the IP packet of an SCTP probe, cut to quote bytes of its
// SCTP part (as an ICMP error quotes it).
func sctpProbe(t *testing.T, m *matcher, tmpl sdk.PacketTemplate, src, dst netip.Addr, port uint16, try uint8, quote int) []byte {
	t.Helper()
	b, err := newBuilder(tmpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHead(false, nil, nil, src, dst)
	sp := m.m.SrcPort(try)
	buf := make([]byte, b.maxLen())
	n, err := b.write(buf, &h, probeFields{srcPort: sp, dstPort: port, cookie: m.m.Seq(src, dst, sp, port, try), ttl: 50})
	if err != nil {
		t.Fatal(err)
	}
	ipLen := 20
	if dst.Is6() {
		ipLen = 40
	}
	return buf[:min(n, ipLen+quote)]
}

// TestSCTPMatch: an answer counts when its verification tag is the cookie
// of a probe we sent to that port from that source port; an ICMP error
// when the probe it quotes carries our cookie (or, quoted too short to
// show the INIT's initiate tag, came from one of our ports).
func TestSCTPMatch(t *testing.T) {
	t.Parallel()
	initM, cookieM := sctpMatcher(true), sctpMatcher(false)
	tag := func(m *matcher, dst netip.Addr, port uint16, try uint8) uint32 {
		us := us4
		if dst.Is6() {
			us = us6
		}
		return m.m.Seq(us, dst, m.m.SrcPort(try), port, try)
	}
	type want struct {
		ok     bool
		host   int32
		port   uint16
		try    uint8
		reason string
	}
	cases := []struct {
		name  string
		m     *matcher
		src   netip.Addr
		frame func() []byte
		want  want
	}{
		{"INIT-ACK to try 1 is open", initM, us4, func() []byte {
			return sctpFrame(t, them4, us4, 80, initM.m.SrcPort(1), tag(initM, them4, 80, 1), rawio.SCTPInitAck, 0)
		}, want{true, 0, 80, 1, "init-ack"}},
		{"ABORT over IPv6 is closed", initM, us6, func() []byte {
			return sctpFrame(t, them6, us6, 9, initM.m.SrcPort(0), tag(initM, them6, 9, 0), rawio.SCTPAbort, 0)
		}, want{true, 1, 9, 0, "abort"}},
		{"ABORT with a tag we never sent", initM, us4, func() []byte {
			return sctpFrame(t, them4, us4, 80, initM.m.SrcPort(0), tag(initM, them4, 80, 0)^1, rawio.SCTPAbort, 0)
		}, want{}},
		{"INIT-ACK from a host not scanned", initM, us4, func() []byte {
			other := netip.MustParseAddr("198.18.2.77")
			return sctpFrame(t, other, us4, 80, initM.m.SrcPort(0), tag(initM, other, 80, 0), rawio.SCTPInitAck, 0)
		}, want{}},
		{"a COOKIE-ACK matches no rule", cookieM, us4, func() []byte {
			return sctpFrame(t, them4, us4, 80, cookieM.m.SrcPort(0), tag(cookieM, them4, 80, 0), rawio.SCTPCookieAck, 0)
		}, want{}},
		{"ABORT reflecting a COOKIE-ECHO's tag is closed", cookieM, us4, func() []byte {
			return sctpFrame(t, them4, us4, 22, cookieM.m.SrcPort(2), tag(cookieM, them4, 22, 2), rawio.SCTPAbort, 1)
		}, want{true, 0, 22, 2, "abort"}},
		{"our own COOKIE-ECHO seen on lo", func() *matcher { mm := sctpMatcher(false); mm.hosts[us4] = 2; return mm }(), us4, func() []byte {
			sp := cookieM.m.SrcPort(0)
			return sctpFrame(t, us4, us4, sp, 80, cookieM.m.Seq(us4, us4, sp, 80, 0), rawio.SCTPCookieEcho, 0)
		}, want{}},
		{"protocol unreachable quoting the whole INIT", initM, us4, func() []byte {
			return frame(t, them4, us4, 64, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 2)},
				gopacket.Payload(sctpProbe(t, initM, sctpInitTemplate(), us4, them4, 80, 3, 32)))
		}, want{true, 0, 80, 3, "proto-unreach"}},
		{"an INIT quoted in 8 bytes falls back to the source port", initM, us4, func() []byte {
			return frame(t, router4, us4, 64, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)},
				gopacket.Payload(sctpProbe(t, initM, sctpInitTemplate(), us4, them4, 443, 1, 8)))
		}, want{true, 0, 443, 1, "admin-prohibited"}},
		{"a quoted INIT with a forged initiate tag", initM, us4, func() []byte {
			p := sctpProbe(t, initM, sctpInitTemplate(), us4, them4, 80, 0, 32)
			p[20+16] ^= 0xff
			return frame(t, them4, us4, 64, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 2)}, gopacket.Payload(p))
		}, want{}},
		{"ICMPv6 admin prohibited quoting a COOKIE-ECHO", cookieM, us6, func() []byte {
			return frame(t, them6, us6, 64, &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 1)},
				gopacket.Payload(append(make([]byte, 4), sctpProbe(t, cookieM, sctpCookieTemplate(), us6, them6, 80, 0, 8)...)))
		}, want{true, 1, 80, 0, "admin-prohibited"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r rawio.Reply
			if !rawio.Decode(c.frame(), &r) {
				t.Fatal("fixture does not decode")
			}
			ev, ok := c.m.match(&r, c.src)
			if ok != c.want.ok {
				t.Fatalf("match %v, want %v (%+v)", ok, c.want.ok, ev)
			}
			if !ok {
				return
			}
			got := want{true, ev.host, ev.port, ev.try, c.m.cls.verdict(int(ev.rule)).Reason}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
