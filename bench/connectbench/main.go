// Command connectbench runs a connect scan of every TCP port of one address
// through connectscan.Run, for bench/connect.sh when cmd/scanfw is missing.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/scanfw/scanfw/core/connectscan"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

func main() {
	addr := flag.String("addr", "127.0.0.1", "address to scan (loopback or a lab namespace only)")
	flag.Parse()
	a, err := netip.ParseAddr(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ports := make([]uint16, 0, 65535)
	for p := 1; p <= 65535; p++ {
		ports = append(ports, uint16(p))
	}
	rule := func(o string, st sdk.PortState, r string) sdk.ReplyRule {
		return sdk.ReplyRule{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: o}, Verdict: sdk.Verdict{State: st, Reason: r}}
	}
	spec := sdk.ProbeSpec{
		ScanType: "connect", Proto: sdk.ProtoTCP, Transport: sdk.TransportConnect,
		Rules: []sdk.ReplyRule{
			rule(sdk.ConnectConnected, sdk.StateOpen, "syn-ack"),
			rule(sdk.ConnectRefused, sdk.StateClosed, "conn-refused"),
		},
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
	}
	start := time.Now()
	err = connectscan.Run(context.Background(), ultrascan.DefaultConfig(), spec, []netip.Addr{a}, ports, func(r connectscan.HostResult) {
		shown, _ := portstate.Collapse(r.Table, []portstate.Scanned{{Proto: sdk.ProtoTCP, Ports: ports, Silence: spec.Silence}}, portstate.View{})
		for _, p := range shown {
			fmt.Printf("%d/tcp %s %s\n", p.Number, p.State, p.Reason)
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "scanned %d ports in %v\n", len(ports), time.Since(start))
}
