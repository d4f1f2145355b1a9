package hostping

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/scanfw/scanfw/core/pktcount"
	"github.com/scanfw/scanfw/core/ultrascan"
	"golang.org/x/sys/unix"
)

// engine is one ultrascan engine of a run and the hosts it schedules:
// link-layer hosts (ARP, ND) apart from IP ones, since a neighbour's 0.1 ms
// says nothing about a routed host's round trip, and IPv4 apart from IPv6,
// since their probe lists differ (no timestamp or mask for IPv6).
type engine struct {
	e      *ultrascan.Engine
	hosts  []int    // runner host of each engine host
	probes []uint16 // indices into Config.Probes (link: just 0)
	// last is the newest probe ID sent per engine host and probe index
	// (host*stride + index); sent holds, per ID, the try and the ID of the
	// previous try of the same probe, so a reply naming its try finds it.
	last   []uint64
	stride int
	sent   []sentProbe
	kind   int // index into Spare.engs
}

// Spare carries the engines of one Run to the next Run of the same
// Config (Config.Spare): a scan's discovery batches run one after another,
// and an engine of a 4096-host batch holds ~10 MB of host and probe
// records. Allocated afresh per batch, the last batch's were garbage beside
// the new ones, so a /16 of batches peaked far above one batch (a
// sync.Pool lost them to the collections between batches about every
// third batch). The zero Spare is empty. Runs may share one: a Run takes
// what it finds and puts its own back at its end.
type Spare struct {
	mu   sync.Mutex
	engs [3]*engine // by kind: link, IPv4, IPv6, so a batch gets storage of its size
}

// take returns the spare engine of kind, or a new one.
func (s *Spare) take(kind int) *engine {
	if s != nil {
		s.mu.Lock()
		en := s.engs[kind]
		s.engs[kind] = nil
		s.mu.Unlock()
		if en != nil {
			return en
		}
	}
	return &engine{}
}

// release hands the run's engines, done with, to the next run.
func (r *runner) release() {
	s := r.cfg.Spare
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, en := range r.engs {
		en.hosts, en.probes = nil, nil
		s.engs[en.kind] = en
	}
	r.engs = nil
}

// resize returns s with length n and every element zero, reusing its
// storage when it is large enough.
func resize(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

type sentProbe struct {
	prev uint64
	try  uint8
}

// lookup is the probe ID a reply answers: the try it names of the probe it
// names; the latest try when it names none, and the host's latest probe
// when it cannot name the probe either (TCP, UDP). 0 when nothing was sent.
func (en *engine) lookup(j, probe, try int) uint64 {
	row := en.last[j*en.stride : (j+1)*en.stride]
	if probe < 0 || probe >= en.stride {
		var id uint64
		for _, v := range row {
			id = max(id, v)
		}
		return id
	}
	id := row[probe]
	for try >= 0 && id != 0 && int(en.sent[id-1].try) > try {
		id = en.sent[id-1].prev
	}
	if id == 0 {
		id = row[probe]
	}
	return id
}

// record notes probe p as sent.
func (en *engine) record(p ultrascan.Probe) {
	k := p.Host*en.stride + int(p.Port)
	for uint64(len(en.sent)) < p.ID {
		en.sent = append(en.sent, sentProbe{})
	}
	en.sent[p.ID-1] = sentProbe{prev: en.last[k], try: p.Try}
	en.last[k] = p.ID
}

// arpInitialRTT is Nmap's first ARP and ND timeout before it is clamped
// into [--min-rtt-timeout, --initial-rtt-timeout] (§2.2): a neighbour
// answers in well under a millisecond.
const arpInitialRTT = 200 * time.Millisecond

// engines splits the probed hosts among engines and shares the global
// rates among them in proportion to the probes each has to send.
func (r *runner) engines(now time.Time) {
	var link, v4, v6 []int
	for i, h := range r.hosts {
		switch {
		case h.via == viaARP || h.via == viaND:
			link = append(link, i)
		case h.via == viaIP && r.addrs[i].Unmap().Is4():
			v4 = append(v4, i)
		case h.via == viaIP:
			v6 = append(v6, i)
		}
	}
	type part struct {
		hosts  []int
		probes []uint16
		link   bool
	}
	parts := []part{{hosts: link, probes: []uint16{0}, link: true}}
	for _, fam := range []struct {
		hosts []int
		probe netip.Addr
	}{{v4, netip.IPv4Unspecified()}, {v6, netip.IPv6Unspecified()}} {
		var idx []uint16
		for pi, p := range r.cfg.Probes {
			if p.formFor(fam.probe) != nil {
				idx = append(idx, uint16(pi))
			}
		}
		parts = append(parts, part{hosts: fam.hosts, probes: idx})
	}
	total := 0
	for _, p := range parts {
		total += len(p.hosts) * len(p.probes)
	}
	for kind, p := range parts {
		if len(p.hosts) == 0 {
			continue
		}
		cfg := r.cfg.Timing
		share := float64(len(p.hosts)*len(p.probes)) / float64(total)
		cfg.MinRate *= share
		cfg.MaxRate *= share
		stride := len(r.cfg.Probes)
		if p.link {
			cfg.InitialRTT = min(max(arpInitialRTT, cfg.MinRTT), cfg.InitialRTT)
			stride = 1
		}
		en := r.cfg.Spare.take(kind)
		en.e = ultrascan.NewPingScanFrom(en.e, cfg, len(p.hosts), p.probes, now)
		en.kind, en.hosts, en.probes, en.stride = kind, p.hosts, p.probes, stride
		en.last = resize(en.last, len(p.hosts)*stride)
		// Each probe goes out once and, to a silent host, once more.
		en.sent = slices.Grow(en.sent[:0], 2*len(p.hosts)*len(p.probes))
		for j, i := range p.hosts {
			r.hosts[i].eng, r.hosts[i].at = int32(len(r.engs)), int32(j)
		}
		r.engs = append(r.engs, en)
	}
}

// loop runs the engines: it sends what they choose, feeds them replies
// (the first positive one finishes its host, dropping its other probes)
// and waits for the next reply or the engines' next event, until every
// host is done.
func (r *runner) loop(ctx context.Context) error {
	r.engines(time.Now())
	srcs := map[[3]byte]netip.Addr{}
	buf := make([]byte, 1500)
	var ps []ultrascan.Probe
	var scratch []uint64
	var fin []int
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		var wake time.Time
		live := false
		for _, en := range r.engs {
			if en.e.Done() {
				continue
			}
			live = true
			var w time.Time
			ps, w = en.e.Next(now, ps[:0])
			for _, p := range ps {
				en.record(p)
				if err := r.send(en.hosts[p.Host], int(p.Port), int(p.Try), buf, srcs); err != nil {
					return err
				}
				en.e.Sent(time.Now(), p.ID)
			}
			// Timed-out probes need nothing from the driver: a late reply
			// still finds its host by address.
			scratch = en.e.Expired(now, scratch[:0])
			fin = en.e.Finished(fin[:0])
			if !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
				wake = w
			}
		}
		if !live {
			break
		}
		r.drain()
		if wake.After(time.Now()) {
			if err := r.waitUntil(ctx, wake); err != nil {
				return err
			}
		}
	}
	r.drain()
	for i := range r.res {
		if r.res[i].Probed && !r.res[i].Up && r.res[i].Reason == "" {
			r.res[i].Reason = "no-response"
		}
	}
	return nil
}

// waitUntil handles replies until t, or returns at the first one (so the
// caller can see hosts finish and timeouts shrink).
func (r *runner) waitUntil(ctx context.Context, t time.Time) error {
	wait := time.Until(t)
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case rep := <-r.replies:
		r.handle(rep)
		r.drain()
	case <-timer.C:
	}
	return nil
}

func (r *runner) drain() {
	for {
		select {
		case rep := <-r.replies:
			r.handle(rep)
		default:
			return
		}
	}
}

// handle applies one reply: the first positive one finishes its host;
// negative ones (§4.3: an unreachable other than port or protocol) only
// say why a host may be down and change nothing in timing.
func (r *runner) handle(rep reply) {
	i, ok := r.index[rep.Addr]
	if !ok {
		return
	}
	h, res := &r.hosts[i], &r.res[i]
	if h.via == viaNone {
		return
	}
	en, j := r.engs[h.eng], int(h.at)
	// A host the engine gave up on still counts a late positive reply
	// (its probes stay matchable a while, as a port scan's late replies
	// still decide their ports): the run reports every host at its end.
	if res.Up || en.e.HostStart(j).IsZero() {
		return
	}
	// An ARP or ND host counts only by ARP or ND: an IP answer from it
	// (someone else's probe) would not be what Nmap reports.
	link := h.via == viaARP || h.via == viaND
	if link != (rep.Reason == "arp-response" || rep.Reason == "nd-response") {
		return
	}
	if !rep.Up {
		res.Reason, res.TTL = rep.Reason, rep.TTL
		return
	}
	probe, try := rep.Probe, rep.Try
	if link {
		probe, try = 0, -1
	} else if probe < 0 {
		try = -1
	}
	// PingScore 0: a host done at its first reply never needs a timing
	// ping, and a done host must not become the group's ping host.
	if id := en.lookup(j, probe, try); id != 0 {
		en.e.Receive(time.Now(), id, ultrascan.Response{Kind: ultrascan.Positive})
	}
	en.e.FinishHost(j)
	res.Up, res.Reason, res.TTL, res.MAC = true, rep.Reason, rep.TTL, rep.MAC
	srtt, rttvar, timeout := en.e.HostTiming(j)
	res.SRTT, res.RTTVar, res.Timeout = max(srtt, time.Microsecond), rttvar, timeout
}

// send sends runner host i probe pi (a link host: its ARP or ND request),
// try try.
func (r *runner) send(i, pi, try int, buf []byte, srcs map[[3]byte]netip.Addr) error {
	h := &r.hosts[i]
	dst := r.addrs[i].Unmap()
	switch h.via {
	case viaARP:
		l := r.links[h.link]
		n := arpRequest(buf, l.MAC, l.Local, dst)
		to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: l.Index, Halen: 6, Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
		r.cfg.Trace.Sent(buf[:n], true)
		return r.sent(unix.Sendto(r.arp[h.link].fd, buf[:n], 0, to), dst, arpLen)
	case viaND:
		l := r.links[h.link]
		n := neighbourSolicit(buf, l.MAC, dst)
		return r.sendSolicit(r.byProto[6<<8|unix.IPPROTO_ICMPV6].fd, l, dst, buf[:n])
	}
	f := r.cfg.Probes[pi].formFor(dst)
	if f == nil {
		return nil
	}
	var src netip.Addr
	if (f.needsSource() || r.cfg.Trace != nil) && dst.Is4() {
		var err error
		if src, err = sourceFor(dst, srcs); err != nil {
			return err
		}
	}
	// The cookie: for ICMP the run's identifier and a sequence number
	// naming the probe and try (echoed back); for the others the same
	// bits, so a SYN/ACK or an SCTP tag carries them too.
	n := f.build(buf, src, dst, r.m.port, uint32(r.m.id)<<16|uint32(seq(pi, try)))
	var to unix.Sockaddr
	fam := 4
	if dst.Is6() {
		fam, to = 6, &unix.SockaddrInet6{Addr: dst.As16()}
	} else {
		to = &unix.SockaddrInet4{Addr: dst.As4()}
	}
	if r.cfg.Trace != nil && fam == 4 {
		r.cfg.Trace.Sent(ipv4Packet(make([]byte, 20+n), src, dst, f.proto, buf[:n]), false)
	}
	if fam == 4 {
		return r.sent(unix.Sendto(r.byProto[fam<<8|int(f.proto)].fd, buf[:n], 0, to), dst, 20+n)
	}
	// Traced before it leaves, as Nmap does, so its reply cannot print first.
	fd := r.byProto[fam<<8|int(f.proto)].fd
	if err := r.traceSent6(fd, f.proto, netip.Addr{}, dst, buf[:n]); err != nil {
		return err
	}
	return r.sent(unix.Sendto(fd, buf[:n], 0, to), dst, 40+n)
}

// sent counts a probe of ipBytes that left (the kernel adds the IP header
// to a raw socket's payload) and reads a send error as sendErr does.
func (r *runner) sent(err error, dst netip.Addr, ipBytes int) error {
	if err == nil {
		pktcount.Sent(1, ipBytes)
	}
	return sendErr(err, dst)
}

// sendErr keeps the errors that say a probe could not leave for this one
// target (no route, a full neighbour queue) from ending the run: Nmap goes
// on with the other hosts, and the host stays without answer.
func sendErr(err error, dst netip.Addr) error {
	switch {
	case err == nil,
		errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH),
		errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.EACCES), errors.Is(err, unix.EINVAL):
		return nil
	}
	return fmt.Errorf("send probe to %s: %w", dst, err)
}

// sourceFor finds the source address the kernel uses towards dst, for the
// TCP and UDP checksums, by connecting a UDP socket (no packet leaves).
// Routes finer than a /24 are rare, so the answer is kept per /24.
func sourceFor(dst netip.Addr, cache map[[3]byte]netip.Addr) (netip.Addr, error) {
	b := dst.As4()
	key := [3]byte{b[0], b[1], b[2]}
	if s, ok := cache[key]; ok {
		return s, nil
	}
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source address towards %s: %w", dst, err)
	}
	defer c.Close()
	s := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	cache[key] = s
	return s, nil
}
