// Command scanfw-lab brings the test lab up or down and shows its state:
//
//	scanfw-lab up [svc fw farm wan]   # all hosts when none are named
//	scanfw-lab down
//	scanfw-lab status
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/scanfw/scanfw/lab"
)

func main() {
	lab.Dispatch()
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-lab:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: scanfw-lab up [host...] | down | status")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	switch args[0] {
	case "up":
		if why := lab.Unavailable(); why != "" {
			return fmt.Errorf("%s", why)
		}
		var hosts []*lab.Host
		for _, name := range args[1:] {
			h, err := lab.ByName(name)
			if err != nil {
				return err
			}
			hosts = append(hosts, h)
		}
		unlock, err := lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		start := time.Now()
		if err := lab.Up(ctx, hosts...); err != nil {
			return fmt.Errorf("%w (the partial lab stays up; run scanfw-lab down)", err)
		}
		fmt.Printf("lab up in %v\n", time.Since(start).Round(time.Millisecond))
		return status()
	case "down":
		unlock, err := lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		return lab.Down(ctx)
	case "status":
		return status()
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// lock takes the lab lock unless the parent process says it holds it already
// (SCANFW_LAB_LOCK_HELD=1: a test that drives this command and checks the result
// under one lock).
func lock(ctx context.Context) (func(), error) {
	if os.Getenv("SCANFW_LAB_LOCK_HELD") == "1" {
		return func() {}, nil
	}
	return lab.Lock(ctx)
}

func status() error {
	st, err := lab.LoadRecord()
	if err != nil {
		return err
	}
	if len(st.Namespaces) == 0 {
		fmt.Println("lab is down")
		return nil
	}
	fmt.Printf("dir %s\nnamespaces %v\n", st.Dir, st.Namespaces)
	for _, p := range st.Procs {
		alive := "running"
		if !p.Alive() {
			alive = "GONE"
		}
		fmt.Printf("  %-16s %-10s pid %-7d %s\n", p.NS, p.Name, p.PID, alive)
	}
	for _, name := range st.Hosts {
		h, err := lab.ByName(name)
		if err != nil {
			continue
		}
		fmt.Printf("%-5s %-16s %v\n", h.Name, h.NS, h.Addrs()[:min(len(h.Addrs()), 2)])
		for _, p := range h.Ports {
			v := ""
			if p.Package != "" {
				v, _ = p.PackageVersion()
				v = p.Package + " " + v
			}
			fmt.Printf("      %5d/%s %-14v %s %s\n", p.Port, p.Proto, p.Expect, p.Why, v)
		}
	}
	return nil
}
