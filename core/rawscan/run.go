package rawscan

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/scanfw/scanfw/core/cookie"
	"github.com/scanfw/scanfw/core/packettrace"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/core/route"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// Options are the user's raw-packet settings.
type Options struct {
	Iface string     // -e: send and receive on this interface
	Src   netip.Addr // -S: source address
	// SrcPort is -g/--source-port when FixSrcPort is set; otherwise every
	// try leaves from its own cookie port.
	SrcPort    uint16
	FixSrcPort bool
	// TTL is --ttl when FixTTL is set; otherwise a random 37..59 per packet,
	// as Nmap does.
	TTL    uint8
	FixTTL bool
	// DataLength is --data-length: random bytes appended to every probe.
	DataLength int
	// DefeatRSTRateLimit is --defeat-rst-ratelimit: a RST meaning closed
	// counts as a rate-limited answer (ultrascan.RateLimited), so a target
	// that rate-limits its RSTs neither cuts the window nor raises the
	// retry cap.
	DefeatRSTRateLimit bool
	// Debug, if set, gets one line per raw scan with the engine's
	// counters and the final windows (for -d and the bench's analysis).
	Debug func(msg string, args ...any)
	// Trace, when set, prints every probe sent and every packet received
	// (--packet-trace).
	Trace *packettrace.Tracer
	// OnPort, when set, hears each port answer as it is recorded (-v's
	// "Discovered open port"); host indexes Run's addrs. It runs on the
	// scan's goroutine and must return quickly.
	OnPort func(host int, p sdk.Port)
	// Carry, when set, starts the group from what the previous group of
	// the same scan learnt and receives what this one learnt
	// (ultrascan.Carry), so a wide scan's groups do not each start cold.
	Carry *ultrascan.Carry
}

// HostResult is one host's raw scan, delivered as soon as the host is
// complete.
type HostResult struct {
	Host  int // index into the addrs given to Run
	Addr  netip.Addr
	Table *portstate.Table // answered ports only; never nil
	// Timing estimates, as Nmap's <times srtt rttvar to>.
	SRTT, RTTVar, Timeout time.Duration
	Start, End            time.Time
	TimedOut              bool
}

// maxWait bounds one wait so cancellation is noticed promptly.
const maxWait = 50 * time.Millisecond

// routeWorkers bounds the concurrent route lookups (netlink round trips;
// next hops are resolved afterwards, all together).
const routeWorkers = 32

// frameSender is rawio.SenderPool (AF_PACKET) or rawio.IPSender (raw IP on lo).
type frameSender interface {
	Slot() []byte
	Commit(n int) error
	Flush() error
	Close() error
}

// path is one way out and back: an interface and source address with its
// sender and receiver. Hosts reached the same way share one.
type path struct {
	ifindex  int
	src      netip.Addr
	loopback bool
	send     frameSender
	recv     *rawio.Receiver
	pending  bool
}

type target struct {
	path int // index into paths; -1 when the host cannot be reached
	head frameHead
}

// Run SYN-scans (or whatever the raw template is) ports on every address of
// addrs, calling done for each host as it completes. Cancelling ctx stops the
// scan promptly and returns ctx's error.
func Run(ctx context.Context, cfg ultrascan.Config, spec sdk.ProbeSpec, opt Options, addrs []netip.Addr, ports []uint16, done func(HostResult)) error {
	if spec.Transport != sdk.TransportRawIP && spec.Transport != sdk.TransportEthernet {
		return fmt.Errorf("raw scan of %q: transport %d is not raw", spec.ScanType, spec.Transport)
	}
	check := checkTemplates
	if spec.Proto == sdk.ProtoIP {
		check = checkIPTemplates
	}
	if err := check(spec.Templates); err != nil {
		return fmt.Errorf("raw scan of %q: %w", spec.ScanType, err)
	}
	s, err := newScanner(ctx, cfg, spec, opt, addrs, ports)
	if err != nil {
		return err
	}
	defer s.close()
	start := time.Now()
	err = s.run(ctx, done)
	if opt.Carry != nil && err == nil {
		*opt.Carry = s.eng.Carry()
	}
	if opt.Debug != nil {
		st := s.eng.Stats()
		cwnd, ssthresh := s.eng.GroupWindow()
		opt.Debug("raw scan timing", "scan", spec.ScanType, "hosts", len(addrs), "ports", len(ports),
			"elapsed", time.Since(start).Round(time.Millisecond), "probes", st.Probes, "retransmits", st.Retransmits,
			"pings", st.Pings, "drops", st.Drops, "congestion", st.Congestion, "queue", st.QueueCongestion, "lossy", st.LossCongestion, "reactions", st.Reactions,
			"boosts", st.Boosts, "paced", st.Limited, "pacing_spent", st.PacingSpent, "rld_pauses", st.RLDPauses, "late", st.LateReplies,
			"group_cwnd", int(cwnd), "group_ssthresh", int(ssthresh))
	}
	return err
}

type scanner struct {
	eng  *ultrascan.Engine
	spec sdk.ProbeSpec
	opt  Options
	b    *builder // the first template's; every port's when there is one
	// byPort maps a destination port to its templates' builders when the
	// probe type has more than one template (UDP payloads).
	byPort  map[uint16][]*builder
	mt      *matcher
	cls     *classifier
	addrs   []netip.Addr
	targets []target
	paths   []*path
	tables  []*portstate.Table
	// out maps a host's outstanding probes (port<<8 | try) to engine IDs;
	// dropped when the host is delivered.
	out     []map[uint32]uint64
	nports  int
	dups    map[int32][]int32 // first index of an address -> its repeats
	events  chan []event
	stop    chan struct{}
	wg      sync.WaitGroup
	recvErr chan error

	releaseOnce sync.Once
	released    chan struct{} // closed when every socket is
}

func newScanner(ctx context.Context, cfg ultrascan.Config, spec sdk.ProbeSpec, opt Options, addrs []netip.Addr, ports []uint16) (*scanner, error) {
	var payload []byte
	if opt.DataLength > 0 {
		payload = make([]byte, opt.DataLength)
		_, _ = rand.Read(payload)
	}
	build := newBuilders
	if spec.Proto == sdk.ProtoIP {
		build = newIPBuilders
	}
	b, byPort, err := build(spec.Templates, payload, ports)
	if err != nil {
		return nil, fmt.Errorf("raw scan of %q: %w", spec.ScanType, err)
	}
	key, err := cookie.NewKey()
	if err != nil {
		return nil, err
	}
	var m cookie.Matcher
	if opt.FixSrcPort {
		m = cookie.NewFixedPort(key, opt.SrcPort)
	} else {
		base, err := cookie.RandomBase()
		if err != nil {
			return nil, err
		}
		m = cookie.New(key, base)
	}
	// A technique whose silence reads closed|filtered is UDP under
	// --defeat-icmp-ratelimit: it does not wait out the ICMP limit.
	cls := &classifier{rules: spec.Rules, defeatRST: opt.DefeatRSTRateLimit,
		defeatICMP: spec.Silence.State == sdk.StateClosedFiltered}
	s := &scanner{
		spec: spec, opt: opt, b: b, byPort: byPort, cls: cls, addrs: addrs,
		targets: make([]target, len(addrs)), nports: len(ports),
		tables:  make([]*portstate.Table, len(addrs)),
		out:     make([]map[uint32]uint64, len(addrs)),
		events:  make(chan []event, 256),
		stop:    make(chan struct{}),
		recvErr: make(chan error, 1),
		mt: &matcher{m: m, fixed: opt.FixSrcPort, proto: spec.Templates[0].IPProtocol,
			hosts: make(map[netip.Addr]int32, len(addrs)), cls: cls, payload: uint32(len(payload)),
			tcp: tcpEchoOf(spec.Templates[0].Layer4, b.cookie)},
	}
	for i, a := range addrs {
		a = a.Unmap()
		if first, dup := s.mt.hosts[a]; dup {
			// The same address twice in a group: both probe alike and the
			// cookie cannot tell their replies apart, so each reply goes to
			// every copy.
			if s.dups == nil {
				s.dups = map[int32][]int32{}
			}
			s.dups[first] = append(s.dups[first], int32(i))
			continue
		}
		s.mt.hosts[a] = int32(i)
	}
	if err := s.routeAll(ctx); err != nil {
		s.close()
		return nil, err
	}
	if spec.Proto == sdk.ProtoIP {
		if err := s.forIPScan(); err != nil {
			s.close()
			return nil, err
		}
	}
	// Every socket is open before the first probe leaves.
	s.eng = ultrascan.New(cfg, len(addrs), ports, time.Now())
	if opt.Carry != nil {
		s.eng.Resume(time.Now(), *opt.Carry)
	}
	for _, p := range s.paths {
		s.wg.Add(1)
		go s.receive(p)
	}
	return s, nil
}

// routeAll looks up every target's route and opens one sender and receiver
// per distinct interface and source address.
func (s *scanner) routeAll(ctx context.Context) error {
	routes := make([]route.Route, len(s.addrs))
	errs := make([]error, len(s.addrs))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(routeWorkers, len(s.addrs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				routes[i], errs[i] = route.Lookup(ctx, s.addrs[i], route.Options{Iface: s.opt.Iface, Src: s.opt.Src, Unresolved: true})
			}
		}()
	}
	for i := range s.addrs {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := resolveNextHops(ctx, routes, errs); err != nil {
		return fmt.Errorf("raw scan: %w", err)
	}
	type pathKey struct {
		ifindex int
		src     netip.Addr
	}
	byKey := map[pathKey]int{}
	for i, rt := range routes {
		if err := errs[i]; err != nil {
			if errors.Is(err, route.ErrNoNeighbour) || errors.Is(err, route.ErrUnroutable) {
				// An absent neighbour, a broadcast address, an unreachable
				// route: no probe can reach it, so it stays silent.
				s.targets[i].path = -1
				continue
			}
			return fmt.Errorf("raw scan: %w", err)
		}
		k := pathKey{rt.Iface.Index, rt.Src}
		pi, ok := byKey[k]
		if !ok {
			p, err := openPath(rt, s.maxLen())
			if err != nil {
				return err
			}
			s.traceReceived(p)
			pi = len(s.paths)
			s.paths = append(s.paths, p)
			byKey[k] = pi
		}
		s.targets[i] = target{path: pi, head: newHead(!rt.Loopback, rt.Iface.MAC, rt.NextHopMAC, rt.Src, s.addrs[i])}
	}
	return nil
}

// resolveNextHops fills the next-hop MACs of routes over Ethernet links,
// each distinct hop once and every hop of a link together
// (route.ResolveAll): a group of absent on-link addresses costs one
// resolve timeout, not one per address. A route whose hop did not resolve
// gets route.ErrNoNeighbour in errs.
func resolveNextHops(ctx context.Context, routes []route.Route, errs []error) error {
	type link struct {
		ifi  route.Interface
		hops []netip.Addr
		seen map[netip.Addr]bool
	}
	links := map[int]*link{}
	for i, rt := range routes {
		if errs[i] != nil || rt.Loopback || len(rt.Iface.MAC) == 0 || rt.NextHopMAC != nil {
			continue
		}
		l := links[rt.Iface.Index]
		if l == nil {
			l = &link{ifi: rt.Iface, seen: map[netip.Addr]bool{}}
			links[rt.Iface.Index] = l
		}
		if hop := rt.NextHop(); !l.seen[hop] {
			l.seen[hop] = true
			l.hops = append(l.hops, hop)
		}
	}
	for index, l := range links {
		macs, err := route.ResolveAll(ctx, l.ifi, l.hops, 0)
		if err != nil {
			return fmt.Errorf("resolve next hops on %s: %w", l.ifi.Name, err)
		}
		for i := range routes {
			rt := &routes[i]
			if errs[i] != nil || rt.Iface.Index != index || rt.Loopback || rt.NextHopMAC != nil {
				continue
			}
			if mac, ok := macs[rt.NextHop()]; ok {
				rt.NextHopMAC = mac
			} else {
				errs[i] = fmt.Errorf("route to %s via %s on %s: %w", rt.Dst, rt.NextHop(), l.ifi.Name, route.ErrNoNeighbour)
			}
		}
	}
	return nil
}

func openPath(rt route.Route, maxLen int) (*path, error) {
	p := &path{ifindex: rt.Iface.Index, src: rt.Src, loopback: rt.Loopback}
	var err error
	if rt.Loopback {
		p.send, err = rawio.NewIPSender(rt.Src.Is6(), maxLen, 0)
	} else {
		if len(rt.Iface.MAC) == 0 {
			return nil, fmt.Errorf("raw scan: interface %s has no Ethernet address; this build sends raw frames only on Ethernet and lo", rt.Iface.Name)
		}
		// One sender per CPU: on veth the target's kernel work runs inside
		// our send calls, so a single sending thread caps the scan.
		p.send, err = rawio.NewSenderPool(rt.Iface.Index, maxLen, 0, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("raw scan on %s: %w", rt.Iface.Name, err)
	}
	if p.recv, err = rawio.NewReceiver(rt.Iface.Index, rt.Src); err != nil {
		p.send.Close()
		return nil, fmt.Errorf("raw scan on %s: %w", rt.Iface.Name, err)
	}
	return p, nil
}

// receive decodes, validates and classifies replies on one path and hands
// them to the scan loop in batches. The decode runs in place in the ring.
func (s *scanner) receive(p *path) {
	defer s.wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var batch []event
	emit := func(ev event) { batch = append(batch, ev) }
	ipScan := s.spec.Proto == sdk.ProtoIP
	handle := func(r *rawio.Reply) {
		if ipScan {
			s.mt.matchIP(r, p.src, emit)
		} else if ev, ok := s.mt.match(r, p.src); ok {
			batch = append(batch, ev)
		}
	}
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		if _, err := p.recv.Poll(5*time.Millisecond, handle); err != nil {
			select {
			case s.recvErr <- err:
			default:
			}
			return
		}
		if len(batch) > 0 {
			select {
			case s.events <- batch:
			case <-s.stop:
				return
			}
			batch = nil
		}
	}
}

// release stops the receivers and closes every socket in the background;
// close waits for it. Why in the background: closing an AF_PACKET socket
// waits for an RCU grace period, two for one with a ring (about 8 ms each
// here), so a sequential close held the scan's end for 40 ms. Started as
// soon as the last host is complete, it overlaps the delivery of the
// results, and the sockets close side by side.
func (s *scanner) release() {
	s.releaseOnce.Do(func() {
		close(s.stop)
		s.released = make(chan struct{})
		go func() {
			defer close(s.released)
			s.wg.Wait()
			var wg sync.WaitGroup
			for _, p := range s.paths {
				wg.Add(2)
				go func() { defer wg.Done(); p.send.Close() }()
				go func() { defer wg.Done(); p.recv.Close() }()
			}
			wg.Wait()
		}()
	})
}

func (s *scanner) close() {
	s.release()
	<-s.released
}

func (s *scanner) run(ctx context.Context, done func(HostResult)) error {
	var (
		probes   []ultrascan.Probe
		expired  []uint64
		finished []int
	)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		var wake time.Time
		probes, wake = s.eng.Next(now, probes[:0])
		for _, p := range probes {
			if err := s.send(p); err != nil {
				return err
			}
		}
		if err := s.flush(); err != nil {
			return err
		}
		// Timed-out probes stay in s.out: a late reply still tells the
		// port's state even when the engine has moved on.
		expired = s.eng.Expired(time.Now(), expired[:0])
		finished = s.deliver(finished[:0], done)
		if s.eng.Done() {
			return nil
		}
		wait := min(max(time.Until(wake), 0), maxWait)
		if wait == 0 {
			// Still sending: take what has arrived without waiting.
			select {
			case evs := <-s.events:
				s.handle(evs)
			default:
			}
			continue
		}
		timer.Reset(wait)
		select {
		case evs := <-s.events:
			s.handle(evs)
		case err := <-s.recvErr:
			return fmt.Errorf("raw scan: %w", err)
		case <-timer.C:
		case <-ctx.Done():
		}
	}
}

func (s *scanner) send(p ultrascan.Probe) error {
	t := &s.targets[p.Host]
	if t.path < 0 {
		return nil // unreachable: the probe times out
	}
	pa := s.paths[t.path]
	sport := s.mt.m.SrcPort(p.Try)
	f := probeFields{
		srcPort: sport, dstPort: p.Port,
		cookie: s.mt.m.Seq(t.head.src, t.head.dst, sport, p.Port, p.Try),
		ttl:    uint8(37 + mrand.IntN(23)), ipid: uint16(mrand.Uint32()),
	}
	if s.opt.FixTTL {
		f.ttl = s.opt.TTL
	}
	if s.spec.Proto == sdk.ProtoIP {
		f.ipid, f.flow = ipCookie(f.cookie)
	}
	if s.out[p.Host] == nil {
		// Sized for one try of every port, which a host that answers
		// reaches anyway: growing to 65 k entries step by step was the
		// largest cost of send in a -p- scan.
		s.out[p.Host] = make(map[uint32]uint64, s.nports)
	}
	s.out[p.Host][uint32(p.Port)<<8|uint32(p.Try)] = p.ID
	pa.pending = true
	bs := s.byPort[p.Port]
	if s.byPort == nil {
		bs = []*builder{s.b}
	}
	for _, b := range bs {
		slot := pa.send.Slot()
		n, err := b.write(slot, &t.head, f)
		if err != nil {
			return fmt.Errorf("raw scan: build probe: %w", err)
		}
		if s.opt.Trace != nil {
			s.opt.Trace.Sent(slot[:n], t.head.link)
		}
		if err := pa.send.Commit(n); err != nil {
			return fmt.Errorf("raw scan: send: %w", err)
		}
	}
	return nil
}

func (s *scanner) flush() error {
	for _, p := range s.paths {
		if !p.pending {
			continue
		}
		p.pending = false
		if err := p.send.Flush(); err != nil {
			return fmt.Errorf("raw scan: send: %w", err)
		}
	}
	return nil
}

// handle feeds replies to the engine and records what they say. Replies for
// hosts already delivered are dropped.
func (s *scanner) handle(evs []event) {
	now := time.Now()
	for {
		for _, ev := range evs {
			s.reply(now, ev)
			for _, d := range s.dups[ev.host] {
				ev.host = d
				s.reply(now, ev)
			}
		}
		select {
		case evs = <-s.events:
			continue
		default:
		}
		return
	}
}

func (s *scanner) reply(now time.Time, ev event) {
	h := int(ev.host)
	out := s.out[h]
	if out == nil || s.eng.HostComplete(h) {
		return
	}
	id, ok := out[uint32(ev.port)<<8|uint32(ev.try)]
	if !ok && ev.try == anyTry {
		for try := cookie.MaxTry - 1; try >= 0 && !ok; try-- {
			id, ok = out[uint32(ev.port)<<8|uint32(try)]
		}
	}
	if !ok {
		return // a reply to a probe of another scan phase, or a port never sent
	}
	s.eng.Receive(now, id, s.cls.response(int(ev.rule)))
	t := s.tables[h]
	if t == nil {
		t = portstate.NewTable(s.spec.SilenceMeansOpen)
		s.tables[h] = t
	}
	v := s.cls.verdict(int(ev.rule))
	t.Record(s.spec.Proto, ev.port, v, int(ev.ttl))
	if s.opt.OnPort != nil {
		s.opt.OnPort(h, sdk.Port{Proto: s.spec.Proto, Number: ev.port, State: v.State, Reason: v.Reason, ReasonTTL: int(ev.ttl)})
	}
}

func (s *scanner) deliver(buf []int, done func(HostResult)) []int {
	buf = s.eng.Finished(buf)
	end := time.Now()
	if s.eng.Done() {
		// Nothing more leaves or arrives: the sockets can go while the
		// last hosts are handed over.
		s.release()
	}
	for _, h := range buf {
		t := s.tables[h]
		if t == nil {
			t = portstate.NewTable(s.spec.SilenceMeansOpen)
		}
		s.tables[h] = nil
		s.out[h] = nil
		srtt, rttvar, to := s.eng.HostTiming(h)
		done(HostResult{
			Host: h, Addr: s.addrs[h], Table: t,
			SRTT: srtt, RTTVar: rttvar, Timeout: to,
			Start: s.eng.HostStart(h), End: end, TimedOut: s.eng.HostTimedOut(h),
		})
	}
	return buf
}
