package services_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/data"
)

func TestParse(t *testing.T) {
	t.Parallel()
	in := "# comment\n" +
		"http\t80/tcp\t0.5\t# web\n" +
		"bad\t99999/tcp\t0.1\n" +
		"domain 53/udp 1/4\n" +
		"http\t80/tcp\t0.9\n" + // duplicate: first line wins
		"ddp\t1/ddp\t0.1\n" + // other protocol: ignored
		"unknown\t7/tcp\t0.001\n" +
		"plain\t9/tcp\n" +
		"x\t1/tcp\tlots\n" +
		"lonely\n"
	got, err := services.Parse(strings.NewReader(in), "svc")
	want := []services.Entry{
		{Name: "http", Port: 80, Proto: ports.TCP, Freq: 0.5},
		{Name: "domain", Port: 53, Proto: ports.UDP, Freq: 0.25},
		{Name: "unknown", Port: 7, Proto: ports.TCP, Freq: 0.001},
		{Name: "plain", Port: 9, Proto: ports.TCP},
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries:\n got %+v\nwant %+v", got, want)
	}
	var le *services.LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("want a LineError for line 3, got %v", err)
	}
	for _, w := range []string{
		`svc:3: port "99999": not a number from 0 to 65535`,
		`svc:9: frequency "lots": want a number from 0 to 1`,
		`svc:10: want "name port/proto [frequency]", got "lonely"`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestEmbeddedFileIsClean(t *testing.T) {
	t.Parallel()
	db, err := services.LoadSources(services.Source{Name: "scanfw-services", Data: data.Services})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p   ports.Proto
		min int
	}{{ports.TCP, 1000}, {ports.UDP, 200}} {
		if n := len(db.Ranked(c.p)); n < c.min {
			t.Errorf("%v: %d entries, want at least %d", c.p, n, c.min)
		}
		named := 0
		for _, r := range db.Ranked(c.p)[:c.min] {
			if db.Name(c.p, r.Port) != "" {
				named++
			}
		}
		if named < c.min*9/10 {
			t.Errorf("%v: only %d of the top %d are named", c.p, named, c.min)
		}
	}
	if got := db.Name(ports.TCP, 22); got != "ssh" {
		t.Errorf("tcp/22 = %q", got)
	}
}

// topIndependently ranks a services file the slow, obvious way: read every
// line, keep the first per port/proto, stable-sort by frequency.
func topIndependently(t *testing.T, b []byte, proto string, n int) []uint16 {
	type row struct {
		port uint16
		freq float64
	}
	var rows []row
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || strings.HasPrefix(f[0], "#") || seen[f[1]] {
			continue
		}
		seen[f[1]] = true
		port, pr, _ := strings.Cut(f[1], "/")
		if pr != proto {
			continue
		}
		p, _ := strconv.Atoi(port)
		fr, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatalf("independent parse: %v", err)
		}
		rows = append(rows, row{uint16(p), fr})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].freq > rows[j].freq })
	var out []uint16
	for _, r := range rows[:min(n, len(rows))] {
		out = append(out, r.port)
	}
	slices.Sort(out)
	return out
}

func TestTopMatchesIndependentCount(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"embedded": data.Services}
	if b, err := os.ReadFile("/usr/share/nmap/nmap-services"); err == nil {
		files["nmap"] = b
	}
	for name, b := range files {
		db, err := services.LoadSources(services.Source{Name: name, Data: b})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range []struct {
			p ports.Proto
			n int
		}{{ports.TCP, 100}, {ports.TCP, 1000}, {ports.UDP, 100}, {ports.UDP, 1000}, {ports.SCTP, 1000}} {
			got, want := db.Top(c.p, c.n), topIndependently(t, b, c.p.String(), c.n)
			if !slices.Equal(got, want) {
				t.Errorf("%s top %d %v: got %d ports, want %d; differ", name, c.n, c.p, len(got), len(want))
			}
		}
	}
}

func TestLoadSourcesOverrides(t *testing.T) {
	t.Parallel()
	first := services.Source{Name: "a", Data: []byte("one\t1/tcp\t0.5\ntwo\t2/tcp\t0.1\nthree\t3/tcp\t0.1\n")}
	second := services.Source{Name: "b", Data: []byte("deux\t2/tcp\t0.1\nfour\t4/tcp\t0.9\n")}
	db, err := services.LoadSources(first, second)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Name(ports.TCP, 2); got != "deux" {
		t.Errorf("tcp/2 = %q, want the later file's name", got)
	}
	// Ties break on the winning line: 3 (first file) before 2 (second).
	var order []uint16
	for _, r := range db.Ranked(ports.TCP) {
		order = append(order, r.Port)
	}
	if want := []uint16{4, 1, 3, 2}; !slices.Equal(order, want) {
		t.Errorf("rank order %v, want %v", order, want)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	db, err := services.LoadSources(services.Source{Name: "t", Data: []byte(
		"http\t80/tcp\t0.5\nhttp\t80/udp\t0.1\nhttps\t443/tcp\t0.4\nhttp-alt\t8080/tcp\t0.2\nHTTP\t81/tcp\t0.1\nunknown\t5/tcp\t0.1\n")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pattern string
		want    []services.PortProto
	}{
		{"http", []services.PortProto{{80, ports.TCP}, {80, ports.UDP}}},
		{"http*", []services.PortProto{{80, ports.TCP}, {80, ports.UDP}, {443, ports.TCP}, {8080, ports.TCP}}},
		{"http?", []services.PortProto{{443, ports.TCP}}},
		{"HTTP", []services.PortProto{{81, ports.TCP}}},
		{"unknown", nil},
		{"nope*", nil},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := db.Lookup(tc.pattern); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
