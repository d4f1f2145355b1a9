// Package protoping is ping.ip_proto, host discovery's IP protocol ping
// (-PO, Nmap's default protocols 1, 2 and 4).
//
// On the wire: one IP packet per protocol. ICMP gets an echo request, IGMP
// a membership query, TCP an ACK to port 80 and UDP an empty datagram to
// port 40125, each with its checksum; any other protocol an empty payload
// (IP-in-IP: a bare IP header). A template's IPProtocol says which
// protocol it is for; the one named 0 serves every protocol without its
// own. Any answer in the probe's protocol from the target makes the host
// up (proto-response), and so does a protocol unreachable from the target
// itself (proto-unreach), as Nmap reads them.
package protoping

import (
	"context"
	"encoding/binary"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "ping.ip_proto"

// Version is the plugin's own version.
const Version = "0.1.0"

type plugin struct{}

// New returns the plugin.
func New() sdk.ProbeType { return plugin{} }

func (plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: ID, Kind: sdk.KindProbe, Version: Version,
		Description: "host discovery -PO: IP packets of the given protocols; needs root"}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) { return nil, nil }

func slot(k sdk.SlotKind, off, w int) sdk.Slot { return sdk.Slot{Kind: k, Offset: off, Width: w} }

func templates() []sdk.PacketTemplate {
	echo := make([]byte, 8)
	echo[0] = 8
	igmp := make([]byte, 8)
	igmp[0] = 0x11 // membership query
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12], tcp[13] = 5<<4, 0x10 // ACK
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[2:], 40125)
	udp[5] = 8
	return []sdk.PacketTemplate{
		{Name: "icmp-echo", IPProtocol: 1, Layer4: echo, Slots: []sdk.Slot{slot(sdk.SlotChecksum, 2, 2), slot(sdk.SlotCookie, 4, 4)}},
		{Name: "igmp-query", IPProtocol: 2, Layer4: igmp, Slots: []sdk.Slot{slot(sdk.SlotChecksum, 2, 2)}},
		{Name: "tcp-ack", IPProtocol: 6, Layer4: tcp, Slots: []sdk.Slot{slot(sdk.SlotSrcPort, 0, 2), slot(sdk.SlotCookie, 8, 4), slot(sdk.SlotChecksum, 16, 2)}},
		{Name: "udp", IPProtocol: 17, Layer4: udp, Slots: []sdk.Slot{slot(sdk.SlotSrcPort, 0, 2), slot(sdk.SlotChecksum, 6, 2)}},
		{Name: "empty", IPProtocol: 0},
	}
}

func (plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	inProto := sdk.Any(sdk.MatchIP)
	inProto.FromTarget = 1
	unreach := sdk.Any(sdk.MatchICMP)
	unreach.ICMPType, unreach.ICMPCode, unreach.FromTarget = 3, 2, 1
	rules := []sdk.ReplyRule{
		{Match: unreach, Verdict: sdk.Verdict{Reason: "proto-unreach", Host: sdk.HostUp}},
		{Match: inProto, Verdict: sdk.Verdict{Reason: "proto-response", Host: sdk.HostUp}},
	}
	return sdk.ProbeSpec{
		ScanType: "ping", Proto: sdk.ProtoIP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: templates(), Rules: append(rules, sdk.PingErrorRules()...),
		Silence: sdk.Verdict{Reason: "no-response", Host: sdk.HostDownHint},
	}, nil
}

var _ sdk.ProbeType = plugin{}
