package route

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// usable neighbour states: the kernel itself would send to these MACs.
const usableNUD = unix.NUD_REACHABLE | unix.NUD_STALE | unix.NUD_DELAY | unix.NUD_PROBE |
	unix.NUD_PERMANENT | unix.NUD_NOARP

// Neighbour returns the MAC the kernel has for addr on ifindex, if it has a usable one.
func Neighbour(addr netip.Addr, ifindex int) (net.HardwareAddr, bool, error) {
	family := uint8(unix.AF_INET)
	if addr.Is6() {
		family = unix.AF_INET6
	}
	ndm := unix.NdMsg{Family: family, Ifindex: int32(ifindex)}
	msgs, err := nlRequest(unix.RTM_GETNEIGH, unix.NLM_F_DUMP, structBytes(&ndm))
	if err != nil {
		return nil, false, fmt.Errorf("neighbour dump: %w", err)
	}
	want := addr.AsSlice()
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNEIGH || len(m.Data) < unix.SizeofNdMsg {
			continue
		}
		nd := (*unix.NdMsg)(structPtr(m.Data))
		if int(nd.Ifindex) != ifindex || nd.State&usableNUD == 0 {
			continue
		}
		attrs, err := parseAttrs(m.Data[unix.SizeofNdMsg:])
		if err != nil {
			return nil, false, fmt.Errorf("parse neighbour: %w", err)
		}
		var dst, lladdr []byte
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.NDA_DST:
				dst = a.Value
			case unix.NDA_LLADDR:
				lladdr = a.Value
			}
		}
		if bytes.Equal(dst, want) && len(lladdr) == 6 {
			return net.HardwareAddr(bytes.Clone(lladdr)), true, nil
		}
	}
	return nil, false, nil
}

// resolve returns the next hop's MAC, asking the kernel to resolve it when the
// table has no usable entry. The kernel does the ARP/ND itself (with its retries
// and its own source address), which is simpler and more correct than crafting
// ARP over AF_PACKET: one datagram to the next hop's discard port, sent from a
// socket bound to the interface, makes the kernel queue it and resolve.
func resolve(ctx context.Context, hop netip.Addr, ifi Interface, timeout time.Duration) (net.HardwareAddr, error) {
	if mac, ok, err := Neighbour(hop, ifi.Index); err != nil || ok {
		return mac, err
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := nudge(hop, ifi); err != nil {
		return nil, err
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w within %s", ErrNoNeighbour, timeout)
		case <-tick.C:
		}
		if mac, ok, err := Neighbour(hop, ifi.Index); err != nil || ok {
			return mac, err
		}
		if n%40 == 39 { // re-nudge every 200 ms in case the first request was lost
			if err := nudge(hop, ifi); err != nil {
				return nil, err
			}
		}
	}
}

func nudge(hop netip.Addr, ifi Interface) error {
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: 9, Addr: hop.As16(), ZoneId: uint32(ifi.Index)}
	if hop.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: 9, Addr: hop.As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("resolve %s: socket: %w", hop, err)
	}
	defer unix.Close(fd)
	if err := unix.BindToDevice(fd, ifi.Name); err != nil {
		return fmt.Errorf("resolve %s: bind to %s: %w", hop, ifi.Name, err)
	}
	// EAGAIN or EHOSTUNREACH from an earlier failed resolution are expected;
	// only the neighbour table decides.
	_ = unix.Sendto(fd, nil, 0, sa)
	return nil
}
