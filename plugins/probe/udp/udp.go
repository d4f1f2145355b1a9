// Package udp is the probe.udp plugin: Nmap's UDP scan (-sU). It declares
// one raw UDP template per payload, limited to the payload's ports, and an
// empty datagram for every other port, plus what each reply means; the core
// sends, matches and paces without calling the plugin per probe.
//
// Payloads come from the project's own data/scanfw-payloads (handed in by
// the binary as Options.Builtin) and, when installed, Nmap's nmap-payloads,
// read at run time. A port named by several payloads gets all of them on
// every try, each its own datagram.
//
// A UDP probe has no sequence number, so the cookie is the source port
// alone (base + try): the core needs no cookie slot.
package udp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "probe.udp"

// Version is the plugin's own version.
const Version = "0.1.0"

// NmapPayloads is where Debian's nmap keeps its payloads.
const NmapPayloads = "/usr/share/nmap/nmap-payloads"

// maxPerPort bounds the datagrams one try sends to one port.
const maxPerPort = 8

// Options say where payloads come from.
type Options struct {
	Builtin []byte // scanfw-payloads contents
	// Nmap is the nmap-payloads path; "" means NmapPayloads. A missing file
	// is no error.
	Nmap string
	// NoNmap ignores Nmap's file (--no-nmap-data).
	NoNmap bool
}

type plugin struct {
	opt Options
	// defeat is --defeat-icmp-ratelimit: silence is closed|filtered.
	defeat bool
	// noNmap is the no_nmap_data setting: as Options.NoNmap, per scan.
	noNmap bool
}

// New returns the plugin.
func New(opt Options) sdk.ProbeType { return &plugin{opt: opt} }

func (p *plugin) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: ID, Kind: sdk.KindProbe, Version: Version,
		Description: "UDP scan (-sU): per-port payloads; a reply is open, ICMP port unreachable closed, silence open|filtered; needs root",
		Config: []sdk.ConfigField{{Name: "defeat_icmp_ratelimit", Type: "bool", Default: false,
			Description: "report silent ports closed|filtered (--defeat-icmp-ratelimit)"},
			{Name: "no_nmap_data", Type: "bool", Default: false,
				Description: "send only the project's own payloads, never Nmap's nmap-payloads (--no-nmap-data)"}}}, nil
}

// Configure takes defeat_icmp_ratelimit (bool): Nmap 7.93's
// --defeat-icmp-ratelimit, which reports silent ports closed|filtered; and
// no_nmap_data (bool): --no-nmap-data, which leaves Nmap's payloads out.
func (p *plugin) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	var set struct {
		Defeat bool `json:"defeat_icmp_ratelimit"`
		NoNmap bool `json:"no_nmap_data"`
	}
	if err := s.Decode(&set); err != nil {
		return []sdk.Diagnostic{{Severity: "error", Summary: fmt.Sprintf("%s: settings: %v", ID, err)}}, nil
	}
	p.defeat = set.Defeat
	p.noNmap = set.NoNmap
	return nil, nil
}

// Payloads returns every payload, the project's first.
func (p *plugin) Payloads() ([]Payload, error) {
	out, err := ParseOwn("scanfw-payloads", p.opt.Builtin)
	if err != nil {
		return nil, err
	}
	if p.opt.NoNmap || p.noNmap {
		return out, nil
	}
	path := p.opt.Nmap
	if path == "" {
		path = NmapPayloads
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("udp payloads: %w", err)
	}
	nm, err := ParseNmap(path, b)
	if err != nil {
		return nil, err
	}
	return append(out, nm...), nil
}

const (
	offSrcPort  = 0
	offDstPort  = 2
	offLength   = 4
	offChecksum = 6
)

func template(name string, ports []sdk.PortRange, data []byte) sdk.PacketTemplate {
	l4 := make([]byte, 8+len(data))
	copy(l4[8:], data)
	l4[offLength], l4[offLength+1] = byte(len(l4)>>8), byte(len(l4))
	return sdk.PacketTemplate{
		Name: name, IPProtocol: 17, Layer4: l4, Ports: ports,
		Slots: []sdk.Slot{
			{Kind: sdk.SlotSrcPort, Offset: offSrcPort, Width: 2},
			{Kind: sdk.SlotDstPort, Offset: offDstPort, Width: 2},
			{Kind: sdk.SlotChecksum, Offset: offChecksum, Width: 2},
		},
	}
}

// templates turns payloads into templates: identical bodies for a port are
// sent once, and no port gets more than maxPerPort.
func templates(ps []Payload) []sdk.PacketTemplate {
	out := []sdk.PacketTemplate{template("empty", nil, nil)}
	perPort := map[uint16]int{}
	var bodies [][]byte
	var owners [][]sdk.PortRange
	for _, p := range ps {
		var keep []sdk.PortRange
		for _, r := range p.Ports {
			for port := int(r.Lo); port <= int(r.Hi); port++ {
				if perPort[uint16(port)] >= maxPerPort || sent(bodies, owners, p.Data, uint16(port)) {
					continue
				}
				perPort[uint16(port)]++
				if n := len(keep); n > 0 && int(keep[n-1].Hi)+1 == port {
					keep[n-1].Hi = uint16(port)
				} else {
					keep = append(keep, sdk.PortRange{Lo: uint16(port), Hi: uint16(port)})
				}
			}
		}
		if len(keep) == 0 {
			continue
		}
		bodies, owners = append(bodies, p.Data), append(owners, keep)
		out = append(out, template(p.Name, keep, p.Data))
	}
	return out
}

// sent says an identical body already goes to port.
func sent(bodies [][]byte, owners [][]sdk.PortRange, body []byte, port uint16) bool {
	for i, b := range bodies {
		if !bytes.Equal(b, body) {
			continue
		}
		for _, r := range owners[i] {
			if r.Lo <= port && port <= r.Hi {
				return true
			}
		}
	}
	return false
}

func (p *plugin) Describe(context.Context) (sdk.ProbeSpec, error) {
	ps, err := p.Payloads()
	if err != nil {
		return sdk.ProbeSpec{}, err
	}
	base := sdk.ReplyMatch{TCPWindow: -1, ICMPType: -1, ICMPCode: -1, FromTarget: -1}
	icmp := func(v6 bool, typ, code, from int, st sdk.PortState, reason string) sdk.ReplyRule {
		m := base
		m.Kind, m.ICMPv6, m.ICMPType, m.ICMPCode, m.FromTarget = sdk.MatchICMP, v6, typ, code, from
		return sdk.ReplyRule{Match: m, Verdict: sdk.Verdict{State: st, Reason: reason}}
	}
	udp := base
	udp.Kind = sdk.MatchUDP
	// nmap-internals §3.1, UDP column: a port unreachable from the target
	// itself means closed; every ICMP error otherwise means filtered.
	rules := []sdk.ReplyRule{
		{Match: udp, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: "udp-response"}},
		icmp(false, 3, 3, 1, sdk.StateClosed, "port-unreach"),
		icmp(true, 1, 4, 1, sdk.StateClosed, "port-unreach"),
	}
	rules = append(rules, sdk.ICMPErrorRules()...)
	silence := sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"}
	if p.defeat {
		silence.State = sdk.StateClosedFiltered
	}
	return sdk.ProbeSpec{
		ScanType: "udp", Proto: sdk.ProtoUDP, Transport: sdk.TransportRawIP, NeedsRoot: true,
		Templates: templates(ps), Rules: rules, Silence: silence, SilenceMeansOpen: true,
	}, nil
}

var _ sdk.ProbeType = (*plugin)(nil)
