// Command scanfw-labd serves the lab's plain TCP and UDP listeners (see package
// labd); the lab starts it inside a host's network namespace.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/scanfw/scanfw/lab/labd"
)

func main() {
	cfg, err := labd.ParseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := labd.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-labd:", err)
		os.Exit(1)
	}
}
