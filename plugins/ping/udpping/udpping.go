// Package udpping is ping.udp, host discovery's UDP ping (-PU).
//
// On the wire: a UDP datagram to each ping port carrying the payload the
// UDP scan sends to that port (Nmap's -PU does the same, from
// nmap-payloads), or nothing for a port without one. The payloads come
// from the UDP scan probe type given to New, so both read the same files.
// Any UDP answer makes the host up (udp-response), and so does a port
// unreachable from the target itself (sdk.PingErrorRules).
package udpping

import (
	"context"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "ping.udp"

// Version is the plugin's own version.
const Version = "0.1.0"

type plugin struct{ payloads sdk.ProbeType }

// New returns the plugin; payloads is the UDP scan probe type whose
// templates (one per payload, named by ports, and one empty) it sends.
func New(payloads sdk.ProbeType) sdk.ProbeType { return plugin{payloads} }

func (plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: ID, Kind: sdk.KindProbe, Version: Version,
		Description: "host discovery -PU: UDP datagrams with per-port payloads; needs root"}, nil
}

func (plugin) Configure(context.Context, sdk.Settings) ([]sdk.Diagnostic, error) { return nil, nil }

func (p plugin) Describe(ctx context.Context) (sdk.ProbeSpec, error) {
	src, err := p.payloads.Describe(ctx)
	if err != nil {
		return sdk.ProbeSpec{}, fmt.Errorf("%s: payloads: %w", ID, err)
	}
	var ts []sdk.PacketTemplate
	for _, t := range src.Templates {
		if t.IPProtocol == 17 {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return sdk.ProbeSpec{}, fmt.Errorf("%s: the UDP scan declares no UDP templates", ID)
	}
	m := sdk.Any(sdk.MatchUDP)
	m.FromTarget = 1
	return sdk.ProbeSpec{
		ScanType: "ping", Proto: sdk.ProtoUDP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: ts,
		Rules: append([]sdk.ReplyRule{{Match: m, Verdict: sdk.Verdict{Reason: "udp-response", Host: sdk.HostUp}}},
			sdk.PingErrorRules()...),
		Silence: sdk.Verdict{Reason: "no-response", Host: sdk.HostDownHint},
	}, nil
}

var _ sdk.ProbeType = plugin{}
