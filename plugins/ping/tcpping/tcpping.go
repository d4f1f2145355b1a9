// Package tcpping holds the TCP ping probe types of host discovery:
// ping.tcp_syn (-PS) and ping.tcp_ack (-PA).
//
// On the wire, as Nmap's: a SYN alone in a 24-byte TCP header with an MSS
// option of 1460, an ACK alone in a bare 20-byte header, both with window
// 1024. The core fills the ports, the
// cookie (the sequence number of a SYN, the acknowledgement number of an
// ACK) and the checksum. A SYN/ACK or a RST from the target makes the host
// up, whatever the port's state; ICMP errors are read by
// sdk.PingErrorRules.
package tcpping

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// The plugins' namespaced identifiers.
const (
	SYN = "ping.tcp_syn"
	ACK = "ping.tcp_ack"
)

// Version is the plugins' own version.
const Version = "0.1.0"

const (
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

type plugin struct{ id string }

// New returns the plugin of the given ID (SYN or ACK); it panics on
// another, which only a wrong builtins list can pass.
func New(id string) sdk.ProbeType {
	if id != SYN && id != ACK {
		panic(fmt.Sprintf("tcpping: unknown plugin %q", id))
	}
	return plugin{id}
}

func (p plugin) Info(context.Context) (sdk.Info, error) {
	d := "host discovery -PS: TCP SYN to the ping ports; needs root"
	if p.id == ACK {
		d = "host discovery -PA: TCP ACK to the ping ports; needs root"
	}
	return sdk.Info{ID: p.id, Kind: sdk.KindProbe, Version: Version, Description: d}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) { return nil, nil }

func (p plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	var h []byte
	cookie := 4 // the sequence number, which a SYN/ACK acknowledges
	if p.id == ACK {
		h = make([]byte, 20)
		h[12], h[13], cookie = 5<<4, flagACK, 8 // the acknowledgement, which a RST echoes
	} else {
		h = make([]byte, 24)
		h[12], h[13] = 6<<4, flagSYN
		h[20], h[21] = 2, 4 // MSS option
		binary.BigEndian.PutUint16(h[22:], 1460)
	}
	binary.BigEndian.PutUint16(h[14:], 1024)
	tcp := func(mask, flags uint8, reason string) sdk.ReplyRule {
		m := sdk.Any(sdk.MatchTCP)
		m.TCPFlagsMask, m.TCPFlags, m.FromTarget = mask, flags, 1
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{Reason: reason, Host: sdk.HostUp}}
	}
	rules := []sdk.ReplyRule{tcp(flagRST, flagRST, "reset"), tcp(flagSYN|flagACK, flagSYN|flagACK, "syn-ack")}
	return sdk.ProbeSpec{
		ScanType: "ping", Proto: sdk.ProtoTCP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: []sdk.PacketTemplate{{Name: "tcp", IPProtocol: 6, Layer4: h, Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
			{Kind: sdk.SlotDstPort, Offset: 2, Width: 2},
			{Kind: sdk.SlotCookie, Offset: cookie, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 16, Width: 2},
		}}},
		Rules:   append(rules, sdk.PingErrorRules()...),
		Silence: sdk.Verdict{Reason: "no-response", Host: sdk.HostDownHint},
	}, nil
}

var _ sdk.ProbeType = plugin{}
