// Package sctp is Nmap's pair of raw SCTP scans: INIT (-sY, plugin
// probe.sctp_init) and COOKIE-ECHO (-sZ, probe.sctp_cookie). Each declares
// one template and its reply table; the core builds, sends and matches the
// packets without calling the plugin per probe.
//
// On the wire, as Nmap's probes (nmap-internals §2.10):
//   - INIT: the 12-byte common header with verification tag 0, then an INIT
//     chunk (20 bytes) with a_rwnd 32768, 10 outbound and 2048 inbound
//     streams. The peer must echo the INIT's initiate tag as the
//     verification tag of its INIT-ACK or ABORT, so the cookie slot is the
//     initiate tag.
//   - COOKIE-ECHO: the common header, then a COOKIE-ECHO chunk with four
//     cookie bytes. A peer with no association answers an out-of-the-blue
//     packet with an ABORT that reflects the verification tag (T bit), so
//     the cookie slot is the verification tag; an open port silently drops
//     the cookie it cannot validate.
//
// The checksum slot of an SCTP template is four bytes wide: the core writes
// the packet's CRC32c there.
package sctp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// Version is the plugins' own version.
const Version = "0.1.0"

// The plugin IDs.
const (
	Init   = "probe.sctp_init"
	Cookie = "probe.sctp_cookie"
)

// Chunk types (RFC 9260 §3.2).
const (
	chunkInit       = 1
	chunkInitAck    = 2
	chunkAbort      = 6
	chunkCookieEcho = 10
)

// Offsets in the packet.
const (
	offSrcPort  = 0
	offDstPort  = 2
	offVTag     = 4
	offChecksum = 8
	offChunk    = 12
	offInitTag  = 16 // the INIT chunk's initiate tag
	headerLen   = 12
)

type plugin struct{ id string }

// New returns the plugin with the given ID (Init or Cookie); any other ID
// is an error at Info and Describe.
func New(id string) sdk.ProbeType { return plugin{id: id} }

func (p plugin) Info(context.Context) (sdk.Info, error) {
	desc := map[string]string{
		Init:   "SCTP INIT scan (-sY): INIT-ACK is open, ABORT closed, silence filtered; needs root",
		Cookie: "SCTP COOKIE-ECHO scan (-sZ): ABORT is closed, silence open|filtered; needs root",
	}[p.id]
	if desc == "" {
		return sdk.Info{}, fmt.Errorf("sctp: unknown plugin ID %q", p.id)
	}
	return sdk.Info{ID: p.id, Kind: sdk.KindProbe, Version: Version, Description: desc}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) {
	return nil, nil
}

// initPacket is the INIT probe with zero ports, initiate tag and checksum.
// Nmap picks a random initial TSN; one per scan does as well, since the
// peer only echoes it in an INIT-ACK we never answer.
func initPacket() []byte {
	b := make([]byte, headerLen+20)
	c := b[offChunk:]
	c[0] = chunkInit
	binary.BigEndian.PutUint16(c[2:], 20)
	binary.BigEndian.PutUint32(c[8:], 32768) // a_rwnd
	binary.BigEndian.PutUint16(c[12:], 10)   // outbound streams
	binary.BigEndian.PutUint16(c[14:], 2048) // inbound streams
	_, _ = rand.Read(c[16:20])               // initial TSN
	return b
}

// cookiePacket is the COOKIE-ECHO probe with zero ports, tag and checksum
// and four random cookie bytes, as Nmap's.
func cookiePacket() []byte {
	b := make([]byte, headerLen+8)
	c := b[offChunk:]
	c[0] = chunkCookieEcho
	binary.BigEndian.PutUint16(c[2:], 8)
	_, _ = rand.Read(c[4:8])
	return b
}

func chunk(typ uint8, st sdk.PortState, reason string) sdk.ReplyRule {
	m := sdk.Any(sdk.MatchSCTP)
	m.SCTPChunk = typ
	return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: st, Reason: reason}}
}

func (p plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	slots := func(cookieOff int) []sdk.Slot {
		return []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: offSrcPort, Width: 2},
			{Kind: sdk.SlotDstPort, Offset: offDstPort, Width: 2},
			{Kind: sdk.SlotCookie, Offset: cookieOff, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: offChecksum, Width: 4},
		}
	}
	spec := sdk.ProbeSpec{Proto: sdk.ProtoSCTP, Transport: sdk.TransportRawIP, NeedsRoot: true}
	switch p.id {
	case Init:
		spec.ScanType = "sctpinit"
		spec.Templates = []sdk.PacketTemplate{{Name: "init", IPProtocol: 132, Layer4: initPacket(), Slots: slots(offInitTag)}}
		spec.Rules = []sdk.ReplyRule{
			chunk(chunkInitAck, sdk.StateOpen, "init-ack"),
			chunk(chunkAbort, sdk.StateClosed, "abort"),
		}
		spec.Silence = sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}
	case Cookie:
		// Nmap does not count COOKIE-ECHO among the scans whose silence
		// means open (nmap-internals §3.3), so SilenceMeansOpen stays off.
		spec.ScanType = "sctpcookieecho"
		spec.Templates = []sdk.PacketTemplate{{Name: "cookie-echo", IPProtocol: 132, Layer4: cookiePacket(), Slots: slots(offVTag)}}
		spec.Rules = []sdk.ReplyRule{chunk(chunkAbort, sdk.StateClosed, "abort")}
		spec.Silence = sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"}
	default:
		return sdk.ProbeSpec{}, fmt.Errorf("sctp: unknown plugin ID %q", p.id)
	}
	// ICMP errors filter the port (nmap-internals §3.1).
	spec.Rules = append(spec.Rules, sdk.ICMPErrorRules()...)
	return spec, nil
}

var _ sdk.ProbeType = plugin{}
