// Package tcpsyn is the probe.tcp_syn plugin: Nmap's SYN scan (-sS). It
// declares one raw TCP SYN template and what each kind of reply means; the
// core builds, sends and matches the packets without calling the plugin per
// probe.
//
// On the wire: a 24-byte TCP header with only SYN set, window 1024 and one
// MSS option of 1460, as Nmap's SYN probes. The core fills the ports, the
// sequence number (a keyed cookie that identifies the probe) and the
// checksum, and builds the IP header. An open port answers SYN/ACK (the
// scanning host's kernel then resets it), a closed port RST.
package tcpsyn

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "probe.tcp_syn"

// Version is the plugin's own version.
const Version = "0.1.0"

// Offsets of the template's slots in the TCP header.
const (
	offSrcPort  = 0
	offDstPort  = 2
	offSeq      = 4
	offAck      = 8
	offChecksum = 16
)

type plugin struct {
	// flags is what the probe sends: SYN, or --scanflags read as a SYN
	// scan (Nmap's --scanflags without another scan type).
	flags uint8
}

// New returns the plugin.
func New() sdk.ProbeType { return &plugin{flags: flagSYN} }

func (*plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindProbe,
		Version:     Version,
		Description: "TCP SYN scan (-sS): half-open raw SYN probes; needs root",
		Config: []sdk.ConfigField{{Name: "flags", Type: "string",
			Description: "TCP flags to send instead of SYN, replies read as a SYN scan (--scanflags): names as URGACKPSHRSTSYNFIN or a number"}},
	}, nil
}

// Configure takes one optional setting, flags: Nmap's --scanflags.
func (p *plugin) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	p.flags = flagSYN
	var set struct {
		Flags *string `json:"flags"`
	}
	if err := s.Decode(&set); err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: settings: %v", ID, err)}}, nil
	}
	if set.Flags == nil {
		return nil, nil
	}
	f, err := sdk.ParseTCPFlags(*set.Flags)
	if err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: setting flags: %v", ID, err), Attribute: "flags"}}, nil
	}
	p.flags = f
	return nil, nil
}

// synHeader is the probe's TCP header with zero ports, sequence number and
// checksum: data offset 6 words (20 bytes and the MSS option), SYN, window
// 1024, MSS 1460.
func synHeader(flags uint8) []byte {
	h := make([]byte, 24)
	h[12] = 6 << 4
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 1024)
	h[20], h[21] = 2, 4 // MSS option: kind 2, length 4
	binary.BigEndian.PutUint16(h[22:], 1460)
	return h
}

const (
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

func (p *plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	tcp := func(mask, flags uint8, st sdk.PortState, reason string) sdk.ReplyRule {
		m := sdk.Any(sdk.MatchTCP)
		m.TCPFlagsMask, m.TCPFlags = mask, flags
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: st, Reason: reason}}
	}
	// Order matters: the first matching rule wins, so SYN/ACK is tested
	// before the bare SYN of a split handshake, and RST before both.
	rules := []sdk.ReplyRule{
		tcp(flagRST, flagRST, sdk.StateClosed, "reset"),
		tcp(flagSYN|flagACK, flagSYN|flagACK, sdk.StateOpen, "syn-ack"),
		tcp(flagSYN|flagACK, flagSYN, sdk.StateOpen, "split-handshake-syn"),
	}
	// ICMP errors filter the port (nmap-internals §3.1).
	rules = append(rules, sdk.ICMPErrorRules()...)
	// A probe with ACK set (--scanflags) is answered by a reset whose
	// sequence number is our acknowledgement: the cookie goes there.
	cookie := offSeq
	if p.flags&flagACK != 0 {
		cookie = offAck
	}
	return sdk.ProbeSpec{
		ScanType:  "syn",
		Proto:     sdk.ProtoTCP,
		Transport: sdk.TransportRawIP,
		NeedsRoot: true,
		Templates: []sdk.PacketTemplate{{
			Name:       "syn",
			IPProtocol: 6,
			Layer4:     synHeader(p.flags),
			Slots: []sdk.Slot{
				{Kind: sdk.SlotSrcPort, Offset: offSrcPort, Width: 2},
				{Kind: sdk.SlotDstPort, Offset: offDstPort, Width: 2},
				{Kind: sdk.SlotCookie, Offset: cookie, Width: 4},
				{Kind: sdk.SlotChecksum, Offset: offChecksum, Width: 2},
			},
		}},
		Rules:   rules,
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
	}, nil
}

var _ sdk.ProbeType = (*plugin)(nil)
