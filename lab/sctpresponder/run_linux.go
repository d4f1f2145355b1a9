package sctpresponder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Run answers SCTP on every address of this namespace, IPv4 and IPv6,
// until ctx ends. ready is called once both sockets are open.
func Run(ctx context.Context, c Config, ready func()) error {
	v4, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_SCTP)
	if err != nil {
		return fmt.Errorf("raw SCTP socket (IPv4): %w", err)
	}
	v6, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_SCTP)
	if err != nil {
		unix.Close(v4)
		return fmt.Errorf("raw SCTP socket (IPv6): %w", err)
	}
	// A blocked read does not end when another goroutine closes the
	// socket, so reads time out and look at ctx.
	tv := unix.Timeval{Usec: 200000}
	for _, fd := range []int{v4, v6} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(v4)
			unix.Close(v6)
			return fmt.Errorf("raw SCTP socket: %w", err)
		}
	}
	if ready != nil {
		ready()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	// Either socket failing ends both, so the lab sees the process gone.
	go func() { errs <- serve(ctx, v4, false, c); cancel() }()
	go func() { errs <- serve(ctx, v6, true, c); cancel() }()
	err = errors.Join(<-errs, <-errs)
	unix.Close(v4)
	unix.Close(v6)
	return err
}

// serve reads SCTP packets from fd and sends Answer's replies. An IPv4 raw
// socket reads the IP header too; an IPv6 one does not.
func serve(ctx context.Context, fd int, v6 bool, c Config) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return fmt.Errorf("read SCTP: %w", err)
		}
		pkt := buf[:n]
		if !v6 {
			if n < 20 {
				continue
			}
			pkt = pkt[int(pkt[0]&0x0f)*4:]
		}
		out := c.Answer(pkt)
		if out == nil {
			continue
		}
		if err := unix.Sendto(fd, out, 0, from); err != nil && ctx.Err() == nil {
			return fmt.Errorf("send SCTP to %v: %w", addrOf(from), err)
		}
	}
}

func addrOf(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.IPAddr{IP: netip.AddrFrom4(a.Addr).AsSlice()}
	case *unix.SockaddrInet6:
		return &net.IPAddr{IP: netip.AddrFrom16(a.Addr).AsSlice()}
	}
	return nil
}
