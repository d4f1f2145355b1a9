// Command rawsweep runs one rawsweep.Run against a host and prints the sweep
// time; bench/rawsweep.sh runs it inside a namespace it created.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"

	"github.com/scanfw/scanfw/core/rawio/rawsweep"
	"github.com/scanfw/scanfw/core/route"
)

func main() {
	senders := flag.Int("senders", 2, "sender threads")
	iface := flag.String("e", "", "required output interface (safety: refuse any other)")
	flag.Parse()
	if flag.NArg() != 1 || *iface == "" {
		fmt.Fprintln(os.Stderr, "usage: rawsweep -e IFACE [-senders N] ADDR")
		os.Exit(2)
	}
	dst, err := netip.ParseAddr(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rt, err := route.Lookup(context.Background(), dst, route.Options{})
	if err != nil || rt.Iface.Name != *iface {
		fmt.Fprintf(os.Stderr, "route to %s: %v (interface %q, want %q)\n", dst, err, rt.Iface.Name, *iface)
		os.Exit(1)
	}
	res, err := rawsweep.Run(context.Background(), rawsweep.Config{Route: rt, Senders: *senders})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("open=%d closed=%d probes=%d passes=%d sweep_s=%.4f probes_per_s=%.0f\n",
		res.Open, res.Closed, res.Probes, res.Passes, res.Elapsed.Seconds(), 65535/res.Elapsed.Seconds())
}
