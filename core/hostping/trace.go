package hostping

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// --packet-trace (Config.Trace). ARP requests and replies are whole frames
// and IPv4 replies arrive with their IP header, so those are traced as they
// are. An IPv4 probe leaves as a payload the kernel wraps, so its SENT line
// shows the header the kernel writes by default (TTL 64), with ID 0 where
// the kernel picks its own.
//
// IPv6 raw sockets show no IP header either way, so both directions are
// rebuilt. A SENT line has the source the kernel picks (or the link's
// address a neighbour solicitation is pinned to), the socket's hop limit,
// flow label 0 (the sockets turn automatic labels off, as Nmap's probes
// carry none) and the probe's length. A RCVD line has the source the
// socket names and the destination, hop limit and flow label its control
// messages carry; extension headers are gone by then, so the next header
// is the socket's protocol and the payload length what follows it. The
// neighbour advertisement that answers an ND ping gets the line Nmap gives
// it ("neighbor advertisement ... is at ..."), not the generic ICMPv6 one.

// ipv4Packet writes into out (at least 20 bytes longer than payload) the
// IPv4 packet carrying payload from src to dst, and returns it.
func ipv4Packet(out []byte, src, dst netip.Addr, proto uint8, payload []byte) []byte {
	n := 20 + len(payload)
	h := out[:20]
	clear(h)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(n))
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	copy(out[20:n], payload)
	return out[:n]
}

// ipv6Packet returns the IPv6 packet carrying payload from src to dst with
// the given next header, hop limit and flow label (the low 20 bits).
func ipv6Packet(src, dst netip.Addr, next, hops uint8, flow uint32, payload []byte) []byte {
	out := make([]byte, 40+len(payload))
	binary.BigEndian.PutUint32(out[0:], 6<<28|flow&0xfffff)
	binary.BigEndian.PutUint16(out[4:], uint16(len(payload)))
	out[6], out[7] = next, hops
	s, d := src.As16(), dst.As16()
	copy(out[8:24], s[:])
	copy(out[24:40], d[:])
	copy(out[40:], payload)
	return out
}

// rxInfo is what an IPv6 socket's control messages say of a packet's
// header: its hop limit (IPV6_RECVHOPLIMIT, always on), and when tracing
// its destination (IPV6_RECVPKTINFO) and flow label (ipv6FlowInfo).
type rxInfo struct {
	hops int
	dst  netip.Addr
	flow uint32
}

// ipv6FlowInfo is Linux's IPV6_FLOWINFO (linux/in6.h), which x/sys/unix
// does not name: set, it makes recvmsg report each packet's flow label.
const ipv6FlowInfo = 11

// parseRxInfo reads the control messages of one received IPv6 packet;
// what is missing or malformed stays zero.
func parseRxInfo(oob []byte) rxInfo {
	var rx rxInfo
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return rx
	}
	for _, m := range msgs {
		if m.Header.Level != unix.IPPROTO_IPV6 {
			continue
		}
		switch {
		case m.Header.Type == unix.IPV6_HOPLIMIT && len(m.Data) >= 4:
			rx.hops = int(binary.NativeEndian.Uint32(m.Data))
		case m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= 16:
			rx.dst = netip.AddrFrom16([16]byte(m.Data[:16]))
		case m.Header.Type == ipv6FlowInfo && len(m.Data) >= 4:
			// The flow information in network order: traffic class and label.
			rx.flow = binary.BigEndian.Uint32(m.Data) & 0xfffff
		}
	}
	return rx
}

// traceSocket6 prepares an IPv6 raw socket for tracing: its packets'
// destination and flow label come with them.
func traceSocket6(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); err != nil {
		return fmt.Errorf("IPV6_RECVPKTINFO: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, ipv6FlowInfo, 1); err != nil {
		return fmt.Errorf("IPV6_FLOWINFO: %w", err)
	}
	return nil
}

// noFlowLabel turns off the flow label the kernel would hash for each
// packet, so probes carry 0 as Nmap's do and a SENT line can say so. A
// kernel without the option (before 4.10) keeps its labels; the SENT lines
// then show 0 where the wire has a label.
func noFlowLabel(fd int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_AUTOFLOWLABEL, 0)
}

// traceReceived6 traces a matched packet from an IPv6 socket of protocol
// proto: body is what followed the IP header, rep what it was read as.
func (r *runner) traceReceived6(proto uint8, body []byte, src netip.Addr, rx rxInfo, rep reply) {
	if r.cfg.Trace == nil {
		return
	}
	// Only an ND host's advertisement answers our ping; others answer the
	// kernel's own neighbour resolution before an IP probe, which Nmap
	// (resolving its next hop itself) traces as plain ICMPv6. The hosts'
	// methods are fixed before the receivers start.
	if i, ok := r.index[rep.Addr]; ok && r.hosts[i].via == viaND && rep.Reason == "nd-response" && rep.MAC != nil {
		r.cfg.Trace.NeighbourAdvert(src, rx.dst, rep.Addr, rep.MAC, time.Time{})
		return
	}
	r.cfg.Trace.Received(ipv6Packet(src, rx.dst, proto, uint8(rx.hops), rx.flow, body), false, time.Time{})
}

// traceSent6 traces an IPv6 probe the kernel sends from a socket fd of
// protocol proto, as sent from src (the kernel's choice when invalid).
func (r *runner) traceSent6(fd int, proto uint8, src, dst netip.Addr, body []byte) error {
	if r.cfg.Trace == nil {
		return nil
	}
	if !src.IsValid() {
		var err error
		if src, err = r.source6(dst); err != nil {
			return err
		}
	}
	opt := unix.IPV6_UNICAST_HOPS
	if dst.IsMulticast() {
		opt = unix.IPV6_MULTICAST_HOPS
	}
	// An unconnected socket without its own setting reports the system's
	// default (net.ipv6.conf.all.hop_limit); a route or an interface with
	// another limit would make the line differ from the wire.
	hops, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, opt)
	if err != nil {
		return fmt.Errorf("hop limit of the IPv6 socket: %w", err)
	}
	r.cfg.Trace.Sent(ipv6Packet(src, dst, proto, uint8(hops), 0, body), false)
	return nil
}

// source6 finds the source address the kernel uses towards dst by
// connecting a UDP socket (no packet leaves), kept per /64.
func (r *runner) source6(dst netip.Addr) (netip.Addr, error) {
	b := dst.As16()
	key := [8]byte(b[:8])
	if s, ok := r.src6[key]; ok {
		return s, nil
	}
	c, err := net.DialUDP("udp6", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source address towards %s: %w", dst, err)
	}
	defer c.Close()
	s := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	if r.src6 == nil {
		r.src6 = map[[8]byte]netip.Addr{}
	}
	r.src6[key] = s
	return s, nil
}

// sendSolicit sends neighbour solicitation ns for dst on link l, from the
// link's own address as Nmap does (the kernel would pick the link-local one
// for a link-local group), counts and traces it. An address the kernel
// refuses as source (still tentative) falls back to the kernel's choice.
func (r *runner) sendSolicit(fd int, l link, dst netip.Addr, ns []byte) error {
	group := solicitedNode(dst)
	to := &unix.SockaddrInet6{Addr: group.As16(), ZoneId: uint32(l.Index)}
	pi := unix.Inet6Pktinfo{Addr: l.Local.As16(), Ifindex: uint32(l.Index)}
	// Traced before it leaves, as Nmap does, so its reply cannot print
	// first; the rare fallback below is traced again with its source.
	if err := r.traceSent6(fd, unix.IPPROTO_ICMPV6, l.Local, group, ns); err != nil {
		return err
	}
	err := unix.Sendmsg(fd, ns, unix.PktInfo6(&pi), to, 0)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EADDRNOTAVAIL) {
		if r.cfg.Trace != nil {
			src, lerr := linkSource(group, l)
			if lerr != nil {
				return lerr
			}
			if lerr := r.traceSent6(fd, unix.IPPROTO_ICMPV6, src, group, ns); lerr != nil {
				return lerr
			}
		}
		err = unix.Sendto(fd, ns, 0, to)
	}
	return r.sent(err, dst, 40+len(ns))
}

// linkSource is the source the kernel picks for the link-local group on l.
func linkSource(group netip.Addr, l link) (netip.Addr, error) {
	c, err := net.DialUDP("udp6", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(group.WithZone(l.Name), 9)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source address on %s: %w", l.Name, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().WithZone(""), nil
}
