// Package sctpping is ping.sctp_init, host discovery's SCTP INIT ping (-PY).
//
// On the wire: an SCTP common header (verification tag 0, as an INIT must
// have) and one 20-byte INIT chunk (a_rwnd 32768, 10 outbound and 2048
// inbound streams). The core fills the ports, the initiate tag (its
// cookie) and the CRC32c checksum. An INIT-ACK or an ABORT from the target
// makes the host up; so does a protocol unreachable from the target itself,
// which is what a host without SCTP sends (sdk.PingErrorRules).
package sctpping

import (
	"context"
	"encoding/binary"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "ping.sctp_init"

// Version is the plugin's own version.
const Version = "0.1.0"

// SCTP chunk types.
const (
	chunkInit    = 1
	chunkInitAck = 2
	chunkAbort   = 6
)

type plugin struct{}

// New returns the plugin.
func New() sdk.ProbeType { return plugin{} }

func (plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: ID, Kind: sdk.KindProbe, Version: Version,
		Description: "host discovery -PY: SCTP INIT to the ping ports; needs root"}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) { return nil, nil }

// initTemplate is the probe: common header and INIT chunk, slots zero.
func initTemplate() sdk.PacketTemplate {
	b := make([]byte, 32)
	c := b[12:]
	c[0] = chunkInit
	binary.BigEndian.PutUint16(c[2:], 20)
	binary.BigEndian.PutUint32(c[8:], 32768) // a_rwnd
	binary.BigEndian.PutUint16(c[12:], 10)   // outbound streams
	binary.BigEndian.PutUint16(c[14:], 2048) // inbound streams
	binary.BigEndian.PutUint32(c[16:], 1)    // initial TSN
	return sdk.PacketTemplate{Name: "sctp-init", IPProtocol: 132, Layer4: b, Slots: []sdk.Slot{
		{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
		{Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
		{Kind: sdk.SlotChecksum, Offset: 8, Width: 4},
		{Kind: sdk.SlotCookie, Offset: 16, Width: 4},
	}}
}

func (plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	chunk := func(c uint8, reason string) sdk.ReplyRule {
		m := sdk.Any(sdk.MatchSCTP)
		m.SCTPChunk, m.FromTarget = c, 1
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{Reason: reason, Host: sdk.HostUp}}
	}
	return sdk.ProbeSpec{
		ScanType: "ping", Proto: sdk.ProtoSCTP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: []sdk.PacketTemplate{initTemplate()},
		Rules:     append([]sdk.ReplyRule{chunk(chunkInitAck, "init-ack"), chunk(chunkAbort, "abort")}, sdk.PingErrorRules()...),
		Silence:   sdk.Verdict{Reason: "no-response", Host: sdk.HostDownHint},
	}, nil
}

var _ sdk.ProbeType = plugin{}
