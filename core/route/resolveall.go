package route

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// resolveBatch bounds how many missing next hops ResolveAll asks the
// kernel for at once: each unanswered one holds an INCOMPLETE neighbour
// entry until it fails, and the table's hard limit (gc_thresh3) is 1024
// entries by default.
const resolveBatch = 256

// Polling: the kernel's table is read every resolvePoll; a hop still
// missing is asked for again every resolveRetry in case the first request
// or its answer was lost.
const (
	resolvePoll  = 5 * time.Millisecond
	resolveRetry = 200 * time.Millisecond
)

// resolveTimeout is the wait for a hop's answer: timeout, or 1 s when
// it is not set.
func resolveTimeout(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return time.Second
	}
	return timeout
}

// ResolveAll finds the MACs of next hops on one Ethernet interface
// together. The kernel does the resolving (ARP or ND, from its own source
// address; one datagram to a hop's discard port makes it ask), and one dump
// of its neighbour table per poll answers every hop at once, so a batch of
// absent on-link addresses costs one timeout rather than one per address.
// Hops that did not resolve within timeout (0 means 1 s) are missing from
// the result; an error is a failure to ask, or ctx ending.
func ResolveAll(ctx context.Context, ifi Interface, hops []netip.Addr, timeout time.Duration) (map[netip.Addr]net.HardwareAddr, error) {
	timeout = resolveTimeout(timeout)
	macs := make(map[netip.Addr]net.HardwareAddr, len(hops))
	n := &nudger{ifi: ifi}
	defer n.close()
	var missing []netip.Addr
	for _, six := range []bool{false, true} {
		var of []netip.Addr
		for _, h := range hops {
			if h = h.Unmap(); h.Is6() == six {
				of = append(of, h)
			}
		}
		if len(of) == 0 {
			continue
		}
		table, err := neighbours(ifi.Index, six)
		if err != nil {
			return macs, err
		}
		for _, h := range of {
			if mac, ok := table[h]; ok {
				macs[h] = mac
			} else if _, seen := macs[h]; !seen {
				missing = append(missing, h)
			}
		}
	}
	for lo := 0; lo < len(missing); lo += resolveBatch {
		if err := resolveSome(ctx, n, missing[lo:min(lo+resolveBatch, len(missing))], timeout, macs); err != nil {
			return macs, err
		}
	}
	return macs, nil
}

// resolveSome asks for hops and polls the table until each has a MAC in
// macs or timeout passed.
func resolveSome(ctx context.Context, n *nudger, hops []netip.Addr, timeout time.Duration, macs map[netip.Addr]net.HardwareAddr) error {
	pending := make(map[netip.Addr]bool, len(hops))
	for _, h := range hops {
		pending[h] = true
	}
	ask := func() error {
		for h := range pending {
			if err := n.nudge(h); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ask(); err != nil {
		return err
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(resolvePoll)
	defer poll.Stop()
	lastAsk := time.Now()
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil
		case <-poll.C:
		}
		for _, six := range []bool{false, true} {
			if !anyFamily(pending, six) {
				continue
			}
			table, err := neighbours(n.ifi.Index, six)
			if err != nil {
				return err
			}
			for h := range pending {
				if mac, ok := table[h]; ok {
					macs[h] = mac
					delete(pending, h)
				}
			}
		}
		if time.Since(lastAsk) >= resolveRetry {
			if err := ask(); err != nil {
				return err
			}
			lastAsk = time.Now()
		}
	}
	return nil
}

func anyFamily(hops map[netip.Addr]bool, six bool) bool {
	for h := range hops {
		if h.Is6() == six {
			return true
		}
	}
	return false
}

// nudger makes the kernel resolve next hops: a UDP socket per family bound
// to the interface, and an empty datagram to each hop's discard port,
// which the kernel queues while it sends ARP or ND, simpler and more
// correct than crafting them (it answers from its own source address and
// keeps the entry).
type nudger struct {
	ifi    Interface
	fd4    int
	fd6    int
	opened [2]bool
}

func (n *nudger) nudge(hop netip.Addr) error {
	family, slot, fd := unix.AF_INET6, 1, &n.fd6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: 9, Addr: hop.As16(), ZoneId: uint32(n.ifi.Index)}
	if hop.Is4() {
		family, slot, fd = unix.AF_INET, 0, &n.fd4
		sa = &unix.SockaddrInet4{Port: 9, Addr: hop.As4()}
	}
	if !n.opened[slot] {
		s, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("resolve %s: socket: %w", hop, err)
		}
		if err := unix.BindToDevice(s, n.ifi.Name); err != nil {
			unix.Close(s)
			return fmt.Errorf("resolve %s: bind to %s: %w", hop, n.ifi.Name, err)
		}
		*fd, n.opened[slot] = s, true
	}
	// EAGAIN or EHOSTUNREACH from an earlier failed resolution are
	// expected; only the neighbour table decides.
	_ = unix.Sendto(*fd, nil, 0, sa)
	return nil
}

func (n *nudger) close() {
	if n.opened[0] {
		unix.Close(n.fd4)
	}
	if n.opened[1] {
		unix.Close(n.fd6)
	}
}
