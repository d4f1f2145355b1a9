// Package tcpconnect is the probe.tcp_connect plugin: Nmap's connect scan
// (-sT). It sends nothing itself. It tells the core to open a TCP connection
// to each port with the operating system's connect() and says what each
// outcome means, so the core can run the scan without asking it per port.
//
// On the wire: a full three-way handshake for open ports (the core closes
// with a reset right after), a SYN answered by RST for closed ports.
package tcpconnect

import (
	"context"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "probe.tcp_connect"

// Version is the plugin's own version.
const Version = "0.1.0"

type plugin struct{}

// New returns the plugin.
func New() sdk.ProbeType { return plugin{} }

func (plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindProbe,
		Version:     Version,
		Description: "TCP connect scan (-sT): the OS's connect() to each port; needs no privileges",
	}, nil
}

func (plugin) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	return nil, nil
}

func (plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	// The reasons are the names Nmap prints for the same outcomes, so that
	// --reason and the XML agree with Nmap's.
	rule := func(outcome string, st sdk.PortState, reason string) sdk.ReplyRule {
		return sdk.ReplyRule{
			Match:   sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: outcome, TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1},
			Verdict: sdk.Verdict{State: st, Reason: reason},
		}
	}
	return sdk.ProbeSpec{
		ScanType:  "connect",
		Proto:     sdk.ProtoTCP,
		Transport: sdk.TransportConnect,
		Rules: []sdk.ReplyRule{
			rule(sdk.ConnectConnected, sdk.StateOpen, "syn-ack"),
			rule(sdk.ConnectRefused, sdk.StateClosed, "conn-refused"),
			rule(sdk.ConnectHostUnreachable, sdk.StateFiltered, "host-unreach"),
			rule(sdk.ConnectNetUnreachable, sdk.StateFiltered, "net-unreach"),
			rule(sdk.ConnectProhibited, sdk.StateFiltered, "admin-prohibited"),
			rule(sdk.ConnectHostDown, sdk.StateFiltered, "no-response"),
		},
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
	}, nil
}

var _ sdk.ProbeType = plugin{}
