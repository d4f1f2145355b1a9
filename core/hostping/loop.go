package hostping

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// loop sends each host its first try in order, then its later tries
// retrySpacing apart, interleaved with the first tries of later hosts, and
// waits one timeout after the last probe (runEnd); replies are read
// throughout and finish their hosts at once.
func (r *runner) loop(ctx context.Context) error {
	r.start = time.Now()
	for i := range r.hosts {
		if r.hosts[i].via != viaNone {
			r.remaining++
			r.kinds[r.hosts[i].kind()].remaining++
		}
	}
	srcs := map[[3]byte]netip.Addr{}
	buf := make([]byte, 1500)
	// retry holds the hosts with tries left, in the order they fall due
	// (first tries go out in order and the spacing only changes by what the
	// run learns, so appending keeps it nearly sorted; a host due a little
	// late waits for the one before it).
	var retry []int
	next := 0
	for r.remaining > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		for len(retry) > 0 && r.hosts[retry[0]].done {
			retry = retry[1:]
		}
		now := time.Now()
		switch {
		case len(retry) > 0 && !now.Before(r.hosts[retry[0]].retryAt):
			i := retry[0]
			retry = retry[1:]
			if err := r.sendTry(i, buf, srcs); err != nil {
				return err
			}
			if r.hosts[i].tries < r.cfg.Tries {
				retry = append(retry, i)
			}
		case next < len(r.hosts):
			i := next
			next++
			if h := &r.hosts[i]; h.done || h.via == viaNone {
				continue
			}
			if err := r.sendTry(i, buf, srcs); err != nil {
				return err
			}
			if r.hosts[i].tries < r.cfg.Tries {
				retry = append(retry, i)
			}
			if next%64 == 0 {
				r.drain()
			}
			continue
		case len(retry) > 0:
			if err := r.waitUntil(ctx, r.hosts[retry[0]].retryAt); err != nil {
				return err
			}
			continue
		}
		if next >= len(r.hosts) && len(retry) == 0 {
			break
		}
		r.drain()
	}
	// The last tries are out: wait one timeout after them, shortened as
	// replies teach a shorter one.
	for r.remaining > 0 {
		end := runEnd(r.waits())
		if !time.Now().Before(end) {
			break
		}
		if err := r.waitUntil(ctx, end); err != nil {
			return err
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

// sendTry sends host i its next try and schedules the one after.
func (r *runner) sendTry(i int, buf []byte, srcs map[[3]byte]netip.Addr) error {
	h := &r.hosts[i]
	if err := r.send(i, h.tries, buf, srcs); err != nil {
		return err
	}
	now := time.Now()
	if h.tries == 0 {
		h.firstAt = now
	}
	h.lastAt = now
	h.tries++
	k := h.kind()
	r.kinds[k].lastSent = now
	h.retryAt = now.Add(retrySpacing(r.timeoutOf(k)))
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
// negative ones only say why a host may be down.
func (r *runner) handle(rep reply) {
	i, ok := r.index[rep.Addr]
	if !ok {
		return
	}
	h, res := &r.hosts[i], &r.res[i]
	if h.done || !res.Probed || h.tries == 0 {
		return
	}
	// An ARP or ND host counts only by ARP or ND: an IP answer from it
	// (someone else's probe) would not be what Nmap reports.
	if (h.via == viaARP || h.via == viaND) != (rep.Reason == "arp-response" || rep.Reason == "nd-response") {
		return
	}
	if !rep.Up {
		res.Reason, res.TTL = rep.Reason, rep.TTL
		return
	}
	h.done = true
	r.remaining--
	k := h.kind()
	r.kinds[k].remaining--
	res.Up, res.Reason, res.TTL, res.MAC = true, rep.Reason, rep.TTL, rep.MAC
	try := -1
	if rep.Probe >= 0 {
		try = rep.Try
	}
	rtt := max(rttSample(time.Now(), h.firstAt, h.lastAt, h.tries, try), time.Microsecond)
	res.SRTT, res.RTTVar = rtt, firstVar(rtt)
	res.Timeout = min(max(res.SRTT+4*res.RTTVar, r.cfg.MinRTT), r.cfg.MaxRTT)
	r.est[k].add(rtt)
}

// timeoutOf is the current timeout of one kind of probe.
func (r *runner) timeoutOf(k int) time.Duration {
	return r.est[k].timeout(r.cfg.InitialRTT, r.cfg.MinRTT, r.cfg.MaxRTT)
}

func (r *runner) waits() []kindWait {
	w := make([]kindWait, len(r.kinds))
	for k := range r.kinds {
		w[k] = kindWait{remaining: r.kinds[k].remaining, lastSent: r.kinds[k].lastSent, timeout: r.timeoutOf(k)}
	}
	return w
}

// pace sleeps so probes stay under --max-rate.
func (r *runner) pace() {
	r.sent++
	if r.cfg.MaxRate <= 0 {
		return
	}
	due := r.start.Add(time.Duration(float64(r.sent) / r.cfg.MaxRate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

// send sends host i's probes of one try in Nmap's order.
func (r *runner) send(i, try int, buf []byte, srcs map[[3]byte]netip.Addr) error {
	h := &r.hosts[i]
	dst := r.addrs[i].Unmap()
	switch h.via {
	case viaARP:
		l := r.links[h.link]
		n := arpRequest(buf, l.MAC, l.Local, dst)
		r.pace()
		to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: l.Index, Halen: 6, Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
		return sendErr(unix.Sendto(r.arp[h.link].fd, buf[:n], 0, to), dst)
	case viaND:
		l := r.links[h.link]
		n := neighbourSolicit(buf, l.MAC, dst)
		r.pace()
		to := &unix.SockaddrInet6{Addr: solicitedNode(dst).As16(), ZoneId: uint32(l.Index)}
		return sendErr(unix.Sendto(r.byProto[6<<8|unix.IPPROTO_ICMPV6].fd, buf[:n], 0, to), dst)
	}
	var src netip.Addr
	for pi, p := range r.cfg.Probes {
		f := p.formFor(dst)
		if f == nil {
			continue
		}
		if f.needsSource() && dst.Is4() && !src.IsValid() {
			var err error
			if src, err = sourceFor(dst, srcs); err != nil {
				return err
			}
		}
		// The cookie: for ICMP the run's identifier and a sequence number
		// naming the probe and try (echoed back); for the others the same
		// bits, so a SYN/ACK or an SCTP tag carries them too.
		n := f.build(buf, src, dst, r.m.port, uint32(r.m.id)<<16|uint32(seq(pi, try)))
		r.pace()
		var to unix.Sockaddr
		fam := 4
		if dst.Is6() {
			fam, to = 6, &unix.SockaddrInet6{Addr: dst.As16()}
		} else {
			to = &unix.SockaddrInet4{Addr: dst.As4()}
		}
		if err := sendErr(unix.Sendto(r.byProto[fam<<8|int(f.proto)].fd, buf[:n], 0, to), dst); err != nil {
			return err
		}
	}
	return nil
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
