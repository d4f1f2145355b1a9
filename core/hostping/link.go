package hostping

import (
	"fmt"
	"net"
	"net/netip"
)

// link is a directly connected Ethernet network: targets inside Prefix are
// found by ARP or ND on Index, from Local.
type link struct {
	Index  int
	Name   string
	MAC    net.HardwareAddr
	Prefix netip.Prefix
	Local  netip.Addr
}

// links lists the connected Ethernet networks of the machine (of iface
// only, when it is set). Loopback, point-to-point and link-local networks are
// left out: ARP and ND are pointless or need a zone there.
func links(iface string) ([]link, error) {
	ifis, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []link
	for _, ifi := range ifis {
		if iface != "" && ifi.Name != iface {
			continue
		}
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&(net.FlagLoopback|net.FlagPointToPoint) != 0 || len(ifi.HardwareAddr) != 6 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifi.Name, err)
		}
		for _, a := range addrs {
			pfx, err := netip.ParsePrefix(a.String())
			if err != nil || pfx.Addr().IsLinkLocalUnicast() || pfx.Bits() == pfx.Addr().BitLen() {
				continue
			}
			out = append(out, link{Index: ifi.Index, Name: ifi.Name, MAC: ifi.HardwareAddr, Prefix: pfx.Masked(), Local: pfx.Addr().Unmap()})
		}
	}
	return out, nil
}

// onLink returns the index in ls of the link a is on, or -1. The longest
// prefix wins, as in routing.
func onLink(ls []link, a netip.Addr) int {
	best := -1
	for i, l := range ls {
		if l.Prefix.Contains(a) && a != l.Local && (best < 0 || l.Prefix.Bits() > ls[best].Prefix.Bits()) {
			best = i
		}
	}
	return best
}
