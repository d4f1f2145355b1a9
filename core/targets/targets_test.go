package targets_test

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scanfw/scanfw/core/targets"
)

func collect(t *testing.T, exprs, exclude []string, opt targets.Options) ([]string, []string) {
	t.Helper()
	in, err := targets.ParseList(exprs)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := targets.ParseList(exclude)
	if err != nil {
		t.Fatal(err)
	}
	it := targets.NewIterator(in, ex, opt)
	var got, fails []string
	for range 100000 {
		tg, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return got, fails
		}
		var re *targets.ResolveError
		if errors.As(err, &re) {
			fails = append(fails, re.Name)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := tg.Addr.String()
		if tg.Name != "" {
			s = tg.Name + "=" + s
		}
		got = append(got, s)
	}
	t.Fatal("iteration did not end")
	return nil, nil
}

func fakeDNS(_ context.Context, host string) ([]netip.Addr, error) {
	switch host {
	case "two.test":
		return []netip.Addr{netip.MustParseAddr("198.18.5.9"), netip.MustParseAddr("2001:db8::9"), netip.MustParseAddr("198.18.5.10")}, nil
	case "v6.test":
		return []netip.Addr{netip.MustParseAddr("2001:db8::1")}, nil
	}
	return nil, errors.New("NXDOMAIN")
}

func TestIterate(t *testing.T) {
	t.Parallel()
	dns := targets.Options{Resolve: fakeDNS}
	tests := []struct {
		name    string
		exprs   []string
		exclude []string
		opt     targets.Options
		want    string
		fails   string
	}{
		{name: "single", exprs: []string{"198.18.0.1"}, want: "198.18.0.1"},
		{name: "cidr keeps network and broadcast", exprs: []string{"198.18.0.0/30"}, want: "198.18.0.0 198.18.0.1 198.18.0.2 198.18.0.3"},
		{name: "cidr from inside", exprs: []string{"198.18.0.6/31"}, want: "198.18.0.6 198.18.0.7"},
		{name: "list sorted and deduplicated", exprs: []string{"198.18.1.5,1,3-4,1"}, want: "198.18.1.1 198.18.1.3 198.18.1.4 198.18.1.5"},
		{name: "octet odometer", exprs: []string{"198.18.1-2.7-8"}, want: "198.18.1.7 198.18.1.8 198.18.2.7 198.18.2.8"},
		{name: "ranges with mask", exprs: []string{"198.18.1-2.0/31"}, want: "198.18.1.0 198.18.1.1 198.18.2.0 198.18.2.1"},
		{name: "expressions in given order", exprs: []string{"198.18.1.3", "198.18.1.1"}, want: "198.18.1.3 198.18.1.1"},
		{name: "ipv6 cidr", exprs: []string{"2001:db8::/126"}, want: "2001:db8:: 2001:db8::1 2001:db8::2 2001:db8::3"},
		{name: "bracketed ipv6", exprs: []string{"[2001:db8::1]"}, want: "2001:db8::1"},
		{name: "exclusion", exprs: []string{"198.18.1.0/29"}, exclude: []string{"198.18.1.1", "198.18.1.4-6"}, want: "198.18.1.0 198.18.1.2 198.18.1.3 198.18.1.7"},
		{name: "exclude v6", exprs: []string{"2001:db8::/126"}, exclude: []string{"2001:db8::2/127"}, want: "2001:db8:: 2001:db8::1"},
		{name: "hostname first address", exprs: []string{"two.test"}, opt: dns, want: "two.test=198.18.5.9"},
		{name: "resolve all", exprs: []string{"two.test"}, opt: targets.Options{Resolve: fakeDNS, ResolveAll: true},
			want: "two.test=198.18.5.9 two.test=2001:db8::9 two.test=198.18.5.10"},
		{name: "hostname with mask", exprs: []string{"two.test/30"}, opt: dns, want: "198.18.5.8 two.test=198.18.5.9 198.18.5.10 198.18.5.11"},
		{name: "family 6 picks v6", exprs: []string{"two.test", "198.18.0.1"}, opt: targets.Options{Resolve: fakeDNS, Family: 6},
			want: "two.test=2001:db8::9", fails: "198.18.0.1"},
		{name: "failure goes on", exprs: []string{"nx.test", "198.18.0.1", "v6.test"}, opt: targets.Options{Resolve: fakeDNS, Family: 4},
			want: "198.18.0.1", fails: "nx.test v6.test"},
		{name: "excluded hostname", exprs: []string{"198.18.5.8/30"}, exclude: []string{"two.test"}, opt: dns, want: "198.18.5.8 198.18.5.11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, fails := collect(t, tc.exprs, tc.exclude, tc.opt)
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
			if f := strings.Join(fails, " "); f != tc.fails {
				t.Errorf("failures %q, want %q", f, tc.fails)
			}
		})
	}
}

func TestIPv6CrossesWord(t *testing.T) {
	t.Parallel()
	got, _ := collect(t, []string{"2001:db8:0:1::/126", "2001:db8:0:1:ffff:ffff:ffff:fffe/127", "2001:db8::ffff:ffff:ffff:ffff/124"}, nil, targets.Options{})
	want := []string{"2001:db8:0:1::", "2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1::3",
		"2001:db8:0:1:ffff:ffff:ffff:fffe", "2001:db8:0:1:ffff:ffff:ffff:ffff"}
	if !slices.Equal(got[:6], want) {
		t.Errorf("got %v", got[:6])
	}
	if len(got) != 6+16 || got[6] != "2001:db8::ffff:ffff:ffff:fff0" || got[21] != "2001:db8::ffff:ffff:ffff:ffff" {
		t.Errorf("/124 gave %d addresses %v", len(got)-6, got[6:])
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "column 1: empty target"},
		{"198.18.1.300", `column 10: octet 300 is larger than 255`},
		{"198.18.1.5-3", `column 10: octet range 5-3 is backwards`},
		{"198.18.1", `column 1: an IPv4 address has 4 octets, got 3`},
		{"198.18.1.1,,2", `column 12: empty item in octet list`},
		{"198.18..1", `column 8: empty octet`},
		{"198.18.0.0/33", `column 12: IPv4 netmask /33 is larger than /32`},
		{"198.18.1.1/0x", `column 12: netmask "0x" is not a number`},
		{"2001:db8::/129", `column 12: IPv6 netmask /129 is larger than /128`},
		{"2001:db8::g", `column 1: not an IPv6 address: "2001:db8::g"`},
		{"[2001:db8::1", `column 1: '[' is not closed by ']'`},
		{"[198.18.0.1]", `column 2: brackets are only for IPv6 addresses`},
		{"bad!host", `column 4: '!' is not valid in a hostname`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := targets.Parse(tc.in)
			var pe *targets.ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
			}
		})
	}
	for _, ok := range []string{"198.18.1.01", "198.18.-.1", "198.18.1.*", "localhost/24", "fe80::1%lo", "a_b.example", "[2001:db8::]/120"} {
		if _, err := targets.Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	exprs, err := targets.ParseList([]string{"10.0.0.0/8", "198.18.1-2.1,3", "2001:db8::/64", "two.test"})
	if err != nil {
		t.Fatal(err)
	}
	n, hosts := targets.Count(exprs)
	if want := "18446744073726328836"; n.String() != want || hosts != 1 { // 2^24 + 4 + 2^64
		t.Errorf("Count = %s, %d; want %s, 1", n, hosts, want)
	}
}

func TestReadList(t *testing.T) {
	t.Parallel()
	in := "# targets\n198.18.0.1 198.18.0.2\t# two\n\n  2001:db8::1\n198.18.0.300\nhost.test\n"
	exprs, err := targets.ReadList(strings.NewReader(in), "list.txt")
	var texts []string
	for _, e := range exprs {
		texts = append(texts, e.Text)
	}
	if want := []string{"198.18.0.1", "198.18.0.2", "2001:db8::1", "host.test"}; !slices.Equal(texts, want) {
		t.Errorf("got %v, want %v", texts, want)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "list.txt:5: ") {
		t.Errorf("error %v, want it to name list.txt:5", err)
	}
}

func TestExcludeBigRangeIsCheap(t *testing.T) {
	t.Parallel()
	in, _ := targets.ParseList([]string{"10.0.0.0/8"})
	ex, _ := targets.ParseExclude("10.0.0.0/16,10.1.0.0/16")
	it := targets.NewIterator(in, ex, targets.Options{})
	tg, err := it.Next(context.Background())
	if err != nil || tg.Addr != netip.MustParseAddr("10.2.0.0") {
		t.Fatalf("first after exclusion = %v, %v", tg.Addr, err)
	}
}

func TestNoAllocationPerAddress(t *testing.T) {
	in, _ := targets.ParseList([]string{"10.0.0.0/8", "2001:db8::/32"})
	ex, _ := targets.ParseExclude("10.0.0.0/16")
	it := targets.NewIterator(in, ex, targets.Options{})
	ctx := context.Background()
	if _, err := it.Next(ctx); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for range 1000 {
			if _, err := it.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 1000 addresses", allocs)
	}
	in6, _ := targets.ParseList([]string{"2001:db8::/32"})
	it6 := targets.NewIterator(in6, nil, targets.Options{})
	if allocs := testing.AllocsPerRun(100, func() { it6.Next(ctx) }); allocs != 0 {
		t.Errorf("IPv6: %v allocations per address", allocs)
	}
}

// TestOrderMatchesNmap lists expressions with nmap -sL -n (no packets, no
// DNS) and compares the order.
func TestOrderMatchesNmap(t *testing.T) {
	t.Parallel()
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	report := regexp.MustCompile(`(?m)^Nmap scan report for (\S+)$`)
	for _, tc := range []struct {
		exprs   []string
		exclude string
		six     bool
	}{
		{exprs: []string{"198.18.1.5,1,3-4", "198.18.0.0/30"}},
		{exprs: []string{"198.18.1-2.0/31", "198.18.-.1"}},
		{exprs: []string{"198.18.3.1-3", "198.18.3.*"}, exclude: "198.18.3.2,198.18.3.100-200"},
		{exprs: []string{"2001:db8::/126", "2001:db8::ff"}, six: true},
	} {
		args := []string{"-sL", "-n"}
		if tc.six {
			args = append(args, "-6")
		}
		if tc.exclude != "" {
			args = append(args, "--exclude", tc.exclude)
		}
		out, err := exec.Command(nmap, append(args, tc.exprs...)...).Output()
		if err != nil {
			t.Fatalf("nmap %v: %v", tc.exprs, err)
		}
		var want []string
		for _, m := range report.FindAllStringSubmatch(string(out), -1) {
			want = append(want, m[1])
		}
		var exclude []string
		if tc.exclude != "" {
			exclude = strings.Split(tc.exclude, ",")
		}
		got, _ := collect(t, tc.exprs, exclude, targets.Options{})
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%v: got %d addresses, nmap %d\n got %v\nnmap %v", tc.exprs, len(got), len(want), got, want)
		}
	}
}

func TestSample(t *testing.T) {
	for _, c := range []struct {
		expr, want string // want "" for none
	}{
		{"198.18.1.2", "198.18.1.2"},
		{"198.18.0.0/16", "198.18.0.0"},
		{"198.18.3-5.10-20", "198.18.3.10"},
		{"198.18.1.7,3,5", "198.18.1.3"},
		{"2001:db8::1/120", "2001:db8::"},
		{"fe80::1%lo", "fe80::1%lo"},
		{"scanme.example", ""},
	} {
		t.Run(c.expr, func(t *testing.T) {
			e, err := targets.Parse(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			a, ok := e.Sample()
			if got := map[bool]string{true: a.String(), false: ""}[ok]; got != c.want {
				t.Errorf("Sample = %q, want %q", got, c.want)
			}
		})
	}
}
