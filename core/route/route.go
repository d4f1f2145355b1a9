package route

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"syscall"

	"golang.org/x/sys/unix"
)

// Interface is the output interface of a route.
type Interface struct {
	Index int
	Name  string
	MTU   int
	// MAC is empty for interfaces without link-layer addresses (lo, tun).
	MAC net.HardwareAddr
}

// Route says how a raw frame reaches Dst: from which address, out of which
// interface, and to which Ethernet address.
type Route struct {
	Dst   netip.Addr
	Src   netip.Addr
	Iface Interface
	// Gateway is the next router, invalid when Dst is directly connected.
	Gateway netip.Addr
	// NextHopMAC is the destination MAC of frames to Dst: the gateway's or the
	// target's own. All zero on loopback.
	NextHopMAC net.HardwareAddr
	// Loopback is set for 127.0.0.0/8, ::1 and our own addresses: frames go over
	// lo with zero MACs.
	Loopback bool
}

// Direct reports whether Dst is on a connected network (no gateway).
func (r Route) Direct() bool { return !r.Gateway.IsValid() }

// NextHop is the address whose MAC frames carry: the gateway, or Dst itself.
func (r Route) NextHop() netip.Addr {
	if r.Gateway.IsValid() {
		return r.Gateway
	}
	return r.Dst
}

// Options are the user's overrides.
type Options struct {
	// Iface forces the output interface (-e).
	Iface string
	// Src forces the source address (-S); the route is still looked up for the
	// interface and next hop.
	Src netip.Addr
	// ResolveTimeout bounds the wait for a missing neighbour entry; 0 means 1 s.
	ResolveTimeout time.Duration
	// Unresolved leaves NextHopMAC empty on an Ethernet link instead of
	// resolving it, for a caller that resolves many routes' next hops
	// together with ResolveAll.
	Unresolved bool
}

// ErrNoNeighbour is returned when the next hop does not answer ARP or ND.
var ErrNoNeighbour = errors.New("next hop did not resolve")

// ErrUnroutable is returned when the kernel's route to the destination is not
// one a probe can take (unreachable, blackhole, prohibit, broadcast, ...).
var ErrUnroutable = errors.New("no unicast route")

// Lookup asks the kernel how it would send a packet to dst, then finds the next
// hop's MAC, triggering ARP/ND and waiting (bounded) when the entry is missing.
func Lookup(ctx context.Context, dst netip.Addr, opt Options) (Route, error) {
	dst = dst.Unmap()
	if !dst.IsValid() {
		return Route{}, errors.New("route lookup: invalid destination")
	}
	if opt.Src.IsValid() && opt.Src.Unmap().Is4() != dst.Is4() {
		return Route{}, fmt.Errorf("route to %s: source %s is of another family", dst, opt.Src)
	}
	oif := 0
	if opt.Iface != "" {
		ifi, err := net.InterfaceByName(opt.Iface)
		if err != nil {
			return Route{}, fmt.Errorf("route to %s: interface %q: %w", dst, opt.Iface, err)
		}
		oif = ifi.Index
	}
	r, rtype, err := getRoute(dst, oif)
	if err != nil {
		return Route{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	ifi, err := net.InterfaceByIndex(r.Iface.Index)
	if err != nil {
		return Route{}, fmt.Errorf("route to %s: interface %d: %w", dst, r.Iface.Index, err)
	}
	r.Iface = Interface{Index: ifi.Index, Name: ifi.Name, MTU: ifi.MTU, MAC: ifi.HardwareAddr}
	if opt.Src.IsValid() {
		r.Src = opt.Src.Unmap()
	}
	if !r.Src.IsValid() {
		return Route{}, fmt.Errorf("route to %s: kernel chose no source address; use -S", dst)
	}
	if rtype == unix.RTN_LOCAL || ifi.Flags&net.FlagLoopback != 0 {
		r.Loopback = true
		r.NextHopMAC = make(net.HardwareAddr, 6)
		return r, nil
	}
	if len(r.Iface.MAC) == 0 {
		// Point-to-point links (tun, wireguard) carry no Ethernet header; the
		// sender has to use a cooked socket there.
		return r, nil
	}
	if opt.Unresolved {
		return r, nil
	}
	mac, err := resolve(ctx, r.NextHop(), r.Iface, opt.ResolveTimeout)
	if err != nil {
		return Route{}, fmt.Errorf("route to %s via %s on %s: %w", dst, r.NextHop(), r.Iface.Name, err)
	}
	r.NextHopMAC = mac
	return r, nil
}

// getRoute is `ip route get` over rtnetlink: the kernel applies policy rules,
// metrics and source selection exactly as it would for its own packets.
func getRoute(dst netip.Addr, oif int) (Route, uint8, error) {
	family, bitsLen := uint8(unix.AF_INET), uint8(32)
	if dst.Is6() {
		family, bitsLen = unix.AF_INET6, 128
	}
	rtm := unix.RtMsg{Family: family, Dst_len: bitsLen}
	body := append([]byte(nil), structBytes(&rtm)...)
	body = rtAttr(body, unix.RTA_DST, dst.AsSlice())
	if oif != 0 {
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], uint32(oif))
		body = rtAttr(body, unix.RTA_OIF, b[:])
	}
	msgs, err := nlRequest(unix.RTM_GETROUTE, 0, body)
	if err != nil {
		return Route{}, 0, err
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
			continue
		}
		rtype := m.Data[7] // rtm_type
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return Route{}, 0, fmt.Errorf("parse route: %w", err)
		}
		r := Route{Dst: dst}
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.RTA_OIF:
				r.Iface.Index = int(binary.NativeEndian.Uint32(a.Value))
			case unix.RTA_PREFSRC:
				r.Src, _ = netip.AddrFromSlice(a.Value)
			case unix.RTA_GATEWAY:
				r.Gateway, _ = netip.AddrFromSlice(a.Value)
			}
		}
		switch rtype {
		case unix.RTN_UNICAST, unix.RTN_LOCAL:
		default:
			return Route{}, 0, fmt.Errorf("%w: route type %d (unreachable, blackhole, prohibit or broadcast)", ErrUnroutable, rtype)
		}
		if r.Iface.Index == 0 {
			return Route{}, 0, errors.New("route has no output interface")
		}
		r.Src = r.Src.Unmap()
		return r, rtype, nil
	}
	return Route{}, 0, errors.New("no route in kernel answer")
}
