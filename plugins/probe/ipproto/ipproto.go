// Package ipproto is the probe.ip_proto plugin: Nmap's IP protocol scan
// (-sO). The scanned "ports" are IP protocol numbers 0-255; the core puts
// the number in the IP header and sends the template this plugin declares
// for it.
//
// On the wire, as Nmap's probes: TCP (6) an ACK to port 80, UDP (17) an
// empty datagram to port 40125, ICMP (1) an echo request, IGMP (2) a
// membership query, ICMPv6 (58) an echo request, SCTP (132) an INIT to
// port 80 (its CRC32c in a four-byte checksum slot the core fills); every
// other protocol a bare IP header. An SCTP stack answers an INIT to any
// port, with INIT-ACK or ABORT, where a bare header would get silence.
//
// What replies mean (nmap-internals §3): any packet of the probed protocol
// from the target is open; an ICMP protocol unreachable from the target
// closed; a port unreachable from the target open (the UDP probe got
// through); other ICMP errors filtered; silence open|filtered.
package ipproto

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "probe.ip_proto"

// Version is the plugin's own version.
const Version = "0.1.0"

// Nmap's default probe ports (nmap.h DEFAULT_TCP_PROBE_PORT, DEFAULT_UDP_PROBE_PORT).
const (
	tcpPort = 80
	udpPort = 40125
	// sctpPort is DEFAULT_SCTP_PROBE_PORT.
	sctpPort = 80
)

type plugin struct{}

// New returns the plugin.
func New() sdk.ProbeType { return plugin{} }

func (plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: ID, Kind: sdk.KindProbe, Version: Version,
		Description: "IP protocol scan (-sO): which IP protocols the target speaks; needs root"}, nil
}

func (plugin) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	var set struct{}
	if err := s.Decode(&set); err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: settings: %v", ID, err)}}, nil
	}
	return nil, nil
}

func one(p uint8) []sdk.PortRange { return []sdk.PortRange{{Lo: uint16(p), Hi: uint16(p)}} }

// templates are the per-protocol probes and the bare default.
func templates() []sdk.PacketTemplate {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[2:], tcpPort)
	tcp[12] = 5 << 4
	tcp[13] = 0x10 // ACK: the reset's sequence number echoes our acknowledgement
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[2:], udpPort)
	udp[5] = 8
	icmp := []byte{8, 0, 0, 0, 0, 0, 0, 0}    // echo request; id and sequence are the cookie
	icmp6 := []byte{128, 0, 0, 0, 0, 0, 0, 0} // ICMPv6 echo request
	igmp := []byte{0x11, 0, 0, 0, 0, 0, 0, 0} // membership query, group 0
	// SCTP: common header (verification tag 0, as an INIT's must be) and
	// an INIT chunk as Nmap's: a_rwnd 32768, 10 outbound and 2048 inbound
	// streams, a random initial TSN. The initiate tag is the cookie: the
	// peer echoes it as the verification tag of its INIT-ACK or ABORT.
	sctp := make([]byte, 12+20)
	binary.BigEndian.PutUint16(sctp[2:], sctpPort)
	sctp[12] = 1 // INIT
	binary.BigEndian.PutUint16(sctp[14:], 20)
	binary.BigEndian.PutUint32(sctp[20:], 32768)
	binary.BigEndian.PutUint16(sctp[24:], 10)
	binary.BigEndian.PutUint16(sctp[26:], 2048)
	_, _ = rand.Read(sctp[28:32])
	return []sdk.PacketTemplate{
		{Name: "tcp", IPProtocol: 6, Layer4: tcp, Ports: one(6), Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
			{Kind: sdk.SlotCookie, Offset: 8, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 16, Width: 2}}},
		{Name: "udp", IPProtocol: 17, Layer4: udp, Ports: one(17), Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
			{Kind: sdk.SlotChecksum, Offset: 6, Width: 2}}},
		{Name: "icmp", IPProtocol: 1, Layer4: icmp, Ports: one(1), Slots: []sdk.Slot{
			{Kind: sdk.SlotCookie, Offset: 4, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 2, Width: 2}}},
		{Name: "igmp", IPProtocol: 2, Layer4: igmp, Ports: one(2), Slots: []sdk.Slot{
			{Kind: sdk.SlotChecksum, Offset: 2, Width: 2}}},
		{Name: "icmpv6", IPProtocol: 58, Layer4: icmp6, Ports: one(58), Slots: []sdk.Slot{
			{Kind: sdk.SlotCookie, Offset: 4, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 2, Width: 2}}},
		{Name: "sctp", IPProtocol: 132, Layer4: sctp, Ports: one(132), Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: 0, Width: 2},
			{Kind: sdk.SlotCookie, Offset: 16, Width: 4},
			{Kind: sdk.SlotChecksum, Offset: 8, Width: 4}}},
		{Name: "bare", Layer4: nil},
	}
}

func (plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	icmp := func(v6 bool, typ, code, from int, st sdk.PortState, reason string) sdk.ReplyRule {
		m := sdk.Any(sdk.MatchICMP)
		m.ICMPv6, m.ICMPType, m.ICMPCode, m.FromTarget = v6, typ, code, from
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: st, Reason: reason}}
	}
	// nmap-internals §3.1, IP-proto column; the first matching rule wins.
	errs := []sdk.ReplyRule{
		icmp(false, 3, 2, 1, sdk.StateClosed, "proto-unreach"),
		icmp(false, 3, 3, 1, sdk.StateOpen, "port-unreach"),
		icmp(true, 4, 1, 1, sdk.StateClosed, "param-problem"),
		icmp(true, 1, 4, 1, sdk.StateOpen, "port-unreach"),
		icmp(true, 4, 0, -1, sdk.StateOpen, "param-problem"),
		icmp(true, 4, 1, -1, sdk.StateFiltered, "param-problem"),
	}
	errs = append(errs, sdk.ICMPErrorRules()...)
	rules := append(answerRules(errs), errs...)
	return sdk.ProbeSpec{
		ScanType: "ipproto", Proto: sdk.ProtoIP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: templates(), Rules: rules,
		Silence:          sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"},
		SilenceMeansOpen: true,
	}, nil
}

// answerRules are the rules for answers in the probed protocol, with
// Nmap's reasons. Nmap treats ICMPv4 apart: any ICMP message from the
// target opens protocol 1, with reason "echo-reply" for an echo reply and
// the error's own reason for an ICMP error. Every other protocol, ICMPv6
// included (its errors from the target open 58 too), is "proto-response".
func answerRules(errs []sdk.ReplyRule) []sdk.ReplyRule {
	answer := func(m sdk.ReplyMatch, reason string) sdk.ReplyRule {
		m.Kind, m.FromTarget = sdk.MatchIP, 1
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: reason}}
	}
	echo := sdk.Any(sdk.MatchIP)
	echo.ICMPType, echo.ICMPCode = 0, 0
	out := []sdk.ReplyRule{answer(echo, "echo-reply")}
	seen := map[sdk.ReplyMatch]bool{}
	for _, e := range errs {
		m := e.Match
		m.FromTarget = -1
		if m.ICMPv6 || e.Match.FromTarget == 0 || seen[m] {
			continue
		}
		seen[m] = true
		out = append(out, answer(e.Match, e.Verdict.Reason))
	}
	return append(out, answer(sdk.Any(sdk.MatchIP), "proto-response"))
}

var _ sdk.ProbeType = plugin{}
