package route

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/route/netnstest"
)

// lab is client <-> gateway <-> target:
//
//	client  rtc0 198.18.200.1/29 2001:db8:200::1/64
//	gateway rtg0 198.18.200.2/29 2001:db8:200::2/64, rtg1 198.18.200.65/26
//	target  rtt0 198.18.200.66/26
//
// The client routes 198.18.200.64/26 via the gateway.
type lab struct {
	client, gw, target *netnstest.NS
	gwMAC              net.HardwareAddr
}

func newLab(t *testing.T) *lab {
	netnstest.RequireRoot(t)
	id := os.Getpid() % 100000
	l := &lab{
		client: netnstest.New(t, fmt.Sprintf("scanfw-rt-c%d", id)),
		gw:     netnstest.New(t, fmt.Sprintf("scanfw-rt-g%d", id)),
		target: netnstest.New(t, fmt.Sprintf("scanfw-rt-t%d", id)),
	}
	netnstest.Veth(t, l.client, "rtc0", l.gw, "rtg0")
	netnstest.Veth(t, l.gw, "rtg1", l.target, "rtt0")
	l.client.IP(t, "addr add 198.18.200.1/29 dev rtc0")
	l.client.IP(t, "addr add 2001:db8:200::1/64 dev rtc0 nodad")
	l.client.IP(t, "route add 198.18.200.64/26 via 198.18.200.2")
	l.gw.IP(t, "addr add 198.18.200.2/29 dev rtg0")
	l.gw.IP(t, "addr add 2001:db8:200::2/64 dev rtg0 nodad")
	l.gw.IP(t, "addr add 198.18.200.65/26 dev rtg1")
	l.gw.Sysctl(t, "net.ipv4.ip_forward", "1")
	l.target.IP(t, "addr add 198.18.200.66/26 dev rtt0")
	l.target.IP(t, "route add default via 198.18.200.65")
	if err := l.gw.Do(func() error {
		ifi, err := net.InterfaceByName("rtg0")
		if err == nil {
			l.gwMAC = ifi.HardwareAddr
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *lab) lookup(t *testing.T, dst string, opt Options) (Route, error) {
	var r Route
	err := l.client.Do(func() error {
		var err error
		r, err = Lookup(context.Background(), netip.MustParseAddr(dst), opt)
		return err
	})
	return r, err
}

func TestLookup(t *testing.T) {
	l := newLab(t)
	zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	cases := []struct {
		name     string
		dst      string
		opt      Options
		src      string
		gateway  string // "" for directly connected
		iface    string
		mac      net.HardwareAddr
		loopback bool
	}{
		{"direct ipv4", "198.18.200.2", Options{}, "198.18.200.1", "", "rtc0", l.gwMAC, false},
		{"via gateway", "198.18.200.66", Options{}, "198.18.200.1", "198.18.200.2", "rtc0", l.gwMAC, false},
		{"direct ipv6", "2001:db8:200::2", Options{}, "2001:db8:200::1", "", "rtc0", l.gwMAC, false},
		{"loopback", "127.0.0.1", Options{}, "127.0.0.1", "", "lo", zero, true},
		{"own address goes over lo", "198.18.200.1", Options{}, "198.18.200.1", "", "lo", zero, true},
		{"source override", "198.18.200.2", Options{Src: netip.MustParseAddr("198.18.200.3")}, "198.18.200.3", "", "rtc0", l.gwMAC, false},
		{"interface override", "198.18.200.66", Options{Iface: "rtc0"}, "198.18.200.1", "198.18.200.2", "rtc0", l.gwMAC, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := l.lookup(t, tc.dst, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Src.String() != tc.src {
				t.Errorf("Src = %s, want %s", r.Src, tc.src)
			}
			if tc.gateway == "" {
				if !r.Direct() || r.NextHop() != r.Dst {
					t.Errorf("Gateway = %s, want directly connected", r.Gateway)
				}
			} else if r.Gateway.String() != tc.gateway || r.Direct() {
				t.Errorf("Gateway = %s, want %s", r.Gateway, tc.gateway)
			}
			if r.Iface.Name != tc.iface || r.Iface.Index == 0 || r.Iface.MTU == 0 {
				t.Errorf("Iface = %+v, want %s", r.Iface, tc.iface)
			}
			if r.NextHopMAC.String() != tc.mac.String() {
				t.Errorf("NextHopMAC = %s, want %s", r.NextHopMAC, tc.mac)
			}
			if r.Loopback != tc.loopback {
				t.Errorf("Loopback = %v, want %v", r.Loopback, tc.loopback)
			}
		})
	}
}

func TestLookupResolvesMissingNeighbour(t *testing.T) {
	l := newLab(t)
	for _, dst := range []string{"198.18.200.2", "2001:db8:200::2"} {
		t.Run(dst, func(t *testing.T) {
			l.client.IP(t, "neigh flush dev rtc0")
			var ifindex int
			var had bool
			if err := l.client.Do(func() error {
				ifi, err := net.InterfaceByName("rtc0")
				if err != nil {
					return err
				}
				ifindex = ifi.Index
				_, had, err = Neighbour(netip.MustParseAddr(dst), ifindex)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if had {
				t.Fatal("neighbour entry present after flush; test proves nothing")
			}
			r, err := l.lookup(t, dst, Options{ResolveTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if r.NextHopMAC.String() != l.gwMAC.String() {
				t.Fatalf("resolved %s, want %s", r.NextHopMAC, l.gwMAC)
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	l := newLab(t)
	cases := []struct {
		name string
		dst  string
		opt  Options
		want error
	}{
		{"absent neighbour", "198.18.200.5", Options{ResolveTimeout: 300 * time.Millisecond}, ErrNoNeighbour},
		{"no route", "198.18.201.1", Options{}, nil},
		{"unknown interface", "198.18.200.2", Options{Iface: "nosuch0"}, nil},
		{"source of other family", "198.18.200.2", Options{Src: netip.MustParseAddr("2001:db8:200::1")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := l.lookup(t, tc.dst, tc.opt)
			if err == nil {
				t.Fatal("lookup succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %s; the wait must be bounded", d)
			}
		})
	}
}

// TestResolveAll: present next hops resolve and absent ones are left out,
// and a batch of absent hops costs about one timeout, not one each.
func TestResolveAll(t *testing.T) {
	l := newLab(t)
	l.client.IP(t, "neigh flush dev rtc0")
	gw4, gw6 := netip.MustParseAddr("198.18.200.2"), netip.MustParseAddr("2001:db8:200::2")
	hops := []netip.Addr{gw4, gw6, netip.MustParseAddr("198.18.200.5")}
	for i := range 20 {
		hops = append(hops, netip.MustParseAddr(fmt.Sprintf("2001:db8:200::1:%x", i+1)))
	}
	const timeout = 300 * time.Millisecond
	var macs map[netip.Addr]net.HardwareAddr
	var took time.Duration
	if err := l.client.Do(func() error {
		ifi, err := net.InterfaceByName("rtc0")
		if err != nil {
			return err
		}
		start := time.Now()
		macs, err = ResolveAll(context.Background(), Interface{Index: ifi.Index, Name: ifi.Name, MAC: ifi.HardwareAddr}, hops, timeout)
		took = time.Since(start)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(macs) != 2 || macs[gw4].String() != l.gwMAC.String() || macs[gw6].String() != l.gwMAC.String() {
		t.Errorf("resolved %v, want only the gateway's two addresses at %s", macs, l.gwMAC)
	}
	// One by one the 21 absent hops would take 21 timeouts (6.3 s).
	if took > 10*timeout {
		t.Errorf("took %v for 21 absent hops, want about one timeout (%v)", took, timeout)
	}
}
