package rdns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Capacity of one server: queries it may have in flight (nmap-internals
// §4.4, libnetutil massdns).
const (
	capStart     = 10
	capMin       = 10
	capMax       = 100
	capUp        = 2   // per answer
	capSameScale = 0.7 // a timeout retried on the same server
	capMoveScale = 0.4 // a timeout that moves the request to another server

	// maxServers is how many servers one request tries before giving up.
	maxServers = 3
)

// Timeouts returns Nmap's per-try read timeouts for n servers: the tries
// a request gets on one server before it moves on.
func Timeouts(n int) []time.Duration {
	ms := time.Millisecond
	switch {
	case n <= 1:
		return []time.Duration{1000 * ms, 1500 * ms, 2000 * ms}
	case n == 2:
		return []time.Duration{1000 * ms, 1000 * ms}
	}
	return []time.Duration{500 * ms, 1000 * ms}
}

// Config says whom to ask.
type Config struct {
	// Servers are the DNS servers, in order (--dns-servers or resolv.conf).
	Servers []netip.AddrPort
	// Hosts names addresses without a query (the hosts file).
	Hosts map[netip.Addr]string
	// Timeouts overrides Timeouts(len(Servers)); for tests.
	Timeouts []time.Duration
	// TCPTimeout bounds the TCP retry of a truncated answer; 0 means 3 s.
	TCPTimeout time.Duration
}

// Stats counts what a Lookup did, for logs and tests.
type Stats struct {
	Queries  int // UDP queries sent, retries included
	Timeouts int
	TCP      int // truncated answers asked again over TCP
	Named    int
	// Capacity is each server's capacity when the lookup ended.
	Capacity []float64
}

// Resolver is the massdns stub resolver. One Lookup runs at a time.
type Resolver struct {
	cfg Config
}

// New checks cfg and returns a resolver.
func New(cfg Config) (*Resolver, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("reverse DNS: no DNS servers (give --dns-servers, or use --system-dns)")
	}
	for _, s := range cfg.Servers {
		if !s.IsValid() || s.Port() == 0 {
			return nil, fmt.Errorf("reverse DNS: invalid server address %v", s)
		}
	}
	if cfg.Timeouts == nil {
		cfg.Timeouts = Timeouts(len(cfg.Servers))
	}
	if cfg.TCPTimeout == 0 {
		cfg.TCPTimeout = 3 * time.Second
	}
	return &Resolver{cfg: cfg}, nil
}

type server struct {
	addr     netip.AddrPort
	conn     *net.UDPConn
	capacity float64
	inFlight int
	byID     map[uint16]*request
	retry    []*request // timed out, to be asked again here
}

func (s *server) answered()  { s.capacity = min(capMax, s.capacity+capUp) }
func (s *server) timedOut()  { s.capacity = max(capMin, s.capacity*capSameScale) }
func (s *server) movedAway() { s.capacity = max(capMin, s.capacity*capMoveScale) }
func (s *server) room() bool { return s.inFlight < int(s.capacity) }

type request struct {
	idx      int // into the addresses of Lookup
	name     dnsmessage.Name
	server   int // current server
	tried    int // servers tried, the current one included
	try      int // tries on the current server, the current one included
	id       uint16
	deadline time.Time
	waiting  bool // in flight on UDP
	tcp      bool // asked again over TCP
}

type reply struct {
	server int
	msg    []byte
}

type tcpReply struct {
	req *request
	msg []byte
	err error
}

// Lookup returns the PTR name of every address of addrs ("" for none), in
// order. It returns early with ctx's error when ctx ends; names found so far
// are kept.
func (r *Resolver) Lookup(ctx context.Context, addrs []netip.Addr) ([]string, Stats, error) {
	names := make([]string, len(addrs))
	var st Stats
	var fresh []*request
	for i, a := range addrs {
		if n, ok := r.cfg.Hosts[a.Unmap()]; ok {
			names[i] = n
			st.Named++
			continue
		}
		rn, err := ReverseName(a)
		if err != nil {
			return names, st, err
		}
		name, err := dnsmessage.NewName(rn)
		if err != nil {
			return names, st, fmt.Errorf("reverse DNS of %v: %w", a, err)
		}
		fresh = append(fresh, &request{idx: i, name: name, server: -1})
	}
	if len(fresh) == 0 {
		return names, st, nil
	}
	l, err := r.open()
	if err != nil {
		return names, st, err
	}
	defer l.close()
	l.names, l.st, l.fresh, l.left = names, &st, fresh, len(fresh)
	err = l.run(ctx)
	for _, s := range l.servers {
		st.Capacity = append(st.Capacity, s.capacity)
	}
	return names, st, err
}

// lookup is the state of one Lookup; only its run goroutine touches it.
type lookup struct {
	cfg     Config
	servers []*server
	replies chan reply
	tcp     chan tcpReply
	done    chan struct{} // closed when the lookup ends
	names   []string
	st      *Stats
	fresh   []*request
	left    int // requests not finished
	next    int // the server new requests start at
}

func (r *Resolver) open() (*lookup, error) {
	l := &lookup{cfg: r.cfg, replies: make(chan reply, 256), tcp: make(chan tcpReply), done: make(chan struct{})}
	for _, a := range r.cfg.Servers {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(a))
		if err != nil {
			l.close()
			return nil, fmt.Errorf("reverse DNS: server %v: %w", a, err)
		}
		s := &server{addr: a, conn: c, capacity: capStart, byID: map[uint16]*request{}}
		l.servers = append(l.servers, s)
		go l.read(len(l.servers)-1, c)
	}
	return l, nil
}

func (l *lookup) close() {
	close(l.done)
	for _, s := range l.servers {
		s.conn.Close()
	}
}

// read forwards every datagram from one server until its socket closes.
func (l *lookup) read(si int, c *net.UDPConn) {
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // an ICMP error from a dead server: its queries time out
		}
		msg := append([]byte(nil), buf[:n]...)
		select {
		case l.replies <- reply{si, msg}:
		default: // the loop is gone or flooded: a lost answer is a timeout
		}
	}
}

func (l *lookup) run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for l.left > 0 {
		now := time.Now()
		l.expire(now)
		if err := l.send(now); err != nil {
			return err
		}
		if l.left == 0 {
			return nil
		}
		timer.Reset(max(time.Until(l.wake(now)), 0))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case rp := <-l.replies:
			l.answer(time.Now(), rp)
		case tr := <-l.tcp:
			l.tcpAnswer(tr)
		case <-timer.C:
		}
	}
	return nil
}

// send puts queries on the wire while servers have room: each server's
// retries first, then new requests, servers taken in turn.
func (l *lookup) send(now time.Time) error {
	for progress := true; progress; {
		progress = false
		for k := range l.servers {
			si := (l.next + k) % len(l.servers)
			s := l.servers[si]
			if !s.room() {
				continue
			}
			var q *request
			if len(s.retry) > 0 {
				q, s.retry = s.retry[0], s.retry[1:]
			} else if len(l.fresh) > 0 {
				q, l.fresh = l.fresh[0], l.fresh[1:]
				q.server, q.tried, q.try = si, 1, 0
				l.next = (si + 1) % len(l.servers)
			} else {
				continue
			}
			if err := l.put(now, s, q); err != nil {
				return err
			}
			progress = true
		}
	}
	return nil
}

func (l *lookup) put(now time.Time, s *server, q *request) error {
	if q.try == 0 {
		q.id = s.newID()
		s.byID[q.id] = q
	}
	b, err := query(q.id, q.name)
	if err != nil {
		return fmt.Errorf("reverse DNS: %w", err)
	}
	q.deadline = now.Add(l.cfg.Timeouts[q.try])
	q.try++
	q.waiting = true
	s.inFlight++
	l.st.Queries++
	if _, err := s.conn.Write(b); err != nil {
		// A local send failure (no route, buffer full) costs this try.
		q.deadline = now
	}
	return nil
}

// newID picks an ID no request of s uses; the IDs in use are a small
// fraction of the space, so this ends fast.
func (s *server) newID() uint16 {
	for {
		id := uint16(rand.Uint32())
		if _, used := s.byID[id]; !used {
			return id
		}
	}
}

// expire handles the tries whose read timeout passed: another try on the
// same server, or the next server, or giving up.
func (l *lookup) expire(now time.Time) {
	for _, s := range l.servers {
		for _, q := range s.byID {
			if !q.waiting || q.tcp || now.Before(q.deadline) {
				continue
			}
			q.waiting = false
			s.inFlight--
			l.st.Timeouts++
			if q.try < len(l.cfg.Timeouts) {
				s.timedOut()
				s.retry = append(s.retry, q)
				continue
			}
			s.movedAway()
			l.move(q)
		}
	}
}

// move sends q to the next server, or ends it without a name when it has
// tried enough.
func (l *lookup) move(q *request) {
	delete(l.servers[q.server].byID, q.id)
	if q.tried >= min(maxServers, len(l.servers)) {
		l.finish(q, "")
		return
	}
	q.server = (q.server + 1) % len(l.servers)
	q.tried++
	q.try = 0
	q.tcp = false
	s := l.servers[q.server]
	s.retry = append(s.retry, q)
}

func (l *lookup) finish(q *request, name string) {
	l.names[q.idx] = name
	if name != "" {
		l.st.Named++
	}
	l.left--
}

func (l *lookup) answer(now time.Time, rp reply) {
	s := l.servers[rp.server]
	id, out, name, err := parseAnswer(rp.msg, func(id uint16) (dnsmessage.Name, bool) {
		q, ok := s.byID[id]
		if !ok {
			return dnsmessage.Name{}, false
		}
		return q.name, true
	})
	if err != nil {
		return
	}
	q := s.byID[id]
	if q.tcp {
		return // already asked over TCP; that answer decides
	}
	if q.waiting {
		q.waiting = false
		s.inFlight--
	} else {
		// A late answer to a try that timed out still counts; drop the
		// retry it had queued.
		s.dropRetry(q)
	}
	switch out {
	case answered:
		s.answered()
		delete(s.byID, id)
		l.finish(q, name)
	case refused:
		l.move(q)
	case truncated:
		q.tcp = true
		s.inFlight++ // the TCP query holds the slot
		l.st.TCP++
		go l.askTCP(s.addr, q, l.cfg.TCPTimeout)
	}
}

func (s *server) dropRetry(q *request) {
	for i, r := range s.retry {
		if r == q {
			s.retry = append(s.retry[:i], s.retry[i+1:]...)
			return
		}
	}
}

func (l *lookup) tcpAnswer(tr tcpReply) {
	q := tr.req
	s := l.servers[q.server]
	s.inFlight--
	if tr.err == nil {
		_, out, name, err := parseAnswer(tr.msg, func(id uint16) (dnsmessage.Name, bool) { return q.name, id == q.id })
		if err == nil && out == answered {
			s.answered()
			delete(s.byID, q.id)
			l.finish(q, name)
			return
		}
	}
	l.move(q)
}

// askTCP asks q again over TCP, as a truncated UDP answer requires.
func (l *lookup) askTCP(addr netip.AddrPort, q *request, timeout time.Duration) {
	msg, err := func() ([]byte, error) {
		c, err := net.DialTimeout("tcp", addr.String(), timeout)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		b, err := query(q.id, q.name)
		if err != nil {
			return nil, err
		}
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)); err != nil {
			return nil, err
		}
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return nil, err
		}
		msg := make([]byte, binary.BigEndian.Uint16(n[:]))
		_, err = io.ReadFull(c, msg)
		return msg, err
	}()
	select {
	case l.tcp <- tcpReply{q, msg, err}:
	case <-l.done:
	}
}

// wake is the earliest read deadline in flight.
func (l *lookup) wake(now time.Time) time.Time {
	w := now.Add(time.Second)
	for _, s := range l.servers {
		for _, q := range s.byID {
			if q.waiting && !q.tcp && q.deadline.Before(w) {
				w = q.deadline
			}
		}
	}
	return w
}
