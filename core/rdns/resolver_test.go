package rdns

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeServer is a DNS server on loopback that answers PTR queries the way
// a test tells it to, over UDP and TCP on the same port.
type fakeServer struct {
	t    *testing.T
	udp  *net.UDPConn
	tcp  *net.TCPListener
	addr netip.AddrPort
	// behave decides the UDP answer to the n-th query (1-based) for a name.
	behave func(name string, n int) action
	delay  time.Duration

	mu          sync.Mutex
	seen        map[string]int // queries per name over UDP
	ids         map[string][]uint16
	tcpQueries  int
	outstanding int
	maxOut      int
}

type action int

const (
	answer action = iota
	drop
	truncate
	nxdomain
	servfail
)

// ptrOf is the name the fake server gives an owner name.
func ptrOf(owner string) string {
	return "host-" + strings.ReplaceAll(strings.TrimSuffix(owner, ".in-addr.arpa."), ".", "-") + ".test"
}

func newFakeServer(t *testing.T, behave func(name string, n int) action) *fakeServer {
	return newSlowServer(t, behave, 0)
}

// newSlowServer answers each query after delay.
func newSlowServer(t *testing.T, behave func(name string, n int) action, delay time.Duration) *fakeServer {
	t.Helper()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ap := u.LocalAddr().(*net.UDPAddr).AddrPort()
	l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap))
	if err != nil {
		u.Close()
		t.Fatal(err)
	}
	f := &fakeServer{t: t, udp: u, tcp: l, addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), behave: behave, delay: delay,
		seen: map[string]int{}, ids: map[string][]uint16{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); f.serveUDP() }()
	go func() { defer wg.Done(); f.serveTCP() }()
	t.Cleanup(func() { u.Close(); l.Close(); wg.Wait() })
	return f
}

func (f *fakeServer) serveUDP() {
	buf := make([]byte, 512)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		n, from, err := f.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil || len(m.Questions) != 1 {
			continue
		}
		name := m.Questions[0].Name.String()
		f.mu.Lock()
		f.seen[name]++
		f.ids[name] = append(f.ids[name], m.Header.ID)
		k := f.seen[name]
		f.mu.Unlock()
		act := f.behave(name, k)
		if act == drop {
			continue
		}
		f.mu.Lock()
		f.outstanding++
		f.maxOut = max(f.maxOut, f.outstanding)
		f.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(f.delay)
			f.mu.Lock()
			f.outstanding--
			f.mu.Unlock()
			f.udp.WriteToUDPAddrPort(f.reply(m, act), from)
		}()
	}
}

func (f *fakeServer) serveTCP() {
	for {
		c, err := f.tcp.Accept()
		if err != nil {
			return
		}
		func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(2 * time.Second))
			var n [2]byte
			if _, err := io.ReadFull(c, n[:]); err != nil {
				return
			}
			b := make([]byte, binary.BigEndian.Uint16(n[:]))
			if _, err := io.ReadFull(c, b); err != nil {
				return
			}
			var m dnsmessage.Message
			if m.Unpack(b) != nil {
				return
			}
			f.mu.Lock()
			f.tcpQueries++
			f.mu.Unlock()
			out := f.reply(m, answer)
			c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
		}()
	}
}

func (f *fakeServer) reply(q dnsmessage.Message, act action) []byte {
	m := dnsmessage.Message{Header: dnsmessage.Header{ID: q.Header.ID, Response: true, RecursionDesired: true, RecursionAvailable: true},
		Questions: q.Questions}
	switch act {
	case truncate:
		m.Header.Truncated = true
	case nxdomain:
		m.Header.RCode = dnsmessage.RCodeNameError
	case servfail:
		m.Header.RCode = dnsmessage.RCodeServerFailure
	default:
		owner := q.Questions[0].Name
		m.Answers = []dnsmessage.Resource{{
			Header: dnsmessage.ResourceHeader{Name: owner, Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET, TTL: 60},
			Body:   &dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(ptrOf(owner.String()) + ".")},
		}}
	}
	b, err := m.Pack()
	if err != nil {
		f.t.Errorf("fake server: pack: %v", err)
	}
	return b
}

func (f *fakeServer) queries(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[name]
}

func addrs(n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{198, 18, byte(i / 250), byte(1 + i%250)})
	}
	return out
}

func wantName(a netip.Addr) string {
	rn, _ := ReverseName(a)
	return ptrOf(rn)
}

func resolve(t *testing.T, cfg Config, as []netip.Addr) ([]string, Stats) {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	names, st, err := r.Lookup(ctx, as)
	if err != nil {
		t.Fatal(err)
	}
	return names, st
}

func always(a action) func(string, int) action { return func(string, int) action { return a } }

func TestLookupAnswers(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, always(answer))
	as := addrs(5)
	names, st := resolve(t, Config{Servers: []netip.AddrPort{srv.addr}}, as)
	for i, a := range as {
		if names[i] != wantName(a) {
			t.Errorf("%v: name %q, want %q", a, names[i], wantName(a))
		}
	}
	if st.Queries != 5 || st.Named != 5 || st.Timeouts != 0 {
		t.Errorf("stats %+v, want 5 queries, 5 named, no timeouts", st)
	}
}

// TestCapacityGrows checks that a server that answers everything is given
// more queries at once, 2 more per answer, up to 100 and never beyond.
func TestCapacityGrows(t *testing.T) {
	t.Parallel()
	srv := newSlowServer(t, always(answer), 30*time.Millisecond)
	as := addrs(400)
	names, st := resolve(t, Config{Servers: []netip.AddrPort{srv.addr}}, as)
	for i, a := range as {
		if names[i] != wantName(a) {
			t.Fatalf("%v: name %q", a, names[i])
		}
	}
	if st.Capacity[0] != capMax {
		t.Errorf("capacity after 400 answers %v, want %d", st.Capacity[0], capMax)
	}
	srv.mu.Lock()
	peak := srv.maxOut
	srv.mu.Unlock()
	if peak <= capStart || peak > capMax {
		t.Errorf("peak queries outstanding at the server %d, want above the start capacity %d and at most %d", peak, capStart, capMax)
	}
}

func TestCapacityStartsAtTen(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, always(drop))
	as := addrs(30)
	r, _ := New(Config{Servers: []netip.AddrPort{srv.addr}, Timeouts: []time.Duration{300 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	r.Lookup(ctx, as)
	total := 0
	for _, a := range as {
		rn, _ := ReverseName(a)
		total += srv.queries(rn)
	}
	if total != capStart {
		t.Errorf("%d queries sent before any answer or timeout, want the start capacity %d", total, capStart)
	}
}

// TestTimeoutRetriesSameServer: the first try of every name is lost; the
// second, on the same server with the same ID, is answered.
func TestTimeoutRetriesSameServer(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(_ string, n int) action {
		if n == 1 {
			return drop
		}
		return answer
	})
	as := addrs(12)
	names, st := resolve(t, Config{Servers: []netip.AddrPort{srv.addr}, Timeouts: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}}, as)
	for i, a := range as {
		if names[i] != wantName(a) {
			t.Errorf("%v: name %q", a, names[i])
		}
		rn, _ := ReverseName(a)
		srv.mu.Lock()
		ids := srv.ids[rn]
		srv.mu.Unlock()
		if len(ids) != 2 || ids[0] != ids[1] {
			t.Errorf("%v: query IDs %v, want two tries with one ID", a, ids)
		}
	}
	if st.Timeouts != 12 || st.Queries != 24 {
		t.Errorf("stats %+v, want 12 timeouts and 24 queries", st)
	}
}

// TestTimeoutMovesToNextServer: a dead first server costs its tries, then
// the second answers; the dead one's capacity shrinks to the floor.
func TestTimeoutMovesToNextServer(t *testing.T) {
	t.Parallel()
	dead := newFakeServer(t, always(drop))
	live := newFakeServer(t, always(answer))
	as := addrs(4)
	names, st := resolve(t, Config{Servers: []netip.AddrPort{dead.addr, live.addr},
		Timeouts: []time.Duration{40 * time.Millisecond, 40 * time.Millisecond}}, as)
	for i, a := range as {
		if names[i] != wantName(a) {
			t.Errorf("%v: name %q", a, names[i])
		}
	}
	deadQueries := 0
	for _, a := range as {
		rn, _ := ReverseName(a)
		deadQueries += dead.queries(rn)
	}
	// New requests alternate between the servers; those that start on
	// the dead one use both tries there.
	if deadQueries != 4 {
		t.Errorf("dead server got %d queries, want 4 (2 requests x 2 tries)", deadQueries)
	}
	if st.Capacity[0] != capMin {
		t.Errorf("dead server capacity %v, want %d", st.Capacity[0], capMin)
	}
}

func TestGivesUpAfterThreeServers(t *testing.T) {
	t.Parallel()
	var servers []netip.AddrPort
	var fakes []*fakeServer
	for range 4 {
		f := newFakeServer(t, always(drop))
		fakes = append(fakes, f)
		servers = append(servers, f.addr)
	}
	a := netip.MustParseAddr("198.18.3.7")
	start := time.Now()
	names, st := resolve(t, Config{Servers: servers, Timeouts: []time.Duration{20 * time.Millisecond}}, []netip.Addr{a})
	if names[0] != "" {
		t.Errorf("name %q from silent servers", names[0])
	}
	rn, _ := ReverseName(a)
	asked := 0
	for _, f := range fakes {
		asked += min(f.queries(rn), 1)
	}
	if asked != maxServers || st.Queries != maxServers {
		t.Errorf("asked %d servers with %d queries, want %d", asked, st.Queries, maxServers)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("giving up took %v", el)
	}
}

func TestTruncatedAsksOverTCP(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, always(truncate))
	as := addrs(3)
	names, st := resolve(t, Config{Servers: []netip.AddrPort{srv.addr}}, as)
	for i, a := range as {
		if names[i] != wantName(a) {
			t.Errorf("%v: name %q", a, names[i])
		}
	}
	srv.mu.Lock()
	tcpQueries := srv.tcpQueries
	srv.mu.Unlock()
	if st.TCP != 3 || tcpQueries != 3 {
		t.Errorf("TCP retries %d, TCP queries at the server %d, want 3 each", st.TCP, tcpQueries)
	}
}

func TestNegativeAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		first     action // from the first server; the second always answers
		wantNamed bool
		wantSecnd int
	}{
		{"nxdomain is final", nxdomain, false, 0},
		{"servfail moves on", servfail, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := netip.MustParseAddr("198.18.1.2")
			rn, _ := ReverseName(a)
			first := newFakeServer(t, always(c.first))
			second := newFakeServer(t, always(answer))
			names, _ := resolve(t, Config{Servers: []netip.AddrPort{first.addr, second.addr}}, []netip.Addr{a})
			if got := names[0] != ""; got != c.wantNamed {
				t.Errorf("named %v (%q), want %v", got, names[0], c.wantNamed)
			}
			if n := second.queries(rn); n != c.wantSecnd {
				t.Errorf("second server asked %d times, want %d", n, c.wantSecnd)
			}
		})
	}
}

func TestHostsFileNeedsNoQuery(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, always(answer))
	a := netip.MustParseAddr("127.0.0.1")
	names, st := resolve(t, Config{Servers: []netip.AddrPort{srv.addr}, Hosts: map[netip.Addr]string{a: "localhost"}}, []netip.Addr{a})
	if names[0] != "localhost" || st.Queries != 0 {
		t.Errorf("name %q after %d queries, want localhost without a query", names[0], st.Queries)
	}
}

func TestCancelReturnsPromptly(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, always(drop))
	r, _ := New(Config{Servers: []netip.AddrPort{srv.addr}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := r.Lookup(ctx, addrs(50))
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("Lookup after cancel: %v after %v", err, time.Since(start))
	}
}

func TestReverseName(t *testing.T) {
	t.Parallel()
	cases := []struct{ addr, want string }{
		{"198.18.3.10", "10.3.18.198.in-addr.arpa."},
		{"::ffff:198.18.3.10", "10.3.18.198.in-addr.arpa."},
		{"2001:db8:1::2", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."},
	}
	for _, c := range cases {
		got, err := ReverseName(netip.MustParseAddr(c.addr))
		if err != nil || got != c.want {
			t.Errorf("ReverseName(%s) = %q, %v; want %q", c.addr, got, err, c.want)
		}
	}
}

func TestParseAnswerRejectsOtherQuestions(t *testing.T) {
	t.Parallel()
	f := &fakeServer{t: t}
	asked := dnsmessage.MustNewName("2.1.18.198.in-addr.arpa.")
	other := dnsmessage.MustNewName("3.1.18.198.in-addr.arpa.")
	q := dnsmessage.Message{Header: dnsmessage.Header{ID: 7}, Questions: []dnsmessage.Question{{Name: other, Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET}}}
	_, _, _, err := parseAnswer(f.reply(q, answer), func(id uint16) (dnsmessage.Name, bool) { return asked, id == 7 })
	if err != errNotOurs {
		t.Errorf("answer to another question: err %v, want errNotOurs", err)
	}
	q.Questions[0].Name = asked
	_, out, name, err := parseAnswer(f.reply(q, answer), func(id uint16) (dnsmessage.Name, bool) { return asked, id == 7 })
	if err != nil || out != answered || name != ptrOf(asked.String()) {
		t.Errorf("matching answer: %v %v %q", err, out, name)
	}
}

func TestParseFiles(t *testing.T) {
	t.Parallel()
	servers, err := ParseResolvConf(strings.NewReader("# c\nsearch x\nnameserver 10.0.0.1\nnameserver ::1\nnameserver bogus\n"))
	if err != nil || fmt.Sprint(servers) != "[10.0.0.1:53 [::1]:53]" {
		t.Errorf("resolv.conf: %v %v", servers, err)
	}
	hosts, err := ParseHosts(strings.NewReader("127.0.0.1 localhost vm\n127.0.0.1 other\n::1 ip6-localhost # c\n"))
	if err != nil || hosts[netip.MustParseAddr("127.0.0.1")] != "localhost" || hosts[netip.MustParseAddr("::1")] != "ip6-localhost" {
		t.Errorf("hosts: %v %v", hosts, err)
	}
	for _, c := range []struct {
		in, want string
		ok       bool
	}{{"198.18.1.2", "198.18.1.2:53", true}, {"127.0.0.1:5353", "127.0.0.1:5353", true}, {"[::1]:53", "[::1]:53", true}, {"dns.example", "", false}} {
		got, err := ParseServer(c.in)
		if (err == nil) != c.ok || (c.ok && got.String() != c.want) {
			t.Errorf("ParseServer(%q) = %v, %v", c.in, got, err)
		}
	}
}
