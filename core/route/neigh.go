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
	table, err := neighbours(ifindex, addr.Is6())
	if err != nil {
		return nil, false, err
	}
	mac, ok := table[addr.Unmap()]
	return mac, ok, nil
}

// neighbours dumps the kernel's usable neighbour entries of one family on
// ifindex.
func neighbours(ifindex int, v6 bool) (map[netip.Addr]net.HardwareAddr, error) {
	family := uint8(unix.AF_INET)
	if v6 {
		family = unix.AF_INET6
	}
	ndm := unix.NdMsg{Family: family, Ifindex: int32(ifindex)}
	msgs, err := nlRequest(unix.RTM_GETNEIGH, unix.NLM_F_DUMP, structBytes(&ndm))
	if err != nil {
		return nil, fmt.Errorf("neighbour dump: %w", err)
	}
	table := map[netip.Addr]net.HardwareAddr{}
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
			return nil, fmt.Errorf("parse neighbour: %w", err)
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
		if a, ok := netip.AddrFromSlice(dst); ok && len(lladdr) == 6 {
			table[a.Unmap()] = net.HardwareAddr(bytes.Clone(lladdr))
		}
	}
	return table, nil
}

// resolve returns the next hop's MAC, asking the kernel to resolve it when the
// entry is missing. ResolveAll does the work; one hop is a group of one.
func resolve(ctx context.Context, hop netip.Addr, ifi Interface, timeout time.Duration) (net.HardwareAddr, error) {
	macs, err := ResolveAll(ctx, ifi, []netip.Addr{hop}, timeout)
	if err != nil {
		return nil, err
	}
	mac, ok := macs[hop.Unmap()]
	if !ok {
		return nil, fmt.Errorf("%w within %s", ErrNoNeighbour, resolveTimeout(timeout))
	}
	return mac, nil
}
