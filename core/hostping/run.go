package hostping

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scanfw/scanfw/core/packettrace"
	"github.com/scanfw/scanfw/core/pktcount"
	"github.com/scanfw/scanfw/core/route"
	"github.com/scanfw/scanfw/core/ultrascan"
	"golang.org/x/sys/unix"
)

// Config is one discovery run.
type Config struct {
	// Probes are sent to hosts that are not on a local Ethernet link (and
	// to all hosts when NoARP is set), in this order; each is built from a
	// ping probe type's declared templates and rules (NewProbe). Empty means hosts
	// off-link are not probed at all (-Pn still ARPs the link).
	Probes []Probe
	// LoadProbes, when set and Probes is empty, builds the probes the first
	// time a run has a host that needs them: their plugins are started
	// only then, so a scan of a local link (ARP and ND only) starts none.
	// It is called at most once per Run and should keep its answer for
	// later runs.
	LoadProbes func(context.Context) ([]Probe, error)
	// NoARP is --disable-arp-ping / --send-ip: hosts on a local link get
	// the IP probes too.
	NoARP bool
	// Iface is -e: the only link ARP and ND use.
	Iface string
	// Timing is the scan's timing (-T, the RTT timeouts, --max-retries,
	// --min/max-rate, --scan-delay, parallelism), as the port scans take
	// it; the engine that schedules the probes runs on it (loop.go).
	Timing ultrascan.Config
	// Trace, when set, prints ARP, ND, IPv4 and IPv6 probes and the
	// replies that match them (--packet-trace; trace.go).
	Trace *packettrace.Tracer
	// Spare, when set, keeps the storage of a Run's engines for the next
	// Run with this Config (a scan's discovery batches), so memory stays
	// that of one batch (loop.go). Copies of the Config share it.
	Spare *Spare
}

// Result is one host's discovery.
type Result struct {
	// Probed is false for a host no probe applied to (off-link under -Pn,
	// or only IPv4-only probes for an IPv6 host).
	Probed bool
	Up     bool
	Reason string
	TTL    int
	MAC    net.HardwareAddr
	// SRTT, RTTVar and Timeout are the host's round trip as measured by its
	// answer, in Nmap's form, to seed the port scan.
	SRTT, RTTVar, Timeout time.Duration
}

// method is how a host is probed.
type method uint8

const (
	viaNone method = iota
	viaIP
	viaARP
	viaND
)

type host struct {
	via  method
	link int
	// eng is the engine (runner.engs) that schedules the host, at its
	// number there.
	eng, at int32
}

// Run probes addrs and returns one Result per address, in order. It needs
// CAP_NET_RAW.
func Run(ctx context.Context, cfg Config, addrs []netip.Addr) ([]Result, error) {
	if cfg.Timing.InitialRTT <= 0 {
		cfg.Timing = ultrascan.DefaultConfig()
	}
	ls, err := links(cfg.Iface)
	if err != nil {
		return nil, err
	}
	if len(cfg.Probes) == 0 && cfg.LoadProbes != nil && needsIP(ls, addrs, cfg.NoARP) {
		if cfg.Probes, err = cfg.LoadProbes(ctx); err != nil {
			return nil, fmt.Errorf("host discovery: %w", err)
		}
	}
	if len(cfg.Probes) > MaxProbes {
		return nil, fmt.Errorf("host discovery: %d probes per host, at most %d", len(cfg.Probes), MaxProbes)
	}
	r := &runner{cfg: cfg, addrs: addrs, links: ls, index: make(map[netip.Addr]int, len(addrs)),
		hosts: make([]host, len(addrs)), res: make([]Result, len(addrs)), replies: make(chan reply, 4096)}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("random probe identity: %w", err)
	}
	r.m = ident{id: binary.BigEndian.Uint16(b[:]), port: 33000 + binary.BigEndian.Uint16(b[2:])%30000}
	for i, a := range addrs {
		a = a.Unmap()
		r.index[a] = i
		h := &r.hosts[i]
		h.link = onLink(ls, a)
		if l := h.link; l >= 0 && !cfg.NoARP {
			h.via = viaARP
			if a.Is6() {
				h.via = viaND
			}
		} else if r.applies(a) {
			h.via = viaIP
		}
		r.res[i].Probed = h.via != viaNone
	}
	if err := r.open(); err != nil {
		r.close()
		return nil, err
	}
	err = r.loop(ctx)
	r.close()
	r.release()
	r.neighbourMACs()
	return r.res, err
}

// needsIP says whether any of addrs is probed by IP rather than by ARP or
// ND.
func needsIP(ls []link, addrs []netip.Addr, noARP bool) bool {
	if noARP {
		return len(addrs) > 0
	}
	for _, a := range addrs {
		if onLink(ls, a.Unmap()) < 0 {
			return true
		}
	}
	return false
}

// OnLocalLink says whether discovery finds a by ARP or ND (a directly
// connected Ethernet network holds it; iface is -e), so no IP probe, and no
// ping plugin, serves it.
func OnLocalLink(a netip.Addr, iface string) bool {
	ls, err := links(iface)
	return err == nil && onLink(ls, a.Unmap()) >= 0
}

// neighbourMACs fills the MAC of up hosts on a local link that answered IP
// probes, from the kernel's neighbour table (the answer came through it),
// as Nmap reports the MAC of any directly connected host.
func (r *runner) neighbourMACs() {
	for i, h := range r.hosts {
		res := &r.res[i]
		if !res.Up || res.MAC != nil || h.link < 0 {
			continue
		}
		if mac, ok, err := route.Neighbour(r.addrs[i].Unmap(), r.links[h.link].Index); err == nil && ok {
			res.MAC = mac
		}
	}
}

// applies says whether any configured probe has a form for a.
func (r *runner) applies(a netip.Addr) bool {
	for _, p := range r.cfg.Probes {
		if p.formFor(a) != nil {
			return true
		}
	}
	return false
}

type runner struct {
	cfg   Config
	addrs []netip.Addr
	links []link
	index map[netip.Addr]int
	hosts []host
	res   []Result
	m     ident

	socks   []*sock
	byProto map[int]*sock // send sockets: family<<8 | protocol
	arp     map[int]*sock // by link index in links
	replies chan reply
	stop    atomic.Bool
	wg      sync.WaitGroup

	engs []*engine
	// src6 holds the source towards each IPv6 /64 traced (trace.go).
	src6 map[[8]byte]netip.Addr
}

// sock is one raw socket and what reads from it.
type sock struct {
	fd    int
	read  func(b []byte, n int, from unix.Sockaddr, rx rxInfo)
	v6    bool
	proto int
}

func (r *runner) need() (v4, v6 map[int]bool, arpLinks map[int]bool) {
	v4, v6, arpLinks = map[int]bool{}, map[int]bool{}, map[int]bool{}
	for i, h := range r.hosts {
		switch h.via {
		case viaARP:
			arpLinks[h.link] = true
		case viaND:
			v6[unix.IPPROTO_ICMPV6] = true
		case viaIP:
			a := r.addrs[i].Unmap()
			for _, p := range r.cfg.Probes {
				if f := p.formFor(a); f != nil {
					if a.Is6() {
						v6[int(f.proto)] = true
					} else {
						v4[int(f.proto)] = true
					}
				}
			}
		}
	}
	// ICMP errors about TCP and UDP probes arrive on the ICMP socket.
	if len(v4) > 0 {
		v4[unix.IPPROTO_ICMP] = true
	}
	if len(v6) > 0 {
		v6[unix.IPPROTO_ICMPV6] = true
	}
	return v4, v6, arpLinks
}

func (r *runner) open() error {
	r.byProto, r.arp = map[int]*sock{}, map[int]*sock{}
	v4, v6, arpLinks := r.need()
	for proto := range v4 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("raw IPv4 socket (protocol %d): %w", proto, err)
		}
		s := &sock{fd: fd, proto: proto}
		s.read = func(b []byte, n int, _ unix.Sockaddr, _ rxInfo) {
			if rep, ok := parseIPv4(b[:n], r.m, r.cfg.Probes); ok {
				r.cfg.Trace.Received(b[:n], false, time.Time{})
				pktcount.Received(1, n)
				r.deliver(rep)
			}
		}
		r.add(s)
		r.byProto[4<<8|proto] = s
	}
	for proto := range v6 {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("raw IPv6 socket (protocol %d): %w", proto, err)
		}
		s := &sock{fd: fd, v6: true, proto: proto}
		r.add(s)
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1); err != nil {
			return fmt.Errorf("IPV6_RECVHOPLIMIT: %w", err)
		}
		noFlowLabel(fd)
		if r.cfg.Trace != nil {
			if err := traceSocket6(fd); err != nil {
				return err
			}
		}
		switch proto {
		case unix.IPPROTO_TCP, unix.IPPROTO_UDP:
			// The kernel fills the checksum of IPv6 raw TCP and UDP at this
			// offset, so no source address is needed here.
			off := 16
			if proto == unix.IPPROTO_UDP {
				off = 6
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_CHECKSUM, off); err != nil {
				return fmt.Errorf("IPV6_CHECKSUM: %w", err)
			}
		case unix.IPPROTO_ICMPV6:
			// Neighbour discovery must leave and arrive with hop limit 255.
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
				return fmt.Errorf("IPV6_MULTICAST_HOPS: %w", err)
			}
		}
		p := uint8(proto)
		s.read = func(b []byte, n int, from unix.Sockaddr, rx rxInfo) {
			sa, ok := from.(*unix.SockaddrInet6)
			if !ok {
				return
			}
			src := netip.AddrFrom16(sa.Addr)
			var rep reply
			if p == unix.IPPROTO_ICMPV6 {
				rep, ok = parseICMPv6(b[:n], src, rx.hops, r.m, r.cfg.Probes)
			} else {
				rep, ok = parseTransport6(p, b[:n], src, rx.hops, r.m, r.cfg.Probes)
			}
			if ok {
				r.traceReceived6(p, b[:n], src, rx, rep)
				pktcount.Received(1, 40+n)
				r.deliver(rep)
			}
		}
		r.byProto[6<<8|proto] = s
	}
	for li := range arpLinks {
		l := r.links[li]
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return fmt.Errorf("ARP socket on %s: %w", l.Name, err)
		}
		s := &sock{fd: fd}
		r.add(s)
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: l.Index}); err != nil {
			return fmt.Errorf("bind ARP socket to %s: %w", l.Name, err)
		}
		local := l.Local
		s.read = func(b []byte, n int, _ unix.Sockaddr, _ rxInfo) {
			if rep, ok := parseARP(b[:n], local); ok {
				r.cfg.Trace.Received(b[:n], true, time.Time{})
				pktcount.Received(1, arpLen)
				r.deliver(rep)
			}
		}
		r.arp[li] = s
	}
	tv := unix.NsecToTimeval((50 * time.Millisecond).Nanoseconds())
	for _, s := range r.socks {
		if err := unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return fmt.Errorf("receive timeout: %w", err)
		}
		_ = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	for _, s := range r.socks {
		r.wg.Add(1)
		go r.receive(s)
	}
	return nil
}

func (r *runner) add(s *sock) { r.socks = append(r.socks, s) }

// deliver hands a reply to the loop; it never blocks a receiver for long
// after the loop has ended.
func (r *runner) deliver(rep reply) {
	for !r.stop.Load() {
		select {
		case r.replies <- rep:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *runner) receive(s *sock) {
	defer r.wg.Done()
	buf := make([]byte, 1600)
	// Room for the hop limit, and when tracing the packet information and
	// flow label too.
	oob := make([]byte, 128)
	for !r.stop.Load() {
		n, oobn, _, from, err := unix.Recvmsg(s.fd, buf, oob, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		var rx rxInfo
		if s.v6 && oobn > 0 {
			rx = parseRxInfo(oob[:oobn])
		}
		s.read(buf, n, from, rx)
	}
}

// close ends the run without waiting for the receivers: each sees the stop
// within its 50 ms receive timeout, and waiting for that cost every
// discovery up to 50 ms after its last answer (a quarter of a fast SYN scan
// of one host). The sockets are closed once the receivers are gone, so no
// descriptor is reused under a receiver still reading it.
func (r *runner) close() {
	r.stop.Store(true)
	socks := r.socks
	go func() {
		r.wg.Wait()
		for _, s := range socks {
			unix.Close(s.fd)
		}
	}()
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
