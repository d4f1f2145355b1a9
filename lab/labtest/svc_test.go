package labtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
)

func dial(t *testing.T, network string, a netip.Addr, port uint16) net.Conn {
	t.Helper()
	if err := lab.Guard(a.String()); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout(network, netip.AddrPortFrom(a, port).String(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n")
}

// roundTrip sends req and returns the first reply line.
func roundTrip(t *testing.T, c net.Conn, req string) string {
	t.Helper()
	if req != "" {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
	}
	return readLine(t, bufio.NewReader(c))
}

// snmpGetSysDescr is an SNMPv1 GetRequest, community "public", for sysDescr.0
// (1.3.6.1.2.1.1.1.0), BER-encoded by hand.
var snmpGetSysDescr = []byte{
	0x30, 0x26, 0x02, 0x01, 0x00, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',
	0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
}

func udpQuery(t *testing.T, a netip.Addr, port uint16, req []byte) []byte {
	t.Helper()
	c := dial(t, "udp", a, port)
	buf := make([]byte, 2048)
	// UDP may lose the first datagram while a daemon warms up; retry a bounded few.
	for try := 0; try < 3; try++ {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err == nil {
			return buf[:n]
		}
	}
	t.Fatalf("no UDP answer from %s:%d", a, port)
	return nil
}

func resolver(a netip.Addr, network string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, netip.AddrPortFrom(a, 53).String())
	}}
}

// TestSVCDaemons checks every daemon of the svc host from the root namespace, with
// a protocol exchange where one is cheap, over IPv4 and IPv6.
func TestSVCDaemons(t *testing.T) {
	checks := map[string]func(t *testing.T, a netip.Addr){
		"21/tcp": func(t *testing.T, a netip.Addr) {
			if l := roundTrip(t, dial(t, "tcp", a, 21), ""); !strings.HasPrefix(l, "220 ") || !strings.Contains(l, "vsFTPd") {
				t.Errorf("ftp banner %q", l)
			}
		},
		"22/tcp": func(t *testing.T, a netip.Addr) {
			if l := roundTrip(t, dial(t, "tcp", a, 22), ""); !strings.HasPrefix(l, "SSH-2.0-OpenSSH_") {
				t.Errorf("ssh banner %q", l)
			}
		},
		"25/tcp": func(t *testing.T, a netip.Addr) {
			c := dial(t, "tcp", a, 25)
			r := bufio.NewReader(c)
			if l := readLine(t, r); !strings.HasPrefix(l, "220 ") || !strings.Contains(l, "Exim") {
				t.Fatalf("smtp banner %q", l)
			}
			fmt.Fprintf(c, "EHLO scanner.%s\r\n", lab.Zone)
			var ehlo []string
			for l := readLine(t, r); ; l = readLine(t, r) {
				ehlo = append(ehlo, l)
				if strings.HasPrefix(l, "250 ") || !strings.HasPrefix(l, "250-") {
					break
				}
			}
			if !slices.ContainsFunc(ehlo, func(s string) bool { return strings.Contains(s, "STARTTLS") }) {
				t.Fatalf("EHLO offers no STARTTLS: %q", ehlo)
			}
			fmt.Fprintf(c, "STARTTLS\r\n")
			if l := readLine(t, r); !strings.HasPrefix(l, "220") {
				t.Fatalf("STARTTLS answer %q", l)
			}
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("STARTTLS handshake: %v", err)
			}
		},
		"53/tcp": func(t *testing.T, a netip.Addr) { checkDNS(t, a, "tcp") },
		"53/udp": func(t *testing.T, a netip.Addr) { checkDNS(t, a, "udp") },
		"80/tcp": func(t *testing.T, a netip.Addr) {
			checkHTTP(t, "http://"+netip.AddrPortFrom(a, 80).String()+"/")
		},
		"443/tcp": func(t *testing.T, a netip.Addr) {
			checkHTTP(t, "https://"+netip.AddrPortFrom(a, 443).String()+"/")
		},
		"5432/tcp": func(t *testing.T, a netip.Addr) {
			c := dial(t, "tcp", a, 5432)
			// SSLRequest: length 8, code 80877103; the server answers one byte.
			if _, err := c.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1)
			if _, err := io.ReadFull(c, b); err != nil || (b[0] != 'N' && b[0] != 'S') {
				t.Errorf("postgres SSLRequest answer %q, %v", b, err)
			}
		},
		"6379/tcp": func(t *testing.T, a netip.Addr) {
			if l := roundTrip(t, dial(t, "tcp", a, 6379), "PING\r\n"); l != "+PONG" {
				t.Errorf("redis PING -> %q", l)
			}
		},
		"11211/tcp": func(t *testing.T, a netip.Addr) {
			if l := roundTrip(t, dial(t, "tcp", a, 11211), "version\r\n"); !strings.HasPrefix(l, "VERSION 1.") {
				t.Errorf("memcached version -> %q", l)
			}
		},
		"113/tcp": func(t *testing.T, a netip.Addr) {
			_, err := net.DialTimeout("tcp", netip.AddrPortFrom(a, 113).String(), 3*time.Second)
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("closed port: %v, want connection refused", err)
			}
		},
		"123/udp": func(t *testing.T, a netip.Addr) {
			req := make([]byte, 48)
			req[0] = 0x23 // LI 0, version 4, mode 3 (client)
			resp := udpQuery(t, a, 123, req)
			if len(resp) < 48 || resp[0]&7 != 4 {
				t.Errorf("NTP answer %x, want a mode-4 server packet", resp)
			}
		},
		"161/udp": func(t *testing.T, a netip.Addr) {
			resp := udpQuery(t, a, 161, snmpGetSysDescr)
			if !bytes.Contains(resp, []byte{0xa2}) || !bytes.Contains(resp, []byte("Linux")) {
				t.Errorf("SNMP answer %q, want a GetResponse with sysDescr", resp)
			}
		},
	}
	for _, a := range lab.SVC.Addrs() {
		for _, p := range lab.SVC.Ports {
			key := fmt.Sprintf("%d/%s", p.Port, p.Proto)
			t.Run(key+"/"+a.String(), func(t *testing.T) {
				check, ok := checks[key]
				if !ok {
					t.Fatalf("no check for %s: the description has a port this test does not know", key)
				}
				check(t, a)
			})
		}
	}
}

func checkHTTP(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: nil}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != 200 || !strings.Contains(string(body), "scanfw lab") {
		t.Errorf("GET %s: %d %q", url, resp.StatusCode, body)
	}
	if resp.TLS != nil {
		if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != lab.SVC.FQDN() {
			t.Errorf("certificate CN %q, want %q", cn, lab.SVC.FQDN())
		}
	}
}

// checkDNS resolves lab names both ways and checks that nothing outside the lab
// zone is answered (dnsmasq must not forward).
func checkDNS(t *testing.T, server netip.Addr, network string) {
	t.Helper()
	if err := lab.Guard(server.String()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := resolver(server, network)
	for _, h := range []*lab.Host{lab.SVC, lab.FW, lab.WAN} {
		addrs, err := r.LookupNetIP(ctx, "ip", h.FQDN())
		if err != nil {
			t.Fatalf("lookup %s: %v", h.FQDN(), err)
		}
		for _, want := range []netip.Addr{h.V4, h.V6} {
			if want.IsValid() && !slices.Contains(addrs, want) {
				t.Errorf("%s -> %v, want %s among them", h.FQDN(), addrs, want)
			}
		}
		names, err := r.LookupAddr(ctx, h.V4.String())
		if err != nil || !slices.Contains(names, h.FQDN()+".") {
			t.Errorf("PTR %s -> %v, %v", h.V4, names, err)
		}
	}
	farm := lab.Farm.Live[len(lab.Farm.Live)-1]
	if names, err := r.LookupAddr(ctx, farm.String()); err != nil || len(names) != 1 {
		t.Errorf("PTR %s -> %v, %v", farm, names, err)
	}
	if addrs, err := r.LookupHost(ctx, "example.com"); err == nil {
		t.Errorf("example.com resolved to %v: the lab DNS must answer only %s", addrs, lab.Zone)
	}
}
