package probefile

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

const nmapFile = "/usr/share/nmap/nmap-service-probes"

// TestNmapFile parses the installed Nmap file and checks the parser's counts
// against a plain line scan, so a line silently dropped or misattributed
// shows up as a count mismatch.
func TestNmapFile(t *testing.T) {
	data, err := os.ReadFile(nmapFile)
	if err != nil {
		t.Skipf("no installed Nmap probe file: %v", err)
	}
	f, errs := Parse(nmapFile, data)
	for _, e := range errs {
		t.Error(e)
	}
	var probes, tcp, matches, soft, fallbacks int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<16)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Probe "):
			probes++
			if strings.HasPrefix(line, "Probe TCP ") {
				tcp++
			}
		case strings.HasPrefix(line, "match "):
			matches++
		case strings.HasPrefix(line, "softmatch "):
			soft++
		case strings.HasPrefix(line, "fallback "):
			fallbacks++
		}
	}
	var gotTCP, gotMatch, gotSoft, gotFallback int
	for _, p := range f.Probes {
		if p.Proto == "TCP" {
			gotTCP++
		}
		if p.Fallback != nil {
			gotFallback++
		}
		for _, r := range p.Rules {
			if r.Soft {
				gotSoft++
			} else {
				gotMatch++
			}
		}
	}
	if len(f.Probes) != probes || gotTCP != tcp || gotMatch != matches || gotSoft != soft || gotFallback != fallbacks {
		t.Errorf("parsed probes=%d tcp=%d match=%d softmatch=%d fallback=%d; line scan says %d %d %d %d %d",
			len(f.Probes), gotTCP, gotMatch, gotSoft, gotFallback, probes, tcp, matches, soft, fallbacks)
	}
	if f.Exclude == "" {
		t.Error("Exclude directive not read")
	}
	var null *Probe
	for _, p := range f.Probes {
		if p.Proto == "TCP" && p.Name == "NULL" {
			null = p
		}
	}
	if null == nil || len(null.Payload) != 0 || len(null.Rules) == 0 {
		t.Fatalf("NULL probe missing or wrong: %+v", null)
	}
	t.Logf("%d probes (%d TCP), %d match, %d softmatch", probes, tcp, matches, soft)
}

func TestParse(t *testing.T) {
	t.Parallel()
	src := "# comment\n" +
		"Exclude T:9100-9107,U:5\n" +
		"\n" +
		"Probe TCP NULL q||\n" +
		"totalwaitms 6000\n" +
		"tcpwrappedms 3000\n" +
		`match ssh m|^SSH-([\d.]+)-OpenSSH_(\S+)\r?\n| p/OpenSSH/ v/$2/ i/protocol $1/ cpe:/a:openbsd:openssh:$2/a` + "\n" +
		`softmatch ftp m=^220 =i` + "\n" +
		`Probe UDP Weird q#\0\x01\\\r\n\t\a\v\f\b# no-payload` + "\n" +
		"rarity 8\n" +
		"ports 53, 1000-1010\n" +
		"sslports 443\n" +
		"fallback NULL,Other\n" +
		`match x m%a|b%s p|pipe/product| o=Linux= d/router/ h/$1/ cpe:/o:linux:linux_kernel/ cpe:/h:acme:box/` + "\n"
	f, errs := Parse("t", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := &File{Name: "t", Exclude: "T:9100-9107,U:5", Probes: []*Probe{
		{File: "t", Line: 4, Proto: "TCP", Name: "NULL", Payload: []byte{}, TotalWaitMS: 6000, TCPWrappedMS: 3000, Rules: []*Rule{
			{File: "t", Line: 7, Service: "ssh", Pattern: []byte(`^SSH-([\d.]+)-OpenSSH_(\S+)\r?\n`), Product: "OpenSSH", Version: "$2", Info: "protocol $1", CPE: []string{"a:openbsd:openssh:$2"}},
			{File: "t", Line: 8, Soft: true, Service: "ftp", Pattern: []byte("^220 "), CaseInsensitive: true},
		}},
		{File: "t", Line: 9, Proto: "UDP", Name: "Weird", Payload: []byte{0, 1, '\\', '\r', '\n', '\t', '\a', '\v', '\f', '\b'}, NoPayload: true,
			Rarity: 8, Ports: "53, 1000-1010", SSLPorts: "443", Fallback: []string{"NULL", "Other"}, Rules: []*Rule{
				{File: "t", Line: 14, Service: "x", Pattern: []byte("a|b"), DotAll: true, Product: "pipe/product", OSType: "Linux", DeviceType: "router", Hostname: "$1",
					CPE: []string{"o:linux:linux_kernel", "h:acme:box"}},
			}},
	}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got\n%#v\nwant\n%#v", f.Probes[1].Rules[0], want.Probes[1].Rules[0])
	}
}

// TestErrors checks that each bad line is reported with its line and that
// the lines around it still parse.
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		line    string
		wantMsg string
		wantCol int
		// orphan: the bad line is a Probe, so the next rule belongs to no
		// probe rather than to the one before.
		orphan bool
	}{
		{"unknown directive", "frobnicate 3", "unknown directive", 1, false},
		{"indented", " match x m|a|", "column 1", 1, false},
		{"bad flag", "match x m|a|x", "neither i nor s", 13, false},
		{"unterminated regex", "match x m|abc", "no closing", 10, false},
		{"empty regex", "match x m||", "empty", 11, false},
		{"unknown template", "match x m|a| z/b/", "unknown template field", 14, false},
		{"unterminated template", "match x m|a| p/b", "no closing", 15, false},
		{"bad cpe part", "match x m|a| cpe:/q:x/", "must start with", 14, false},
		{"junk after template", "match x m|a| p/b/c", "followed by a space", 18, false},
		{"rarity range", "rarity 10", "rarity", 8, false},
		{"wait range", "totalwaitms 5", "totalwaitms", 13, false},
		{"bad port", "ports 70000", "not a port", 7, false},
		{"backwards range", "ports 9-3", "backwards", 7, false},
		{"bad escape", `Probe TCP Y q|\q|`, `unknown escape \q`, 15, true},
		{"short hex", `Probe TCP Y q|\x4|`, `two hex digits`, 15, true},
		{"bad proto", "Probe SCTP Y q||", "neither TCP nor UDP", 7, true},
		{"duplicate probe", "Probe TCP P q|x|", "already defined", 11, false},
		{"exclude late", "Exclude 1", "after the first Probe", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "Probe TCP P q|GET|\n" + tc.line + "\nmatch ok m|^ok|\n"
			f, errs := Parse("f", []byte(src))
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", errs)
			}
			var pe *Error
			if !errors.As(errs[0], &pe) || pe.Line != 2 || pe.Col != tc.wantCol || !strings.Contains(pe.Msg, tc.wantMsg) {
				t.Errorf("got %v (col %d), want f:2:%d containing %q", errs[0], pe.Col, tc.wantCol, tc.wantMsg)
			}
			last := f.Probes[len(f.Probes)-1]
			r := last.Rules
			got := len(r) > 0 && string(r[len(r)-1].Pattern) == "^ok"
			if got == tc.orphan {
				t.Errorf("rule after the bad line attached to probe %s: %v, want %v", last.Name, got, !tc.orphan)
			}
		})
	}
}

func TestRuleBeforeProbe(t *testing.T) {
	t.Parallel()
	_, errs := Parse("f", []byte("match x m|a|\nProbe TCP NULL q||\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "f:1:1: match before any Probe") {
		t.Errorf("got %v", errs)
	}
}
