package nmapdb

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// testProbes is a probe file written for these tests; the banners below
// are made up to exercise each feature.
const testProbes = `Exclude T:9100
Probe TCP NULL q||
totalwaitms 6000
tcpwrappedms 3000
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w._-]+)[ -]Debian-(\S+)\r?\n| p/OpenSSH/ v/$2 Debian $3/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a
match bin m|^\xff\xfe\x00(....)(..)| p/Bin/ v/$I(1,">")/ i/le $I(2,"<")/
match utf16 m|^U16:((?:.\0)+)$|s p/$P(1)/
match subst m|^SUBST ([\w.]+)$| p/S/ v/$SUBST(1,"_",".")/
match cpeenc m|^CPE (.+)$| p/C/ cpe:/a:vendor:$1/
match trim m|^TRIM (.*)$| p/Trim $1/ i/$1/
match unset m|^UNSET(x)?$| p/Unset/ v/$1/
match np m|^NP (.*)$|s i/$1/
match long m|^LONG (.*)$| p/$1/
match ssl/imap m|^\* OK IMAPS| p/Imapd/
softmatch ftp m|^220 |
match backtrack m|^(a+)+$| p/never/

Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
rarity 1
ports 80
sslports 443
match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: Acme/([\d.]+)|s p/Acme httpd/ v/$1/
softmatch http m|^HTTP/1\.[01] \d\d\d|
match ftp m|^220 vsFTPd ([\d.]+)| p/vsftpd/ v/$1/

Probe TCP Fallbacker q|X\r\n|
fallback GetRequest
match only m|^only-here$|

Probe UDP DNS q|\0\x01|
rarity 2
match dns m|^\0\x01\x81\x80| p/DNSd/
`

func newTest(t *testing.T, files map[string]string, settings string) *Matcher {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	m := New(Options{Builtin: []byte(testProbes), NmapFile: filepath.Join(dir, "absent")})
	if settings == "" {
		settings = "{}"
	}
	diags, err := m.Configure(context.Background(), sdk.Settings(settings))
	if err != nil || len(diags) > 0 {
		t.Fatalf("configure: %v %v", err, diags)
	}
	return m
}

func TestMatch(t *testing.T) {
	t.Parallel()
	m := newTest(t, nil, "")
	tests := []struct {
		name     string
		proto    sdk.Proto
		probe    string
		tunnel   string
		response string
		hard     bool
		soft     bool
		want     sdk.Service
		line     int
	}{
		{"openssh with cpe", sdk.ProtoTCP, "NULL", "", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", true, false,
			sdk.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0", OSType: "Linux",
				CPE: []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"}}, 5},
		{"binary and $I", sdk.ProtoTCP, "NULL", "", "\xff\xfe\x00\x00\x01\x00\x02\x34\x12", true, false,
			sdk.Service{Name: "bin", Product: "Bin", Version: "65538", ExtraInfo: "le 4660"}, 6},
		{"$P drops non-printables", sdk.ProtoTCP, "NULL", "", "U16:S\x00r\x00v\x00\n", true, false,
			sdk.Service{Name: "utf16", Product: "Srv"}, 7},
		{"$SUBST", sdk.ProtoTCP, "NULL", "", "SUBST 1_2_3", true, false,
			sdk.Service{Name: "subst", Product: "S", Version: "1.2.3"}, 8},
		{"cpe lower-cased and encoded", sdk.ProtoTCP, "NULL", "", "CPE My Prod:2/x", true, false,
			sdk.Service{Name: "cpeenc", Product: "C", CPE: []string{"cpe:/a:vendor:my_prod%3a2%2fx"}}, 9},
		{"trailing spaces and commas trimmed", sdk.ProtoTCP, "NULL", "", "TRIM a, ,  ", true, false,
			sdk.Service{Name: "trim", Product: "Trim a", ExtraInfo: "a"}, 10},
		{"unset group blanks field", sdk.ProtoTCP, "NULL", "", "UNSET", true, false,
			sdk.Service{Name: "unset", Product: "Unset"}, 11},
		{"non-printable becomes dot", sdk.ProtoTCP, "NULL", "", "NP a\x01b\xffc", true, false,
			sdk.Service{Name: "np", ExtraInfo: "a.b.c"}, 12},
		{"too long field blanked", sdk.ProtoTCP, "NULL", "", "LONG " + strings.Repeat("x", 80), true, false,
			sdk.Service{Name: "long"}, 13},
		{"ssl/ prefix sets tunnel", sdk.ProtoTCP, "NULL", "", "* OK IMAPS ready", true, false,
			sdk.Service{Name: "imap", Product: "Imapd", Tunnel: "ssl"}, 14},
		{"dollar before final newline", sdk.ProtoTCP, "NULL", "", "SUBST 7_1\n", true, false,
			sdk.Service{Name: "subst", Product: "S", Version: "7.1"}, 8},
		{"own rule first", sdk.ProtoTCP, "GetRequest", "ssl", "HTTP/1.1 200 OK\r\nServer: Acme/1.2\r\n\r\n", true, false,
			sdk.Service{Name: "http", Product: "Acme httpd", Version: "1.2", Tunnel: "ssl"}, 22},
		{"softmatch when nothing hard", sdk.ProtoTCP, "GetRequest", "", "HTTP/1.1 404 Not Found\r\n\r\n", false, true,
			sdk.Service{Name: "http"}, 23},
		{"hard after soft wins", sdk.ProtoTCP, "NULL", "", "220 vsFTPd 3.0.3", false, true,
			sdk.Service{Name: "ftp"}, 15},
		{"probe's hard rule after NULL's softmatch", sdk.ProtoTCP, "GetRequest", "", "220 vsFTPd 3.0.3", true, false,
			sdk.Service{Name: "ftp", Product: "vsftpd", Version: "3.0.3"}, 24},
		{"fallback then NULL", sdk.ProtoTCP, "Fallbacker", "", "SSH-2.0-OpenSSH_8.4p1 Debian-5\n", true, false,
			sdk.Service{Name: "ssh", Product: "OpenSSH", Version: "8.4p1 Debian 5", ExtraInfo: "protocol 2.0", OSType: "Linux",
				CPE: []string{"cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel"}}, 5},
		{"fallback probe's rules", sdk.ProtoTCP, "Fallbacker", "", "HTTP/1.0 200 OK\r\nServer: Acme/3\r\n", true, false,
			sdk.Service{Name: "http", Product: "Acme httpd", Version: "3"}, 22},
		{"UDP has no NULL fallback", sdk.ProtoUDP, "DNS", "", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", false, false, sdk.Service{}, 0},
		{"UDP binary", sdk.ProtoUDP, "DNS", "", "\x00\x01\x81\x80rest", true, false, sdk.Service{Name: "dns", Product: "DNSd"}, 32},
		{"unknown probe", sdk.ProtoTCP, "Nope", "", "SSH-2.0-x\n", false, false, sdk.Service{}, 0},
	}
	items := make([]sdk.MatchItem, len(tests))
	for i, tc := range tests {
		items[i] = sdk.MatchItem{ID: uint64(100 + i), Proto: tc.proto, Port: 1, Probe: tc.probe, Response: []byte(tc.response), Tunnel: tc.tunnel}
	}
	res, err := m.Match(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := res[i]
			if r.ID != uint64(100+i) {
				t.Fatalf("result %d has ID %d", i, r.ID)
			}
			if r.Hard != tc.hard || r.Soft != tc.soft {
				t.Fatalf("hard=%v soft=%v (%s), want %v %v", r.Hard, r.Soft, r.Rule, tc.hard, tc.soft)
			}
			if !tc.hard && !tc.soft {
				return
			}
			tc.want.Method, tc.want.Conf = "probed", 10
			if !reflect.DeepEqual(r.Service, tc.want) {
				t.Errorf("service\n got %+v\nwant %+v", r.Service, tc.want)
			}
			if want := BuiltinFile + ":" + itoa(tc.line); r.Rule != want {
				t.Errorf("rule %s, want %s", r.Rule, want)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestCatalogue(t *testing.T) {
	t.Parallel()
	m := newTest(t, nil, "")
	cat, err := m.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cat.ExcludedPorts != "T:9100" || len(cat.Probes) != 4 {
		t.Fatalf("catalogue %+v", cat)
	}
	get := cat.Probes[1]
	want := sdk.ServiceProbe{Name: "GetRequest", Proto: sdk.ProtoTCP, Payload: []byte("GET / HTTP/1.0\r\n\r\n"), Ports: "80", SSLPorts: "443",
		Rarity: 1, TotalWait: 5 * time.Second, TCPWrapped: 2 * time.Second, Services: []string{"http", "ftp"}}
	if !reflect.DeepEqual(get, want) {
		t.Errorf("GetRequest\n got %+v\nwant %+v", get, want)
	}
	null := cat.Probes[0]
	if null.TotalWait != 6*time.Second || null.TCPWrapped != 3*time.Second || null.Rarity != 5 || len(null.Payload) != 0 {
		t.Errorf("NULL %+v", null)
	}
	if fb := cat.Probes[2]; !reflect.DeepEqual(fb.Fallback, []string{"GetRequest"}) {
		t.Errorf("fallback %v", fb.Fallback)
	}
	if dns := cat.Probes[3]; dns.Proto != sdk.ProtoUDP || string(dns.Payload) != "\x00\x01" {
		t.Errorf("DNS %+v", dns)
	}
}

// TestMergeOrder: a probe defined in two files keeps the first file's
// payload and tries the first file's rules first.
func TestMergeOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	os.WriteFile(first, []byte("Probe TCP NULL q||\nmatch first m|^SSH-|\n"), 0o644)
	m := New(Options{Builtin: []byte(testProbes), NmapFile: filepath.Join(dir, "absent")})
	settings, _ := json.Marshal(Settings{Files: []string{first, BuiltinFile}})
	if _, err := m.Configure(context.Background(), settings); err != nil {
		t.Fatal(err)
	}
	res, _ := m.Match(context.Background(), []sdk.MatchItem{{Proto: sdk.ProtoTCP, Probe: "NULL", Response: []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")}})
	if res[0].Service.Name != "first" || res[0].Rule != first+":2" {
		t.Errorf("got %+v", res[0])
	}
}

func TestBadLinesAreWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "bad")
	os.WriteFile(p, []byte("Probe TCP NULL q||\nmatch a m|(unclosed|\nmatch b m|^ok|\nbogus\n"), 0o644)
	m := New(Options{NmapFile: filepath.Join(dir, "absent")})
	settings, _ := json.Marshal(Settings{Files: []string{p}})
	diags, err := m.Configure(context.Background(), settings)
	if err != nil || len(diags) != 2 || !strings.Contains(diags[0].Detail+diags[1].Detail, p+":2: regex") {
		t.Fatalf("diags %+v err %v", diags, err)
	}
	res, _ := m.Match(context.Background(), []sdk.MatchItem{{Proto: sdk.ProtoTCP, Probe: "NULL", Response: []byte("ok")}})
	if !res[0].Hard || res[0].Service.Name != "b" {
		t.Errorf("rule after the bad ones lost: %+v", res[0])
	}
}

// TestHostile: a 1 MB banner and a banner built to make a nested
// quantifier backtrack exponentially both return quickly without a match.
func TestHostile(t *testing.T) {
	t.Parallel()
	m := newTest(t, nil, `{"match_timeout_ms": 50}`)
	huge := make([]byte, 1<<20)
	for i := range huge {
		huge[i] = byte(i*7 + 3)
	}
	items := []sdk.MatchItem{
		{ID: 1, Proto: sdk.ProtoTCP, Probe: "NULL", Response: huge},
		{ID: 2, Proto: sdk.ProtoTCP, Probe: "NULL", Response: []byte(strings.Repeat("a", 64) + "!")},
	}
	start := time.Now()
	res, err := m.Match(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("hostile batch took %v", d)
	}
	for _, r := range res {
		if r.Hard || r.Soft {
			t.Errorf("item %d matched %s", r.ID, r.Rule)
		}
	}
}
