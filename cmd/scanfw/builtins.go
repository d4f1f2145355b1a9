package main

import (
	"github.com/scanfw/scanfw/data"
	"github.com/scanfw/scanfw/plugins/output/grepable"
	"github.com/scanfw/scanfw/plugins/output/html"
	jsonout "github.com/scanfw/scanfw/plugins/output/json"
	"github.com/scanfw/scanfw/plugins/output/normal"
	"github.com/scanfw/scanfw/plugins/output/xml"
	"github.com/scanfw/scanfw/plugins/ping/icmpping"
	"github.com/scanfw/scanfw/plugins/ping/protoping"
	"github.com/scanfw/scanfw/plugins/ping/sctpping"
	"github.com/scanfw/scanfw/plugins/ping/tcpping"
	"github.com/scanfw/scanfw/plugins/ping/udpping"
	"github.com/scanfw/scanfw/plugins/probe/ipproto"
	"github.com/scanfw/scanfw/plugins/probe/sctp"
	"github.com/scanfw/scanfw/plugins/probe/tcpconnect"
	"github.com/scanfw/scanfw/plugins/probe/tcpflags"
	"github.com/scanfw/scanfw/plugins/probe/tcpsyn"
	"github.com/scanfw/scanfw/plugins/probe/udp"
	"github.com/scanfw/scanfw/plugins/service/nmapdb"
	"github.com/scanfw/scanfw/sdk"
)

// builtins is the order-as-data list of the plugins shipped inside the
// binary. Each runs in its own process (`scanfw plugin serve ID`); this list
// is the only place the binary links plugins, and the core never does.
var builtins = []struct {
	id  string
	new func() sdk.Plugin
}{
	{tcpconnect.ID, func() sdk.Plugin { return tcpconnect.New() }},
	{tcpsyn.ID, func() sdk.Plugin { return tcpsyn.New() }},
	{tcpflags.FIN, func() sdk.Plugin { return tcpflags.New(tcpflags.FIN) }},
	{tcpflags.NULL, func() sdk.Plugin { return tcpflags.New(tcpflags.NULL) }},
	{tcpflags.Xmas, func() sdk.Plugin { return tcpflags.New(tcpflags.Xmas) }},
	{tcpflags.Maimon, func() sdk.Plugin { return tcpflags.New(tcpflags.Maimon) }},
	{tcpflags.ACK, func() sdk.Plugin { return tcpflags.New(tcpflags.ACK) }},
	{tcpflags.Window, func() sdk.Plugin { return tcpflags.New(tcpflags.Window) }},
	{udp.ID, func() sdk.Plugin { return udp.New(udp.Options{Builtin: data.UDPPayloads}) }},
	{ipproto.ID, func() sdk.Plugin { return ipproto.New() }},
	// Host discovery's ping probe types; ping.udp sends the UDP scan's payloads.
	{icmpping.Echo, func() sdk.Plugin { return icmpping.New(icmpping.Echo) }},
	{icmpping.Timestamp, func() sdk.Plugin { return icmpping.New(icmpping.Timestamp) }},
	{icmpping.Mask, func() sdk.Plugin { return icmpping.New(icmpping.Mask) }},
	{tcpping.SYN, func() sdk.Plugin { return tcpping.New(tcpping.SYN) }},
	{tcpping.ACK, func() sdk.Plugin { return tcpping.New(tcpping.ACK) }},
	{udpping.ID, func() sdk.Plugin { return udpping.New(udp.New(udp.Options{Builtin: data.UDPPayloads})) }},
	{sctpping.ID, func() sdk.Plugin { return sctpping.New() }},
	{protoping.ID, func() sdk.Plugin { return protoping.New() }},
	{sctp.Init, func() sdk.Plugin { return sctp.New(sctp.Init) }},
	{sctp.Cookie, func() sdk.Plugin { return sctp.New(sctp.Cookie) }},
	{"output.normal", func() sdk.Plugin { return normal.New() }},
	{"output.xml", func() sdk.Plugin { return xml.New() }},
	{"output.grepable", func() sdk.Plugin { return grepable.New() }},
	{jsonout.ID, func() sdk.Plugin { return jsonout.New() }},
	{html.ID, func() sdk.Plugin { return html.New() }},
	{nmapdb.ID, func() sdk.Plugin { return nmapdb.New(nmapdb.Options{Builtin: data.ServiceProbes}) }},
}

func builtin(id string) func() sdk.Plugin {
	for _, b := range builtins {
		if b.id == id {
			return b.new
		}
	}
	return nil
}
