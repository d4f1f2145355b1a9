// Command scanfw-relay is the lab's impaired link: run inside a network
// namespace that owns two interfaces, it forwards every Ethernet frame
// between them with per-direction delay, jitter and loss.
//
//	scanfw-relay -a IFACE -b IFACE -delay-ab 50ms -delay-ba 50ms \
//	    -jitter-ab 10ms -jitter-ba 10ms -loss-ab 0.03 -loss-ba 0.03 -seed N -pidfile F
//
// -jitter and -loss set both directions; a per-direction flag given as well
// wins. It runs until SIGTERM or SIGINT and prints its counters to stderr on
// exit and on SIGUSR1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/scanfw/scanfw/lab/relay"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-relay:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("scanfw-relay", flag.ContinueOnError)
	var cfg relay.Config
	fs.StringVar(&cfg.A, "a", "", "first interface (frames from it go out on -b)")
	fs.StringVar(&cfg.B, "b", "", "second interface (frames from it go out on -a)")
	fs.DurationVar(&cfg.AB.Delay, "delay-ab", 0, "base delay a->b")
	fs.DurationVar(&cfg.BA.Delay, "delay-ba", 0, "base delay b->a")
	jitter := fs.Duration("jitter", 0, "jitter of both directions")
	fs.DurationVar(&cfg.AB.Jitter, "jitter-ab", 0, "jitter a->b (uniform half-width or normal std dev)")
	fs.DurationVar(&cfg.BA.Jitter, "jitter-ba", 0, "jitter b->a")
	loss := fs.Float64("loss", 0, "loss probability of both directions")
	fs.Float64Var(&cfg.AB.Loss, "loss-ab", 0, "loss probability a->b, 0..1")
	fs.Float64Var(&cfg.BA.Loss, "loss-ba", 0, "loss probability b->a, 0..1")
	dist := fs.String("jitter-dist", "uniform", "jitter distribution: uniform or normal")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed for loss and jitter")
	fs.IntVar(&cfg.QueueLen, "queue", 16384, "frames held per direction before drop-tail")
	fs.BoolVar(&cfg.Reorder, "reorder", false, "let jitter reorder frames (default: keep order per direction)")
	fs.IntVar(&cfg.Batch, "batch", 256, "frames per sendmmsg")
	pidfile := fs.String("pidfile", "", "write the process id here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["jitter"] {
		if !set["jitter-ab"] {
			cfg.AB.Jitter = *jitter
		}
		if !set["jitter-ba"] {
			cfg.BA.Jitter = *jitter
		}
	}
	if set["loss"] {
		if !set["loss-ab"] {
			cfg.AB.Loss = *loss
		}
		if !set["loss-ba"] {
			cfg.BA.Loss = *loss
		}
	}
	d, err := relay.ParseDistribution(*dist)
	if err != nil {
		return err
	}
	cfg.AB.Dist, cfg.BA.Dist = d, d

	r, err := relay.New(cfg)
	if err != nil {
		return err
	}
	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pidfile: %w", err)
		}
		defer os.Remove(*pidfile)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			r.Stats().WriteTo(os.Stderr)
		}
	}()
	fmt.Fprintf(os.Stderr, "scanfw-relay: %s<->%s a->b %s b->a %s seed %d reorder %v\n",
		cfg.A, cfg.B, describe(cfg.AB), describe(cfg.BA), cfg.Seed, cfg.Reorder)
	start := time.Now()
	err = r.Run(ctx)
	signal.Stop(usr1)
	fmt.Fprintf(os.Stderr, "scanfw-relay: ran %v\n", time.Since(start).Round(time.Millisecond))
	r.Stats().WriteTo(os.Stderr)
	return err
}

func describe(im relay.Impairment) string {
	return fmt.Sprintf("delay=%v jitter=%v(%v) loss=%g", im.Delay, im.Jitter, im.Dist, im.Loss)
}
