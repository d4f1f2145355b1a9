// Package icmpping holds the ICMP ping probe types of host discovery:
// ping.icmp_echo (-PE, with an ICMPv6 echo form for IPv6 targets),
// ping.icmp_timestamp (-PP) and ping.icmp_mask (-PM), both IPv4 only.
//
// On the wire: an ICMP echo (type 8, 8 bytes), timestamp (type 13, 20
// bytes) or address-mask (type 17, 12 bytes) request, or an ICMPv6 echo
// request (type 128). The core fills the identifier and sequence number
// (its cookie) and the checksum. The matching reply type from the target
// makes the host up (echo-reply, timestamp-reply, addressmask-reply); ICMP
// errors are read by sdk.PingErrorRules.
package icmpping

import (
	"context"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// The plugins' namespaced identifiers.
const (
	Echo      = "ping.icmp_echo"
	Timestamp = "ping.icmp_timestamp"
	Mask      = "ping.icmp_mask"
)

// Version is the plugins' own version.
const Version = "0.1.0"

type kind struct {
	id, flag      string
	typ, replyTyp int
	size          int
	reason        string
	v6            bool // has an ICMPv6 form (echo only)
}

var kinds = map[string]kind{
	Echo:      {Echo, "-PE", 8, 0, 8, "echo-reply", true},
	Timestamp: {Timestamp, "-PP", 13, 14, 20, "timestamp-reply", false},
	Mask:      {Mask, "-PM", 17, 18, 12, "addressmask-reply", false},
}

type plugin struct{ k kind }

// New returns the plugin of the given ID (Echo, Timestamp or Mask); it
// panics on another, which only a wrong builtins list can pass.
func New(id string) sdk.ProbeType {
	k, ok := kinds[id]
	if !ok {
		panic(fmt.Sprintf("icmpping: unknown plugin %q", id))
	}
	return plugin{k}
}

func (p plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: p.k.id, Kind: sdk.KindProbe, Version: Version,
		Description: fmt.Sprintf("host discovery %s: ICMP type %d request; needs root", p.k.flag, p.k.typ)}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) { return nil, nil }

func template(name string, proto uint8, typ, size int) sdk.PacketTemplate {
	l4 := make([]byte, size)
	l4[0] = byte(typ)
	return sdk.PacketTemplate{Name: name, IPProtocol: proto, Layer4: l4, Slots: []sdk.Slot{
		{Kind: sdk.SlotChecksum, Offset: 2, Width: 2},
		{Kind: sdk.SlotCookie, Offset: 4, Width: 4},
	}}
}

func (p plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	reply := func(v6 bool, typ int) sdk.ReplyRule {
		m := sdk.Any(sdk.MatchICMP)
		m.ICMPv6, m.ICMPType, m.FromTarget = v6, typ, 1
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{Reason: p.k.reason, Host: sdk.HostUp}}
	}
	ts := []sdk.PacketTemplate{template("icmp", 1, p.k.typ, p.k.size)}
	rules := []sdk.ReplyRule{reply(false, p.k.replyTyp)}
	if p.k.v6 {
		ts = append(ts, template("icmpv6", 58, 128, 8))
		rules = append(rules, reply(true, 129))
	}
	return sdk.ProbeSpec{
		ScanType: "ping", Proto: sdk.ProtoIP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: ts, Rules: append(rules, sdk.PingErrorRules()...),
		Silence: sdk.Verdict{Reason: "no-response", Host: sdk.HostDownHint},
	}, nil
}

var _ sdk.ProbeType = plugin{}
