// Package tcpflags is Nmap's family of raw TCP scans that send something
// other than a SYN: FIN (-sF), NULL (-sN), Xmas (-sX), Maimon (-sM), ACK
// (-sA) and Window (-sW). Each is its own plugin ID built from one small
// description (the flags sent and what a reset means); the package serves
// them all so the six share one template and one ICMP table.
//
// On the wire: a 20-byte TCP header without options, window 1024, as Nmap's
// non-SYN probes. The core fills the ports, the checksum and the cookie.
// Where the cookie goes depends on the flags, because the reply echoes a
// different field (RFC 793's reset generation):
//   - no ACK in the probe (FIN, NULL, Xmas): the RST acknowledges our
//     sequence number plus the FIN, so the cookie is the sequence number;
//   - ACK in the probe (ACK, Window, Maimon): the RST's sequence number is
//     our acknowledgement number, so the cookie is the acknowledgement.
package tcpflags

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// Version is the plugins' own version.
const Version = "0.1.0"

// The plugin IDs.
const (
	FIN    = "probe.tcp_fin"
	NULL   = "probe.tcp_null"
	Xmas   = "probe.tcp_xmas"
	Maimon = "probe.tcp_maimon"
	ACK    = "probe.tcp_ack"
	Window = "probe.tcp_window"
)

// TCP flag bits.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20
	flagECE = 0x40
	flagCWR = 0x80
)

// Offsets in the TCP header.
const (
	offSrcPort  = 0
	offDstPort  = 2
	offSeq      = 4
	offAck      = 8
	offFlags    = 13
	offChecksum = 16
)

// technique is one scan of the family.
type technique struct {
	id, scanType, desc string
	flags              uint8
	// rst is what a reset from the target means; for Window scans the
	// window decides, so rst is unused and window rules apply.
	rst        sdk.Verdict
	window     bool
	silence    sdk.Verdict
	silentOpen bool
}

var (
	openFiltered = sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"}
	filtered     = sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}
	closedRST    = sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}
)

var techniques = map[string]technique{
	FIN:    {FIN, "fin", "TCP FIN scan (-sF): a lone FIN; RST means closed, silence open|filtered", flagFIN, closedRST, false, openFiltered, true},
	NULL:   {NULL, "null", "TCP NULL scan (-sN): no flags; RST means closed, silence open|filtered", 0, closedRST, false, openFiltered, true},
	Xmas:   {Xmas, "xmas", "TCP Xmas scan (-sX): FIN, PSH and URG; RST means closed, silence open|filtered", flagFIN | flagPSH | flagURG, closedRST, false, openFiltered, true},
	Maimon: {Maimon, "maimon", "TCP Maimon scan (-sM): FIN and ACK; RST means closed, silence open|filtered", flagFIN | flagACK, closedRST, false, openFiltered, true},
	ACK:    {ACK, "ack", "TCP ACK scan (-sA): a lone ACK; RST means unfiltered, silence filtered", flagACK, sdk.Verdict{State: sdk.StateUnfiltered, Reason: "reset"}, false, filtered, false},
	Window: {Window, "window", "TCP Window scan (-sW): an ACK; a RST's window says open (non-zero) or closed (zero)", flagACK, sdk.Verdict{}, true, filtered, false},
}

// IDs lists the plugin IDs this package serves.
func IDs() []string { return []string{FIN, NULL, Xmas, Maimon, ACK, Window} }

type plugin struct {
	t technique
	// flags is what the probe sends: the technique's own, or --scanflags.
	flags uint8
}

// New returns the plugin with ID id, or nil if the package has none.
func New(id string) sdk.ProbeType {
	t, ok := techniques[id]
	if !ok {
		return nil
	}
	return &plugin{t: t, flags: t.flags}
}

func (p *plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: p.t.id, Kind: sdk.KindProbe, Version: Version, Description: p.t.desc + "; needs root",
		Config: []sdk.ConfigField{{Name: "flags", Type: "string",
			Description: "TCP flags to send instead of the technique's own (--scanflags): names as URGACKPSHRSTSYNFIN or a number"}}}, nil
}

// Configure takes one optional setting, flags: Nmap's --scanflags, sent in
// place of the technique's own flags and read with its table.
func (p *plugin) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	p.flags = p.t.flags
	var set struct {
		Flags *string `json:"flags"`
	}
	if err := s.Decode(&set); err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: settings: %v", p.t.id, err)}}, nil
	}
	if set.Flags == nil {
		return nil, nil
	}
	f, err := ParseFlags(*set.Flags)
	if err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: setting flags: %v", p.t.id, err), Attribute: "flags"}}, nil
	}
	p.flags = f
	return nil, nil
}

// ParseFlags reads Nmap's --scanflags; see sdk.ParseTCPFlags.
func ParseFlags(s string) (uint8, error) { return sdk.ParseTCPFlags(s) }

// header is the probe's TCP header: data offset 5, the flags, window 1024.
// A probe with ACK set carries a fixed sequence number (the cookie is the
// acknowledgement); one without carries a zero acknowledgement, as Nmap's.
func header(flags uint8) []byte {
	h := make([]byte, 20)
	h[12] = 5 << 4
	h[offFlags] = flags
	binary.BigEndian.PutUint16(h[14:], 1024)
	if flags&flagACK != 0 {
		binary.BigEndian.PutUint32(h[offSeq:], 0x5ca9f100)
	}
	if flags&flagURG != 0 {
		// Nmap's Xmas probes carry a zero urgent pointer; so do ours.
		binary.BigEndian.PutUint16(h[18:], 0)
	}
	return h
}

func (p *plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	base := sdk.ReplyMatch{TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1}
	tcp := func(window int, v sdk.Verdict) sdk.ReplyRule {
		m := base
		m.Kind, m.TCPFlagsMask, m.TCPFlags, m.TCPWindow = sdk.MatchTCP, flagRST, flagRST, window
		return sdk.ReplyRule{Match: m, Verdict: v}
	}
	var rules []sdk.ReplyRule
	if p.t.window {
		rules = append(rules,
			tcp(1, sdk.Verdict{State: sdk.StateOpen, Reason: "reset"}),
			tcp(0, sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}))
	} else {
		rules = append(rules, tcp(-1, p.t.rst))
	}
	// ICMP errors filter a TCP port whatever the flags (nmap-internals §3.1).
	rules = append(rules, sdk.ICMPErrorRules()...)
	cookie := offSeq
	if p.flags&flagACK != 0 {
		cookie = offAck
	}
	return sdk.ProbeSpec{
		ScanType:  p.t.scanType,
		Proto:     sdk.ProtoTCP,
		Transport: sdk.TransportRawIP,
		NeedsRoot: true,
		Templates: []sdk.PacketTemplate{{
			Name:       p.t.scanType,
			IPProtocol: 6,
			Layer4:     header(p.flags),
			Slots: []sdk.Slot{
				{Kind: sdk.SlotSrcPort, Offset: offSrcPort, Width: 2},
				{Kind: sdk.SlotDstPort, Offset: offDstPort, Width: 2},
				{Kind: sdk.SlotCookie, Offset: cookie, Width: 4},
				{Kind: sdk.SlotChecksum, Offset: offChecksum, Width: 2},
			},
		}},
		Rules:            rules,
		Silence:          p.t.silence,
		SilenceMeansOpen: p.t.silentOpen,
	}, nil
}

var _ sdk.ProbeType = (*plugin)(nil)
