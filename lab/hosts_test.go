package lab

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestDescriptionConsistent checks the facts against each other, so a host added
// later cannot overlap another, leave the lab prefixes or forget its expectations.
func TestDescriptionConsistent(t *testing.T) {
	t.Parallel()
	seenAddr := map[netip.Addr]string{}
	seenNS := map[string]bool{SinkNS: true, WANRelayNS: true}
	for _, h := range All {
		if seenNS[h.NS] {
			t.Errorf("%s: namespace %s used twice", h.Name, h.NS)
		}
		seenNS[h.NS] = true
		if len(RootLink(h)) > 15 {
			t.Errorf("%s: link name %q longer than IFNAMSIZ-1", h.Name, RootLink(h))
		}
		if !inLab(h.Prefix) || !h.Prefix.Contains(h.Gateway) {
			t.Errorf("%s: prefix %s or gateway %s outside the lab", h.Name, h.Prefix, h.Gateway)
		}
		if h.V6.IsValid() && (!inLab(h.Prefix6) || !h.Prefix6.Contains(h.V6) || !h.Prefix6.Contains(h.Gateway6)) {
			t.Errorf("%s: IPv6 %s/%s outside its prefix %s", h.Name, h.V6, h.Gateway6, h.Prefix6)
		}
		for _, a := range h.Addrs() {
			if a == h.Gateway || (!h.Prefix.Contains(a) && !h.Prefix6.Contains(a)) {
				t.Errorf("%s: address %s not a host address of its prefixes", h.Name, a)
			}
			if other, dup := seenAddr[a]; dup {
				t.Errorf("%s: address %s also held by %s", h.Name, a, other)
			}
			seenAddr[a] = h.Name
		}
		ports := map[string]bool{}
		for _, p := range h.Ports {
			key := fmt.Sprint(p.Proto, "/", p.Port)
			if ports[key] {
				t.Errorf("%s: port %d/%s listed twice", h.Name, p.Port, p.Proto)
			}
			ports[key] = true
			if len(p.Expect) == 0 || p.Why == "" || (p.Proto != "tcp" && p.Proto != "udp" && p.Proto != "sctp") {
				t.Errorf("%s: port %d/%s lacks an expectation, a reason or a protocol", h.Name, p.Port, p.Proto)
			}
		}
	}
	for _, a := range []netip.Addr{sinkRoot4, sinkNS4, sinkRoot6, sinkNS6} {
		if !inLab(netip.PrefixFrom(a, a.BitLen())) {
			t.Errorf("sink address %s outside the lab", a)
		}
		if h, dup := seenAddr[a]; dup {
			t.Errorf("sink address %s also held by %s", a, h)
		}
	}
}

func TestZoneHostsCoversEveryAddress(t *testing.T) {
	t.Parallel()
	zone := zoneHosts()
	for _, h := range All {
		for _, a := range h.Addrs() {
			if !strings.Contains(zone, a.String()+" ") {
				t.Errorf("zone lacks %s (%s)", a, h.Name)
			}
		}
	}
}

func TestGuardRefusesOutsideTargets(t *testing.T) {
	t.Parallel()
	// These fail on the prefix check alone, whatever the routes are.
	for _, target := range []string{"10.0.0.1", "8.8.8.8", "198.20.0.1", "198.17.255.255", "198.18.0.0/14", "2001:db9::1", "::1", "", "lab"} {
		if err := Guard(target); err == nil {
			t.Errorf("Guard(%q) accepted a target outside the lab", target)
		}
	}
	if err := Guard(); err == nil {
		t.Error("Guard() with no target accepted")
	}
}

func TestInLab(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p    string
		want bool
	}{
		{"198.18.0.0/15", true}, {"198.19.255.255/32", true}, {"198.18.3.0/24", true},
		{"198.16.0.0/12", false}, {"198.20.0.1/32", false}, {"2001:db8:1::2/128", true},
		{"2001:db8::/31", false}, {"::ffff:198.18.1.2/128", false},
	}
	for _, c := range cases {
		if got := inLab(netip.MustParsePrefix(c.p)); got != c.want {
			t.Errorf("inLab(%s) = %v, want %v", c.p, got, c.want)
		}
	}
}
