package udp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

// verdict applies the rules the way sdk.ReplyMatch promises (first match
// wins) to a reply described by its kind and ICMP fields.
func verdict(spec sdk.ProbeSpec, kind sdk.MatchKind, v6 bool, typ, code int, fromTarget bool) sdk.Verdict {
	for _, r := range spec.Rules {
		m := r.Match
		if m.Kind != kind || (m.FromTarget >= 0 && (m.FromTarget == 1) != fromTarget) {
			continue
		}
		if kind == sdk.MatchICMP && (m.ICMPv6 != v6 || (m.ICMPType >= 0 && m.ICMPType != typ) || (m.ICMPCode >= 0 && m.ICMPCode != code)) {
			continue
		}
		return r.Verdict
	}
	return sdk.Verdict{}
}

func TestRulesAreNmaps(t *testing.T) {
	t.Parallel()
	spec, err := New(Options{Builtin: []byte("payload x 7\nhex 00\n"), NoNmap: true}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		kind      sdk.MatchKind
		v6        bool
		typ, code int
		from      bool
		want      sdk.PortState
		reason    string
	}{
		{"udp reply", sdk.MatchUDP, false, 0, 0, true, sdk.StateOpen, "udp-response"},
		{"port unreachable from the target", sdk.MatchICMP, false, 3, 3, true, sdk.StateClosed, "port-unreach"},
		{"port unreachable from a router", sdk.MatchICMP, false, 3, 3, false, sdk.StateFiltered, "port-unreach"},
		{"admin prohibited", sdk.MatchICMP, false, 3, 13, true, sdk.StateFiltered, "admin-prohibited"},
		{"host unreachable", sdk.MatchICMP, false, 3, 1, false, sdk.StateFiltered, "host-unreach"},
		{"time exceeded", sdk.MatchICMP, false, 11, 0, false, sdk.StateFiltered, "time-exceeded"},
		{"fragmentation needed says nothing", sdk.MatchICMP, false, 3, 4, true, sdk.StateUnknown, ""},
		{"icmpv6 port unreachable from the target", sdk.MatchICMP, true, 1, 4, true, sdk.StateClosed, "port-unreach"},
		{"icmpv6 admin prohibited", sdk.MatchICMP, true, 1, 1, true, sdk.StateFiltered, "admin-prohibited"},
	}
	for _, c := range cases {
		v := verdict(spec, c.kind, c.v6, c.typ, c.code, c.from)
		if v.State != c.want || v.Reason != c.reason {
			t.Errorf("%s: %v/%q, want %v/%q", c.name, v.State, v.Reason, c.want, c.reason)
		}
	}
	if spec.Silence.State != sdk.StateOpenFiltered || !spec.SilenceMeansOpen || spec.ScanType != "udp" || spec.Proto != sdk.ProtoUDP {
		t.Errorf("spec %+v", spec)
	}
	p := New(Options{NoNmap: true})
	raw, _ := json.Marshal(map[string]bool{"defeat_icmp_ratelimit": true})
	if d, err := p.Configure(context.Background(), sdk.Settings(raw)); err != nil || len(d) > 0 {
		t.Fatal(d, err)
	}
	if spec, _ := p.Describe(context.Background()); spec.Silence.State != sdk.StateClosedFiltered {
		t.Errorf("defeat-icmp-ratelimit: silence %v, want closed|filtered", spec.Silence.State)
	}
}

// TestTemplatesPerPort: every payload becomes a template limited to its
// ports, with a correct UDP length; duplicates for a port are sent once;
// the empty datagram serves every other port.
func TestTemplatesPerPort(t *testing.T) {
	t.Parallel()
	own := []byte("payload a 53,100-102\ntext \"ab\"\npayload b 53\nhex 0102 03\n")
	nm := []byte("# comment\nudp 53 \"ab\"\nudp 7,9 \"\\x0D\\x0A\"\n  \"x\\\"y\" source 53\n")
	dir := t.TempDir()
	path := filepath.Join(dir, "nmap-payloads")
	if err := os.WriteFile(path, nm, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := New(Options{Builtin: own, Nmap: path}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type tm struct {
		body  string
		ports []sdk.PortRange
	}
	var got []tm
	for _, x := range spec.Templates {
		if x.IPProtocol != 17 || int(x.Layer4[4])<<8|int(x.Layer4[5]) != len(x.Layer4) {
			t.Errorf("template %q: protocol %d, length field wrong for %d bytes", x.Name, x.IPProtocol, len(x.Layer4))
		}
		got = append(got, tm{string(x.Layer4[8:]), x.Ports})
	}
	want := []tm{
		{"", nil},
		{"ab", []sdk.PortRange{{Lo: 53, Hi: 53}, {Lo: 100, Hi: 102}}},
		{"\x01\x02\x03", []sdk.PortRange{{Lo: 53, Hi: 53}}},
		// nmap's "ab" for 53 duplicates ours and is dropped.
		{"\r\nx\"y", []sdk.PortRange{{Lo: 7, Hi: 7}, {Lo: 9, Hi: 9}}},
	}
	if len(got) != len(want) {
		t.Fatalf("templates %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].body != want[i].body || len(got[i].ports) != len(want[i].ports) {
			t.Errorf("template %d: %+v, want %+v", i, got[i], want[i])
			continue
		}
		for j := range want[i].ports {
			if got[i].ports[j] != want[i].ports[j] {
				t.Errorf("template %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	}
}

func TestParseErrorsSayWhere(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		nmap      bool
	}{
		{"hex before payload", "hex 00\n", false},
		{"bad hex", "payload a 1\nhex 0g\n", false},
		{"bad port", "payload a 70000\n", false},
		{"backwards range", "payload a 9-3\n", false},
		{"unknown keyword", "payload a 1\nbytes 00\n", false},
		{"unterminated string", "udp 1 \"abc\n", true},
		{"string first", "\"abc\"\n", true},
		{"bad escape", "udp 1 \"\\xZZ\"\n", true},
	}
	for _, c := range cases {
		var err error
		if c.nmap {
			_, err = ParseNmap("f", []byte(c.src))
		} else {
			_, err = ParseOwn("f", []byte(c.src))
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if len(err.Error()) < 4 || err.Error()[:2] != "f:" {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
}

// TestShippedPayloadsParse reads the project's file and, when installed,
// Nmap's: both must parse and give the well-known ports a payload.
func TestShippedPayloadsParse(t *testing.T) {
	t.Parallel()
	own, err := os.ReadFile("../../../data/scanfw-payloads")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseOwn("scanfw-payloads", own)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 12 {
		t.Errorf("%d payloads in scanfw-payloads, want at least 12", len(ps))
	}
	for _, port := range []uint16{53, 111, 123, 137, 161, 500, 1900, 5060, 11211} {
		found := false
		for _, p := range ps {
			for _, r := range p.Ports {
				found = found || (r.Lo <= port && port <= r.Hi && len(p.Data) > 0)
			}
		}
		if !found {
			t.Errorf("no payload for %d/udp", port)
		}
	}
	if b, err := os.ReadFile(NmapPayloads); err == nil {
		nm, err := ParseNmap(NmapPayloads, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(nm) < 20 {
			t.Errorf("%d payloads from %s", len(nm), NmapPayloads)
		}
	}
}
