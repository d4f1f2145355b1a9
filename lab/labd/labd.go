// Package labd holds the lab's tiny listeners: TCP ports that accept and close or
// accept and hold, UDP ports that echo or stay silent. The lab runs them inside a
// host's namespace (as the scanfw-labd command, or by re-executing a program that
// calls lab.Dispatch) to give ports the states the lab description promises.
package labd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says which ports to serve. Bind is the address to listen on; empty means
// every address of both families.
type Config struct {
	Bind      string
	TCPClose  []uint16 // accept, then close at once
	TCPHold   []uint16 // accept, hold until the peer closes or HoldFor passes
	UDPEcho   []uint16 // send every datagram back
	UDPSilent []uint16 // read every datagram, never answer
	HoldFor   time.Duration
	// Hostile services, for scanners' service detection: each must cost
	// a scanner at most one probe's wait and a bounded amount of memory.
	TCPHuge    []uint16 // a 1 MiB banner at once, then hold
	TCPEndless []uint16 // a banner that never ends (until HoldFor)
	TCPReDoS   []uint16 // a banner built to make backtracking regexes explode
	TCPGarbage []uint16 // 8 KiB of random binary, then hold
	TCPReset   []uint16 // accept, then reset the connection
}

// hostile names the behaviour of each hostile port list, for flags and Run.
func (c *Config) hostile() []struct {
	flag  string
	ports *[]uint16
	serve func(net.Conn, time.Duration)
} {
	return []struct {
		flag  string
		ports *[]uint16
		serve func(net.Conn, time.Duration)
	}{
		{"tcp-huge", &c.TCPHuge, serveHuge},
		{"tcp-endless", &c.TCPEndless, serveEndless},
		{"tcp-redos", &c.TCPReDoS, serveReDoS},
		{"tcp-garbage", &c.TCPGarbage, serveGarbage},
		{"tcp-reset", &c.TCPReset, serveReset},
	}
}

// ParseFlags reads a Config from command-line arguments.
func ParseFlags(args []string) (Config, error) {
	fs := flag.NewFlagSet("scanfw-labd", flag.ContinueOnError)
	var c Config
	var tc, th, ue, us string
	fs.StringVar(&c.Bind, "bind", "", "address to listen on (empty: all)")
	fs.StringVar(&tc, "tcp-close", "", "TCP ports that accept and close (comma-separated)")
	fs.StringVar(&th, "tcp-hold", "", "TCP ports that accept and hold the connection")
	fs.StringVar(&ue, "udp-echo", "", "UDP ports that echo each datagram")
	fs.StringVar(&us, "udp-silent", "", "UDP ports that never answer")
	fs.DurationVar(&c.HoldFor, "hold-for", time.Minute, "longest time a held connection stays open")
	hostile := map[string]*string{}
	for _, h := range c.hostile() {
		hostile[h.flag] = fs.String(h.flag, "", "hostile TCP ports: "+h.flag)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	for _, h := range c.hostile() {
		if *h.ports, err = ParsePorts(*hostile[h.flag]); err != nil {
			return c, err
		}
	}
	for _, p := range []struct {
		s   string
		dst *[]uint16
	}{{tc, &c.TCPClose}, {th, &c.TCPHold}, {ue, &c.UDPEcho}, {us, &c.UDPSilent}} {
		if *p.dst, err = ParsePorts(p.s); err != nil {
			return c, err
		}
	}
	return c, nil
}

// ParsePorts parses "80,443" into ports; the empty string is no ports.
func ParsePorts(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	var out []uint16
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("bad port %q", f)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}

// FormatPorts is the inverse of ParsePorts.
func FormatPorts(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}

// Run serves until ctx ends. Every listener is opened before Run starts serving,
// so an error (a port in use) is returned at once.
func Run(ctx context.Context, c Config) error {
	if c.HoldFor <= 0 {
		c.HoldFor = time.Minute
	}
	var lns []net.Listener
	var pcs []net.PacketConn
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
		for _, p := range pcs {
			p.Close()
		}
	}
	addr := func(p uint16) string { return net.JoinHostPort(c.Bind, strconv.Itoa(int(p))) }
	var wg sync.WaitGroup
	for _, hold := range []bool{false, true} {
		ports := c.TCPClose
		if hold {
			ports = c.TCPHold
		}
		for _, p := range ports {
			l, err := net.Listen("tcp", addr(p))
			if err != nil {
				closeAll()
				return fmt.Errorf("listen tcp %s: %w", addr(p), err)
			}
			lns = append(lns, l)
			wg.Add(1)
			go func() { defer wg.Done(); serveTCP(ctx, l, hold, c.HoldFor) }()
		}
	}
	for _, h := range c.hostile() {
		for _, p := range *h.ports {
			l, err := net.Listen("tcp", addr(p))
			if err != nil {
				closeAll()
				return fmt.Errorf("listen tcp %s: %w", addr(p), err)
			}
			lns = append(lns, l)
			wg.Add(1)
			go func() { defer wg.Done(); serveEach(l, h.serve, c.HoldFor) }()
		}
	}
	for _, echo := range []bool{true, false} {
		ports := c.UDPEcho
		if !echo {
			ports = c.UDPSilent
		}
		for _, p := range ports {
			pc, err := net.ListenPacket("udp", addr(p))
			if err != nil {
				closeAll()
				return fmt.Errorf("listen udp %s: %w", addr(p), err)
			}
			pcs = append(pcs, pc)
			wg.Add(1)
			go func() { defer wg.Done(); serveUDP(pc, echo) }()
		}
	}
	<-ctx.Done()
	closeAll()
	wg.Wait()
	return nil
}

func serveTCP(ctx context.Context, l net.Listener, hold bool, holdFor time.Duration) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		if !hold {
			conn.Close()
			continue
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(holdFor))
			buf := make([]byte, 512)
			for ctx.Err() == nil {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

func serveUDP(pc net.PacketConn, echo bool) {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if echo {
			_, _ = pc.WriteTo(buf[:n], from)
		}
	}
}
