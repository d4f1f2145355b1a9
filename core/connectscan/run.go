package connectscan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
	"golang.org/x/sys/unix"
)

// HostResult is one host's connect scan, delivered as soon as the host is
// complete.
type HostResult struct {
	Host  int // index into the addrs given to Run
	Addr  netip.Addr
	Table *portstate.Table // answered ports only; never nil
	// Timing estimates, as Nmap's <times srtt rttvar to>.
	SRTT, RTTVar, Timeout time.Duration
	Start, End            time.Time
	TimedOut              bool // given up at the host timeout
}

// maxWait bounds one epoll wait so cancellation is noticed promptly.
const maxWait = 50 * time.Millisecond

// reservedFDs are left to the rest of the process (plugins, outputs, logs).
const reservedFDs = 128

type inflight struct {
	id   uint64
	host int
	port uint16
}

// Run scans ports on every address of addrs with connect(), calling done
// for each host as it completes. Cancelling ctx stops the scan promptly and
// returns ctx's error; hosts delivered before that stay delivered.
func Run(ctx context.Context, cfg ultrascan.Config, spec sdk.ProbeSpec, addrs []netip.Addr, ports []uint16, done func(HostResult), opts ...Option) error {
	if spec.Transport != sdk.TransportConnect {
		return fmt.Errorf("connect scan of %q: transport %d is not connect", spec.ScanType, spec.Transport)
	}
	limit := raiseFileLimit() - reservedFDs
	if limit < 8 {
		return fmt.Errorf("connect scan: open-file limit too low (%d usable descriptors)", limit)
	}
	if cfg.MaxInFlight == 0 || cfg.MaxInFlight > limit {
		cfg.MaxInFlight = limit
	}
	s, err := newScanner(cfg, spec, addrs, ports)
	if err != nil {
		return err
	}
	defer s.close()
	for _, o := range opts {
		o(s)
	}
	return s.run(ctx, done)
}

// raiseFileLimit lifts the soft open-file limit to the hard one and returns
// the resulting soft limit: each probe in flight holds a descriptor.
func raiseFileLimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &want) == nil {
			rl = want
		}
	}
	return int(min(rl.Cur, 1<<20))
}

type scanner struct {
	eng      *ultrascan.Engine
	spec     sdk.ProbeSpec
	classify classifier
	addrs    []netip.Addr
	sas      []unix.Sockaddr
	tables   []*portstate.Table
	epfd     int
	byFD     map[int32]inflight
	fdOf     map[uint64]int32
	onPort   func(host int, p sdk.Port)
	trace    func(dst netip.AddrPort, err error)
	// feed, when set, admits more hosts as others finish and says whether
	// more may come (see Stream).
	feed  func() bool
	admit func() error
}

func newScanner(cfg ultrascan.Config, spec sdk.ProbeSpec, addrs []netip.Addr, ports []uint16) (*scanner, error) {
	sas := make([]unix.Sockaddr, len(addrs))
	for i, a := range addrs {
		sa, err := sockaddr(a)
		if err != nil {
			return nil, err
		}
		sas[i] = sa
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("connect scan: epoll_create: %w", err)
	}
	return &scanner{
		eng:  ultrascan.New(cfg, len(addrs), ports, time.Now()),
		spec: spec, classify: newClassifier(spec),
		addrs: addrs, sas: sas, tables: make([]*portstate.Table, len(addrs)),
		epfd: epfd, byFD: make(map[int32]inflight), fdOf: make(map[uint64]int32),
	}, nil
}

// sockaddr returns a's socket address with port 0; the port is set per
// probe. IPv4-mapped IPv6 addresses are scanned over IPv4.
func sockaddr(a netip.Addr) (unix.Sockaddr, error) {
	a = a.Unmap()
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4()}, nil
	}
	if !a.Is6() {
		return nil, fmt.Errorf("connect scan: invalid address %v", a)
	}
	sa := &unix.SockaddrInet6{Addr: a.As16()}
	if z := a.Zone(); z != "" {
		ifi, err := net.InterfaceByName(z)
		if err != nil {
			return nil, fmt.Errorf("connect scan: zone of %v: %w", a, err)
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	return sa, nil
}

func (s *scanner) close() {
	for fd := range s.byFD {
		unix.Close(int(fd))
	}
	unix.Close(s.epfd)
}

func (s *scanner) run(ctx context.Context, done func(HostResult)) error {
	var (
		probes   []ultrascan.Probe
		expired  []uint64
		finished []int
		events   = make([]unix.EpollEvent, 256)
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		more := false
		if s.feed != nil {
			var err error
			if more, err = s.refill(); err != nil {
				return err
			}
		}
		now := time.Now()
		var wake time.Time
		probes, wake = s.eng.Next(now, probes[:0])
		for _, p := range probes {
			if err := s.dial(p); err != nil {
				return err
			}
		}
		expired = s.eng.Expired(time.Now(), expired[:0])
		for _, id := range expired {
			if fd, ok := s.fdOf[id]; ok {
				s.drop(fd)
			}
		}
		finished = s.deliver(finished[:0], done)
		if s.eng.Done() && !more {
			return nil
		}
		wait := min(max(time.Until(wake), 0), maxWait)
		msec := int((wait + time.Millisecond - 1) / time.Millisecond)
		n, err := unix.EpollWait(s.epfd, events, msec)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("connect scan: epoll_wait: %w", err)
		}
		now = time.Now()
		for _, ev := range events[:max(n, 0)] {
			fd := ev.Fd
			in, ok := s.byFD[fd]
			if !ok {
				continue
			}
			soerr, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
			if err == nil && soerr != 0 {
				err = unix.Errno(soerr)
			}
			if err == nil && selfConnected(int(fd)) {
				// A loopback connect whose source port equals the target port
				// meets itself (TCP simultaneous open): nothing listens there.
				err = unix.ECONNREFUSED
			}
			s.drop(fd)
			s.traceConnect(in, err)
			s.result(now, in, err)
		}
	}
}

// dial starts one connect. Results the kernel gives at once (a refused
// loopback port) are handled at once.
func (s *scanner) dial(p ultrascan.Probe) error {
	sa := s.sas[p.Host]
	family := unix.AF_INET
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		c := *a
		c.Port = int(p.Port)
		sa = &c
	case *unix.SockaddrInet6:
		c := *a
		c.Port = int(p.Port)
		sa = &c
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOBUFS) {
			return nil // a local shortage: the probe times out and is retried
		}
		return fmt.Errorf("connect scan: socket: %w", err)
	}
	// Linger 0: close sends a reset and frees the port at once.
	_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	in := inflight{id: p.ID, host: p.Host, port: p.Port}
	err = unix.Connect(fd, sa)
	s.traceConnect(in, err)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EADDRNOTAVAIL) {
			return nil // out of local ports: the probe times out and is retried
		}
		s.result(time.Now(), in, err)
		return nil
	}
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("connect scan: epoll_ctl: %w", err)
	}
	s.byFD[int32(fd)] = in
	s.fdOf[p.ID] = int32(fd)
	return nil
}

func (s *scanner) drop(fd int32) {
	in := s.byFD[fd]
	delete(s.byFD, fd)
	delete(s.fdOf, in.id)
	unix.Close(int(fd)) // closing also removes it from the epoll set
}

// result records a connect outcome. An outcome no rule names leaves the
// probe unanswered: it times out and the engine may retry it.
func (s *scanner) result(now time.Time, in inflight, err error) {
	v, ok := s.classify[outcome(err)]
	if !ok || v.State == sdk.StateUnknown {
		return
	}
	s.eng.Reply(now, in.id)
	t := s.tables[in.host]
	if t == nil {
		t = portstate.NewTable(s.spec.SilenceMeansOpen)
		s.tables[in.host] = t
	}
	t.Record(s.spec.Proto, in.port, v, 0)
	if s.onPort != nil {
		s.onPort(in.host, sdk.Port{Proto: s.spec.Proto, Number: in.port, State: v.State, Reason: v.Reason})
	}
}

func (s *scanner) deliver(buf []int, done func(HostResult)) []int {
	buf = s.eng.Finished(buf)
	end := time.Now()
	for _, h := range buf {
		t := s.tables[h]
		if t == nil {
			t = portstate.NewTable(s.spec.SilenceMeansOpen)
		}
		s.tables[h] = nil
		srtt, rttvar, to := s.eng.HostTiming(h)
		done(HostResult{
			Host: h, Addr: s.addrs[h], Table: t,
			SRTT: srtt, RTTVar: rttvar, Timeout: to,
			Start: s.eng.HostStart(h), End: end, TimedOut: s.eng.HostTimedOut(h),
		})
	}
	return buf
}

// selfConnected reports whether the socket's two ends are the same address
// and port.
func selfConnected(fd int) bool {
	local, err1 := unix.Getsockname(fd)
	peer, err2 := unix.Getpeername(fd)
	if err1 != nil || err2 != nil {
		return false
	}
	switch l := local.(type) {
	case *unix.SockaddrInet4:
		p, ok := peer.(*unix.SockaddrInet4)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	case *unix.SockaddrInet6:
		p, ok := peer.(*unix.SockaddrInet6)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	}
	return false
}
