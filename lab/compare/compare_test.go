package compare

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *Run {
	t.Helper()
	r, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustParseFile(t *testing.T, path string) *Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A result in the style of a scanner that folds ports without per-port lists.
const folded = `<?xml version="1.0"?>
<nmaprun scanner="scanfw" args="scanfw -sT -p 20-25 198.18.2.2">
<scaninfo type="connect" protocol="tcp" numservices="6" services="20-25"/>
<host><status state="up" reason="user-set"/>
<address addr="198.18.2.2" addrtype="ipv4"/>
<ports><extraports state="closed" count="5"><extrareasons reason="conn-refused" count="5"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/></port>
</ports></host></nmaprun>`

const twoGroups = `<nmaprun scanner="scanfw">
<scaninfo type="connect" protocol="tcp" services="1-4"/>
<host><status state="up"/><address addr="198.18.2.2" addrtype="ipv4"/>
<ports><extraports state="closed" count="2"/><extraports state="filtered" count="1"/>
<port protocol="tcp" portid="1"><state state="open"/></port>
</ports></host></nmaprun>`

func TestPortStates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  *Run
		want map[Key]string
	}{
		{
			name: "folded ports come from scaninfo when one group leaves no doubt",
			run:  mustParse(t, folded),
			want: map[Key]string{
				{"tcp", 20}: "closed", {"tcp", 21}: "closed", {"tcp", 22}: "open",
				{"tcp", 23}: "closed", {"tcp", 24}: "closed", {"tcp", 25}: "closed",
			},
		},
		{
			name: "two groups without port lists are ambiguous",
			run:  mustParse(t, twoGroups),
			want: map[Key]string{
				{"tcp", 1}: "open", {"tcp", 2}: Ambiguous, {"tcp", 3}: Ambiguous, {"tcp", 4}: Ambiguous,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.run.PortStates(&c.run.Hosts[0])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// The fixtures are real nmap 7.93 output against the lab's fw host.
func TestPortStatesNmapFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		file  string
		total int
		check map[Key]string
	}{
		{
			name: "connect scan with extrareasons port lists", file: "testdata/nmap-fw-st.xml", total: 105,
			check: map[Key]string{{"tcp", 1}: "closed", {"tcp", 80}: "open", {"tcp", 113}: "closed",
				{"tcp", 1000}: "closed", {"tcp", 2000}: "filtered", {"tcp", 3000}: "filtered", {"tcp", 8080}: "open"},
		},
		{
			name: "tcp and udp folded into one group", file: "testdata/nmap-fw-tu.xml", total: 202,
			check: map[Key]string{{"tcp", 7}: "closed", {"tcp", 80}: "open", {"udp", 4000}: "closed", {"udp", 9}: "open|filtered"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustParseFile(t, c.file)
			if len(r.Hosts) != 1 || r.Hosts[0].Addr() != "198.18.2.2" {
				t.Fatalf("hosts: %+v", r.Hosts)
			}
			got, err := r.PortStates(&r.Hosts[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.total {
				t.Errorf("%d ports, want %d", len(got), c.total)
			}
			for k, want := range c.check {
				if got[k] != want {
					t.Errorf("%v: got %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	nmap := mustParseFile(t, "testdata/nmap-fw-st.xml")
	same := mustParseFile(t, "testdata/nmap-fw-st.xml")
	changed := mustParseFile(t, "testdata/nmap-fw-st.xml")
	for i, p := range changed.Hosts[0].Ports.Port {
		if p.PortID == 2000 {
			changed.Hosts[0].Ports.Port[i].State.State = "closed"
		}
	}
	down := mustParseFile(t, "testdata/nmap-fw-st.xml")
	down.Hosts[0].Status.State = "down"
	cases := []struct {
		name string
		b    *Run
		want []Difference
	}{
		{name: "identical results agree", b: same},
		{name: "one port differs", b: changed, want: []Difference{{Host: "198.18.2.2", Key: Key{"tcp", 2000}, A: "filtered", B: "closed"}}},
		{name: "host status differs", b: down, want: []Difference{{Host: "198.18.2.2", A: "up", B: "down"}}},
		{name: "host missing", b: &Run{}, want: []Difference{{Host: "198.18.2.2", A: "up"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Diff(nmap, c.b)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDiffFoldedAgainstListed(t *testing.T) {
	t.Parallel()
	listed := mustParse(t, strings.Replace(folded,
		`<extraports state="closed" count="5"><extrareasons reason="conn-refused" count="5"/></extraports>`,
		`<extraports state="closed" count="5"><extrareasons reason="conn-refused" count="5" proto="tcp" ports="20-21,23-25"/></extraports>`, 1))
	if d := Diff(mustParse(t, folded), listed); len(d) != 0 {
		t.Errorf("same states folded two ways differ: %s", Format("a", "b", d))
	}
	if d := Diff(mustParse(t, twoGroups), mustParse(t, twoGroups)); len(d) != 3 {
		t.Errorf("ambiguous ports must not count as agreement: %v", d)
	}
}

func TestParsePortList(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "7", want: []int{7}},
		{in: "9,1-3", want: []int{1, 2, 3, 9}},
		{in: "3-1", wantErr: true},
		{in: "70000", wantErr: true},
		{in: "a-b", wantErr: true},
	}
	for _, c := range cases {
		got, err := ParsePortList(c.in)
		if (err != nil) != c.wantErr || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePortList(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	if got := Format("scanfw", "nmap", nil); got != "scanfw and nmap agree" {
		t.Errorf("got %q", got)
	}
	got := Format("scanfw", "nmap", []Difference{{Host: "198.18.2.2", Key: Key{"udp", 9}, A: "open", B: ""}})
	if !strings.Contains(got, "198.18.2.2 9/udp: open vs (absent)") {
		t.Errorf("got %q", got)
	}
}

// TestPortReasons reads reasons from a real Nmap file: listed ports their
// own, folded ones their extrareasons group's.
func TestPortReasons(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/nmap-fw-st.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := run.PortReasons(&run.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[Key]string{{"tcp", 1}: "conn-refused", {"tcp", 1000}: "conn-refused",
		{"tcp", 80}: "syn-ack", {"tcp", 2000}: "no-response", {"tcp", 3000}: "host-unreach"} {
		if got[k] != want {
			t.Errorf("%v: reason %q, want %q", k, got[k], want)
		}
	}
}

// TestDiffReasons: a different reason is a difference, except protocol 1
// of an IP protocol scan between the reasons Nmap races to.
func TestDiffReasons(t *testing.T) {
	t.Parallel()
	doc := func(r1, r6 string) *Run {
		x := `<nmaprun><host><address addr="127.0.0.1" addrtype="ipv4"/><ports>` +
			`<port protocol="ip" portid="1"><state state="open" reason="` + r1 + `"/></port>` +
			`<port protocol="ip" portid="6"><state state="open" reason="` + r6 + `"/></port>` +
			`</ports></host></nmaprun>`
		r, err := Parse(strings.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name           string
		a1, a6, b1, b6 string
		want           int
	}{
		{"equal", "echo-reply", "proto-response", "echo-reply", "proto-response", 0},
		{"protocol 1 race", "echo-reply", "proto-response", "unknown-response", "proto-response", 0},
		{"protocol 1 outside the race", "admin-prohibited", "proto-response", "echo-reply", "proto-response", 1},
		{"protocol 6", "echo-reply", "proto-response", "echo-reply", "no-response", 1},
	} {
		d, err := DiffReasons(doc(tc.a1, tc.a6), doc(tc.b1, tc.b6))
		if err != nil || len(d) != tc.want {
			t.Errorf("%s: %v %v, want %d differences", tc.name, d, err, tc.want)
		}
	}
}

// TestProtocolScanFolded: Nmap folds -sO protocols under proto="n/a"; they
// key as "ip", as listed ones do.
func TestProtocolScanFolded(t *testing.T) {
	t.Parallel()
	x := `<nmaprun><scaninfo type="ipproto" protocol="ip" numservices="4" services="1-4"/><host><address addr="127.0.0.1" addrtype="ipv4"/><ports>` +
		`<extraports state="closed" count="3"><extrareasons reason="proto-unreach" count="3" proto="n/a" ports="2-4"/></extraports>` +
		`<port protocol="ip" portid="1"><state state="open" reason="echo-reply"/></port></ports></host></nmaprun>`
	r, err := Parse(strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.PortStates(&r.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.PortReasons(&r.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[int]string{1: "open", 2: "closed", 4: "closed"} {
		if st[Key{"ip", p}] != want {
			t.Errorf("protocol %d: %q, want %q (states %v)", p, st[Key{"ip", p}], want, st)
		}
	}
	if rs[Key{"ip", 3}] != "proto-unreach" || rs[Key{"ip", 1}] != "echo-reply" {
		t.Errorf("reasons %v", rs)
	}
}
