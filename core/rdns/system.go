package rdns

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// ParseResolvConf returns the nameservers of a resolv.conf, on port 53, in
// order. Lines it does not use are ignored, as the C library does.
func ParseResolvConf(r io.Reader) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		// A link-local server may carry a zone ("fe80::1%eth0").
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			continue
		}
		out = append(out, netip.AddrPortFrom(a.Unmap(), 53))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("resolv.conf: %w", err)
	}
	return out, nil
}

// ParseHosts returns the first name of every address of a hosts file, the
// name its reverse lookup gives.
func ParseHosts(r io.Reader) (map[netip.Addr]string, error) {
	out := map[netip.Addr]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		a = a.Unmap()
		if _, seen := out[a]; !seen {
			out[a] = f[1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hosts file: %w", err)
	}
	return out, nil
}

// ParseServer reads one --dns-servers item: an address, or address:port.
func ParseServer(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 53), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	return netip.AddrPort{}, fmt.Errorf("%q is not an IP address (or address:port) of a DNS server", s)
}

// systemParallel is how many OS look-ups run at once with --system-dns.
const systemParallel = 16

// System names addrs through the operating system's resolver (Nmap's
// --system-dns), a few at a time; "" where it finds no name.
func System(ctx context.Context, addrs []netip.Addr) []string {
	names := make([]string, len(addrs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(systemParallel, len(addrs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if got, err := net.DefaultResolver.LookupAddr(ctx, addrs[i].String()); err == nil && len(got) > 0 {
					names[i] = strings.TrimSuffix(got[0], ".")
				}
			}
		}()
	}
	for i := range addrs {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	return names
}
