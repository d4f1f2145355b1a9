package servicescan

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// prefixMatcher hard-matches a response that starts with one of its
// prefixes, naming the service after it; "soft:" prefixes softmatch.
type prefixMatcher struct {
	hard map[string]string // prefix -> service
	soft map[string]string
	mu   sync.Mutex
	seen []string // probe names matched, in order
}

func (m *prefixMatcher) Match(_ context.Context, items []sdk.MatchItem) ([]sdk.MatchResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]sdk.MatchResult, len(items))
	for i, it := range items {
		m.seen = append(m.seen, it.Probe)
		out[i].ID = it.ID
		for pre, svc := range m.hard {
			if bytes.HasPrefix(it.Response, []byte(pre)) {
				out[i].Hard = true
				out[i].Service = sdk.Service{Name: svc, Product: "P-" + svc, Tunnel: it.Tunnel, Method: "probed", Conf: 10}
			}
		}
		if out[i].Hard {
			continue
		}
		for pre, svc := range m.soft {
			if bytes.HasPrefix(it.Response, []byte(pre)) {
				out[i].Soft = true
				out[i].Service = sdk.Service{Name: svc, Method: "probed", Conf: 10}
			}
		}
	}
	return out, nil
}

// serve listens on loopback and runs handle for every connection.
func serve(t *testing.T, handle func(c net.Conn)) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func testCatalogue() sdk.ServiceCatalogue {
	return sdk.ServiceCatalogue{Probes: []sdk.ServiceProbe{
		{Name: "NULL", Proto: sdk.ProtoTCP, TotalWait: 2 * time.Second, TCPWrapped: time.Second},
		{Name: "Lines", Proto: sdk.ProtoTCP, Payload: []byte("\r\n\r\n"), Rarity: 1, TotalWait: 500 * time.Millisecond, Services: []string{"lines"}},
		{Name: "Get", Proto: sdk.ProtoTCP, Payload: []byte("GET / HTTP/1.0\r\n\r\n"), Rarity: 1, TotalWait: 500 * time.Millisecond, Services: []string{"http"}},
		{Name: "Rare", Proto: sdk.ProtoTCP, Payload: []byte("RARE\r\n"), Rarity: 9, TotalWait: 500 * time.Millisecond, Services: []string{"rare"}},
	}}
}

func newScanner(t *testing.T, m Matcher, mod func(*Config)) *Scanner {
	t.Helper()
	cfg := Config{Matcher: m, Catalogue: testCatalogue(), Intensity: 7, Version: "test", Platform: "test",
		Now: func() time.Time { return time.Unix(1700000000, 0).UTC() }}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scanOne(t *testing.T, s *Scanner, port uint16) sdk.Port {
	t.Helper()
	h := sdk.Host{Addr: netip.MustParseAddr("127.0.0.1"), Start: time.Now(), Status: sdk.HostStatus{State: "up"},
		Ports: []sdk.Port{{Proto: sdk.ProtoTCP, Number: port, State: sdk.StateOpen}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Host(ctx, &h); err != nil {
		t.Fatal(err)
	}
	return h.Ports[0]
}

func readRequest(c net.Conn) string {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	return string(buf[:n])
}

func TestHost(t *testing.T) {
	t.Parallel()
	m := &prefixMatcher{
		hard: map[string]string{"SSH-": "ssh", "HTTP/1.0 200": "http", "RARE-OK": "rare"},
		soft: map[string]string{"HTTP/1.0 400": "http"},
	}
	tests := []struct {
		name     string
		handle   func(c net.Conn)
		mod      func(*Config)
		wantName string
		wantConf int
		wantFP   string // a substring of the fingerprint; "" for none
		within   time.Duration
	}{
		{
			name:     "banner",
			handle:   func(c net.Conn) { c.Write([]byte("SSH-2.0-Test\r\n")); readRequest(c) },
			wantName: "ssh", wantConf: 10, within: time.Second,
		},
		{
			name: "silent banner, answer to a request",
			handle: func(c net.Conn) {
				if strings.HasPrefix(readRequest(c), "GET") {
					c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
				}
			},
			// The NULL probe is cut after NullGrace, not its 2 s.
			mod:      func(c *Config) { c.NullGrace = 300 * time.Millisecond },
			wantName: "http", wantConf: 10, within: 1500 * time.Millisecond,
		},
		{
			name: "sequential waits the banner out",
			handle: func(c net.Conn) {
				if strings.HasPrefix(readRequest(c), "GET") {
					c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
				}
			},
			mod:      func(c *Config) { c.Sequential = true },
			wantName: "http", wantConf: 10, within: 4 * time.Second,
		},
		{
			name:     "closes at once: tcpwrapped",
			handle:   func(c net.Conn) {},
			wantName: "tcpwrapped", wantConf: 8, within: time.Second,
		},
		{
			name: "softmatch lifts nothing below the intensity",
			handle: func(c net.Conn) {
				switch req := readRequest(c); {
				case strings.HasPrefix(req, "GET"):
					c.Write([]byte("HTTP/1.0 400 Bad\r\n\r\n"))
				case strings.HasPrefix(req, "RARE"):
					c.Write([]byte("RARE-OK\r\n"))
				}
			},
			wantName: "http", wantConf: 10, wantFP: `%r(Get,14,"HTTP/1\.0\x20400\x20Bad\r\n\r\n")`, within: 4 * time.Second,
		},
		{
			name: "intensity 9 reaches the rare probe",
			handle: func(c net.Conn) {
				if strings.HasPrefix(readRequest(c), "RARE") {
					c.Write([]byte("RARE-OK\r\n"))
				}
			},
			mod:      func(c *Config) { c.Intensity = 9 },
			wantName: "rare", wantConf: 10, within: 4 * time.Second,
		},
		{
			name: "endless banner is cut at MaxResponse",
			handle: func(c net.Conn) {
				chunk := bytes.Repeat([]byte{0xff, 0x00, 'x'}, 1000)
				for range 10000 {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			},
			wantName: "unknown", wantConf: 3, wantFP: `%r(NULL,`, within: 5 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			port := serve(t, tt.handle)
			s := newScanner(t, m, tt.mod)
			begin := time.Now()
			p := scanOne(t, s, port)
			took := time.Since(begin)
			if p.Service == nil {
				t.Fatalf("no service")
			}
			if p.Service.Name != tt.wantName || p.Service.Conf != tt.wantConf {
				t.Errorf("service %q conf %d, want %q conf %d", p.Service.Name, p.Service.Conf, tt.wantName, tt.wantConf)
			}
			if tt.wantFP == "" && p.Service.Fingerprint != "" {
				t.Errorf("fingerprint %q, want none", p.Service.Fingerprint)
			}
			if tt.wantFP != "" && !strings.Contains(strings.ReplaceAll(p.Service.Fingerprint, "\nSF:", ""), tt.wantFP) {
				t.Errorf("fingerprint %q lacks %q", p.Service.Fingerprint, tt.wantFP)
			}
			if took > tt.within {
				t.Errorf("took %v, want at most %v", took, tt.within)
			}
		})
	}
}
