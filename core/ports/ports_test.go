package ports_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/data"
)

// testDB is a small catalogue with known ranking, so expectations are
// worked out by hand rather than copied from the code under test.
func testDB(t *testing.T) *services.DB {
	t.Helper()
	db, err := services.LoadSources(services.Source{Name: "test", Data: []byte(`
ftp	21/tcp	0.2
ssh	22/tcp	0.3
telnet	23/tcp	0.1
domain	53/tcp	0.05
domain	53/udp	0.4
http	80/tcp	0.5
http	80/udp	0.01
https	443/tcp	0.4
snmp	161/udp	0.3
http-alt	8080/tcp	0.1
m3ua	2905/sctp	0
`)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSelect(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	tcp := []ports.Proto{ports.TCP}
	both := []ports.Proto{ports.TCP, ports.UDP}
	tests := []struct {
		name     string
		spec     string
		exclude  string
		top      int
		fast     bool
		scanned  []ports.Proto
		want     ports.List
		wantWarn string
		wantErr  string
	}{
		{name: "single", spec: "22", scanned: tcp, want: ports.List{TCP: []uint16{22}}},
		{name: "range and list", spec: "25,1-3,80", scanned: tcp, want: ports.List{TCP: []uint16{1, 2, 3, 25, 80}}},
		{name: "open start", spec: "-3", scanned: tcp, want: ports.List{TCP: []uint16{1, 2, 3}}},
		{name: "open end", spec: "65533-", scanned: tcp, want: ports.List{TCP: []uint16{65533, 65534, 65535}}},
		{name: "zero explicit", spec: "0-2", scanned: tcp, want: ports.List{TCP: []uint16{0, 1, 2}}},
		{name: "unprefixed to all scanned", spec: "53", scanned: both, want: ports.List{TCP: []uint16{53}, UDP: []uint16{53}}},
		{name: "prefixes", spec: "U:53,T:21-23,80", scanned: both, want: ports.List{TCP: []uint16{21, 22, 23, 80}, UDP: []uint16{53}}},
		{name: "udp prefix without udp scan", spec: "U:53,T:21-23,80", scanned: tcp,
			want: ports.List{TCP: []uint16{21, 22, 23, 80}}, wantWarn: `your ports include "U:" but you have not specified a UDP scan (-sU)`},
		{name: "service name", spec: "ssh,domain", scanned: both, want: ports.List{TCP: []uint16{22, 53}, UDP: []uint16{53}}},
		{name: "wildcard", spec: "http*", scanned: tcp, want: ports.List{TCP: []uint16{80, 443, 8080}}},
		{name: "brackets keep catalogued", spec: "[1-30],8000", scanned: tcp, want: ports.List{TCP: []uint16{21, 22, 23, 8000}}},
		{name: "duplicate warns", spec: "22,22,21", scanned: tcp, want: ports.List{TCP: []uint16{21, 22}}, wantWarn: "duplicate port"},
		{name: "top with -p", spec: "1-100", top: 2, scanned: tcp, want: ports.List{TCP: []uint16{22, 80}}},
		{name: "top per protocol", top: 2, scanned: both, want: ports.List{TCP: []uint16{80, 443}, UDP: []uint16{53, 161}}},
		{name: "exclusion before counting", top: 2, exclude: "80", scanned: tcp, want: ports.List{TCP: []uint16{22, 443}}},
		{name: "exclusion from -p", spec: "20-25", exclude: "T:21-22,U:53", scanned: tcp, want: ports.List{TCP: []uint16{20, 23, 24, 25}}},
		{name: "default is all when fewer than 1000", scanned: []ports.Proto{ports.SCTP}, want: ports.List{SCTP: []uint16{2905}}},
		{name: "fast", fast: true, scanned: []ports.Proto{ports.UDP}, want: ports.List{UDP: []uint16{53, 80, 161}}},
		{name: "ip protocols", spec: "1,6,17", scanned: []ports.Proto{ports.IP}, want: ports.List{IP: []uint16{1, 6, 17}}},

		{name: "backwards", spec: "22,5-3", scanned: tcp, wantErr: `column 4: port range 5-3 is backwards; did you mean 3-5?`},
		{name: "too big", spec: "1-70000", scanned: tcp, wantErr: `column 3: port 70000 out of range (0-65535)`},
		{name: "unknown name", spec: "22,nosuch", scanned: tcp, wantErr: `column 4: no service matching "nosuch" for the scanned protocols`},
		{name: "names are case sensitive", spec: "HTTP", scanned: tcp, wantErr: `column 1: no service matching "HTTP"`},
		{name: "empty item", spec: "22,,23", scanned: tcp, wantErr: `column 4: empty item`},
		{name: "junk after number", spec: "80a", scanned: tcp, wantErr: `column 3: unexpected 'a'`},
		{name: "bad prefix", spec: "X:80", scanned: tcp, wantErr: `column 1: unknown protocol prefix "X:"`},
		{name: "unclosed bracket", spec: "[1-10", scanned: tcp, wantErr: `column 1: '[' is not closed by ']'`},
		{name: "protocol number", spec: "300", scanned: []ports.Proto{ports.IP}, wantErr: `protocol numbers must be 0-255`},
		{name: "fast with -p", spec: "22", fast: true, scanned: tcp, wantErr: `-F (fast scan) cannot be combined with -p`},
		{name: "nothing left", spec: "22", exclude: "22", scanned: tcp, wantErr: `no ports left to scan`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := ports.Options{Top: tc.top, Fast: tc.fast, Scanned: tc.scanned, Catalog: db}
			var err error
			if tc.spec != "" {
				if o.Ports, err = ports.ParseSpec(tc.spec); err != nil {
					checkErr(t, err, tc.wantErr)
					return
				}
			}
			if tc.exclude != "" {
				if o.Exclude, err = ports.ParseSpec(tc.exclude); err != nil {
					t.Fatal(err)
				}
			}
			got, warn, err := ports.Select(o)
			if tc.wantErr != "" || err != nil {
				checkErr(t, err, tc.wantErr)
				return
			}
			for _, p := range ports.Protos {
				if !slices.Equal(got.Get(p), tc.want.Get(p)) {
					t.Errorf("%v: got %v, want %v", p, got.Get(p), tc.want.Get(p))
				}
			}
			if w := strings.Join(warn, "\n"); !strings.Contains(w, tc.wantWarn) || tc.wantWarn == "" && w != "" {
				t.Errorf("warnings %q, want %q", w, tc.wantWarn)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		t.Fatalf("unexpected error: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want it to contain %q", err, want)
	}
}

func TestAllPorts(t *testing.T) {
	t.Parallel()
	spec, err := ports.ParseSpec("-")
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := ports.Select(ports.Options{Ports: spec, Scanned: []ports.Proto{ports.TCP}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.TCP) != 65535 || l.TCP[0] != 1 || l.TCP[65534] != 65535 {
		t.Errorf("-p- gave %d ports from %d", len(l.TCP), l.TCP[0])
	}
	if got := ports.Ranges(l.TCP); got != "1-65535" {
		t.Errorf("Ranges = %q", got)
	}
}

func TestEmbeddedTopPorts(t *testing.T) {
	t.Parallel()
	db, err := services.LoadSources(services.Source{Name: "embedded", Data: data.Services})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fast bool
		top  int
		want int
	}{{want: 1000}, {fast: true, want: 100}, {top: 10, want: 10}} {
		l, _, err := ports.Select(ports.Options{Fast: tc.fast, Top: tc.top, Scanned: []ports.Proto{ports.TCP, ports.UDP}, Catalog: db})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.TCP) != tc.want || len(l.UDP) != tc.want {
			t.Errorf("top %d/fast %v: %d tcp, %d udp, want %d each", tc.top, tc.fast, len(l.TCP), len(l.UDP), tc.want)
		}
		if !slices.Contains(l.TCP, 80) || !slices.Contains(l.UDP, 53) {
			t.Errorf("top %d lacks tcp/80 or udp/53", tc.want)
		}
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []uint16
		want string
	}{
		{nil, ""},
		{[]uint16{80}, "80"},
		{[]uint16{1, 2, 3, 5, 7, 8}, "1-3,5,7-8"},
		{[]uint16{8080, 22, 21, 23}, "21-23,8080"},
		{[]uint16{0, 65535}, "0,65535"},
	}
	for _, tc := range tests {
		if got := ports.Ranges(tc.in); got != tc.want {
			t.Errorf("Ranges(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestShuffled(t *testing.T) {
	t.Parallel()
	var l ports.List
	for p := uint16(1); p <= 1024; p++ {
		l.TCP = append(l.TCP, p)
		l.UDP = append(l.UDP, p)
	}
	popular := []uint16{80, 23, 443, 21, 22, 25, 110, 445, 139, 143, 53, 135, 111, 993, 995, 587, 199, 113, 554, 256}
	s := l.Shuffled(rand.New(rand.NewPCG(1, 2)))
	// Every popular port in range sits in the prefix, in some order.
	front := slices.Clone(s.TCP[:len(popular)])
	slices.Sort(front)
	want := slices.Clone(popular)
	slices.Sort(want)
	if !slices.Equal(front, want) {
		t.Errorf("front of shuffled TCP = %v, want the popular ports %v", front, want)
	}
	if slices.IsSorted(s.UDP) || slices.Contains(s.UDP[:len(popular)], 80) && slices.Contains(s.UDP[:len(popular)], 443) && slices.Contains(s.UDP[:len(popular)], 22) {
		t.Errorf("UDP should be shuffled without the TCP cheat: %v", s.UDP[:20])
	}
	for _, p := range []ports.Proto{ports.TCP, ports.UDP} {
		got := slices.Clone(s.Get(p))
		slices.Sort(got)
		if !slices.Equal(got, l.Get(p)) {
			t.Errorf("%v: shuffle lost or duplicated ports", p)
		}
	}
	again := l.Shuffled(rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(again.TCP, s.TCP) {
		t.Error("same seed gave a different order")
	}
	if !slices.IsSorted(l.TCP) {
		t.Error("Shuffled modified its receiver")
	}
}
