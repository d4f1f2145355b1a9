package json

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

var t0 = time.Date(2026, 11, 29, 11, 9, 10, 400e6, time.UTC)

func start(mod func(*sdk.ScanStart)) sdk.ScanStart {
	s := sdk.ScanStart{
		Scanner: "scanfw", Version: "0.1.0", Args: "scanfw -sT -p 22,80 -oJ - 127.0.0.1", Start: t0,
		ScanInfo: []sdk.ScanInfo{{Type: "connect", Protocol: sdk.ProtoTCP, NumServices: 2, Services: "22,80"}},
	}
	if mod != nil {
		mod(&s)
	}
	return s
}

func upHost(addr string) sdk.Host {
	return sdk.Host{
		Addr: netip.MustParseAddr(addr), Status: sdk.HostStatus{State: "up", Reason: "syn-ack", ReasonTTL: 64},
		Hostnames: []sdk.Hostname{{Name: "web.example", Type: "user"}},
		Ports: []sdk.Port{
			{Proto: sdk.ProtoTCP, Number: 22, State: sdk.StateOpen, Reason: "syn-ack", ReasonTTL: 64,
				Service: &sdk.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1", Method: "probed", Conf: 10, CPE: []string{"cpe:/a:openbsd:openssh:9.2p1"}}},
			{Proto: sdk.ProtoTCP, Number: 80, State: sdk.StateClosed, Reason: "conn-refused",
				Service: &sdk.Service{Name: "http", Method: "table", Conf: 3}},
		},
		ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateFiltered, Count: 5, Reasons: []sdk.ExtraReason{{Reason: "no-response", Count: 5, Proto: sdk.ProtoTCP, Ports: "1-5"}}}},
		Start:      t0, End: t0.Add(2 * time.Second),
		SRTT: 360 * time.Microsecond, RTTVar: 1191 * time.Microsecond, Timeout: 100 * time.Millisecond,
	}
}

func downHost(addr string) sdk.Host {
	return sdk.Host{Addr: netip.MustParseAddr(addr), Status: sdk.HostStatus{State: "down", Reason: "no-response"}}
}

// render runs a whole scan through the plugin and returns its bytes, one
// slice per event, as the core would write them.
func render(t *testing.T, settings string, s sdk.ScanStart, hosts []sdk.Host, end *sdk.ScanEnd) [][]byte {
	t.Helper()
	ctx := context.Background()
	w := New()
	if diags, err := w.Configure(ctx, sdk.Settings(settings)); err != nil || len(diags) > 0 {
		t.Fatalf("Configure(%s): %v %v", settings, diags, err)
	}
	var out [][]byte
	b, err := w.Start(ctx, sdk.OutputDest{Path: "scan.jsonl"}, s)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	out = append(out, b)
	for _, h := range hosts {
		b, err := w.Host(ctx, h)
		if err != nil {
			t.Fatalf("Host: %v", err)
		}
		out = append(out, b)
	}
	if end != nil {
		b, err := w.End(ctx, *end)
		if err != nil {
			t.Fatalf("End: %v", err)
		}
		out = append(out, b)
	}
	return out
}

func lines(chunks [][]byte) [][]byte {
	var out [][]byte
	for _, c := range chunks {
		for l := range bytes.Lines(c) {
			out = append(out, l)
		}
	}
	return out
}

// TestEveryLineIsACompleteValidRecord renders scans of several shapes,
// also cut off before End as an interrupted scan is, and checks that every
// event returns whole lines and every line is valid against the published
// schema.
func TestEveryLineIsACompleteValidRecord(t *testing.T) {
	v := loadSchema(t)
	hostile := upHost("::1")
	hostile.Ports[0].Service.Product = "</td><script>alert(1)</script>\"\n\x01"
	hostile.Ports[0].Service.ExtraInfo = string([]byte{0xff, 0xfe, 'x'})
	hostile.MAC, hostile.MACVendor = "02:00:00:00:00:01", "Lab & Co"
	hostile.TimedOut = true
	end := sdk.ScanEnd{End: t0.Add(3 * time.Second), Elapsed: 2600 * time.Millisecond, HostsUp: 2, HostsDown: 1, HostsTotal: 3, Exit: "success"}
	failed := end
	failed.Exit, failed.ErrorMsg = "error", "interrupted by signal interrupt"
	cases := []struct {
		name     string
		settings string
		start    sdk.ScanStart
		hosts    []sdk.Host
		end      *sdk.ScanEnd
		records  int
	}{
		{"complete scan", "", start(nil), []sdk.Host{upHost("127.0.0.1"), downHost("198.18.0.9")}, &end, 3},
		{"down host with -v", "", start(func(s *sdk.ScanStart) { s.Verbose = 1 }), []sdk.Host{downHost("198.18.0.9")}, &end, 3},
		{"all_hosts setting", `{"all_hosts":true}`, start(nil), []sdk.Host{downHost("198.18.0.9")}, &end, 3},
		{"hostile service strings, ipv6, mac", "", start(nil), []sdk.Host{hostile}, &end, 3},
		{"interrupted before the end", "", start(nil), []sdk.Host{upHost("127.0.0.1")}, nil, 2},
		{"scan that ended in an error", "", start(func(s *sdk.ScanStart) { s.ScanInfo = nil; s.DataDir = "/usr/share/nmap" }), nil, &failed, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chunks := render(t, c.settings, c.start, c.hosts, c.end)
			for i, ch := range chunks {
				if len(ch) > 0 && (bytes.Count(ch, []byte("\n")) != 1 || !bytes.HasSuffix(ch, []byte("\n"))) {
					t.Errorf("event %d returned %q: want exactly one line ending in a newline", i, ch)
				}
			}
			ls := lines(chunks)
			if len(ls) != c.records {
				t.Fatalf("%d records, want %d:\n%s", len(ls), c.records, bytes.Join(ls, nil))
			}
			for i, l := range ls {
				if err := v.Validate(l); err != nil {
					t.Errorf("line %d invalid: %v\n%s", i+1, err, l)
				}
			}
			var first map[string]any
			json.Unmarshal(ls[0], &first)
			if first["type"] != "start" || first["schema"] != Schema {
				t.Errorf("first line is not the start record of %s: %s", Schema, ls[0])
			}
		})
	}
}

// TestValidatorRejectsBadRecords shows the schema check can fail: records
// that break the schema in one way each are refused.
func TestValidatorRejectsBadRecords(t *testing.T) {
	v := loadSchema(t)
	good := lines(render(t, "", start(nil), []sdk.Host{upHost("127.0.0.1")}, nil))[1]
	cases := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"missing status", func(m map[string]any) { delete(m, "status") }},
		{"unknown field", func(m map[string]any) { m["banner"] = "x" }},
		{"port out of range", func(m map[string]any) { m["ports"].([]any)[0].(map[string]any)["port"] = 70000 }},
		{"state not an Nmap state", func(m map[string]any) { m["ports"].([]any)[0].(map[string]any)["state"] = "opened" }},
		{"time with a zone", func(m map[string]any) { m["start"] = "2026-11-29T11:09:10+01:00" }},
		{"unknown record type", func(m map[string]any) { m["type"] = "progress" }},
	}
	if err := v.Validate(good); err != nil {
		t.Fatalf("the unedited record is invalid: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			json.Unmarshal(good, &m)
			c.edit(m)
			b, _ := json.Marshal(m)
			if err := v.Validate(b); err == nil {
				t.Errorf("accepted %s", b)
			}
		})
	}
}

// TestHostRecordCarriesTheResultModel decodes a host record and compares
// it with the sdk.Host it came from, field by field.
func TestHostRecordCarriesTheResultModel(t *testing.T) {
	h := upHost("127.0.0.1")
	h.MAC, h.MACVendor = "02:00:00:00:00:01", "Lab"
	var got hostRecord
	if err := json.Unmarshal(lines(render(t, "", start(nil), []sdk.Host{h}, nil))[1], &got); err != nil {
		t.Fatal(err)
	}
	if got.Addr != h.Addr.String() || got.AddrType != "ipv4" || got.MAC != h.MAC || got.MACVendor != h.MACVendor {
		t.Errorf("addresses: %+v", got)
	}
	if got.Status != (status{State: h.Status.State, Reason: h.Status.Reason, ReasonTTL: h.Status.ReasonTTL}) {
		t.Errorf("status %+v, want %+v", got.Status, h.Status)
	}
	if len(got.Hostnames) != 1 || got.Hostnames[0].Name != h.Hostnames[0].Name || got.Hostnames[0].Type != h.Hostnames[0].Type {
		t.Errorf("hostnames %+v", got.Hostnames)
	}
	if len(got.Ports) != len(h.Ports) {
		t.Fatalf("%d ports, want %d", len(got.Ports), len(h.Ports))
	}
	for i, p := range h.Ports {
		g := got.Ports[i]
		if g.Port != int(p.Number) || g.Protocol != p.Proto.String() || g.State != p.State.String() || g.Reason != p.Reason || g.ReasonTTL != p.ReasonTTL {
			t.Errorf("port %d: %+v", i, g)
		}
		s := p.Service
		want := service{Name: s.Name, Product: s.Product, Version: s.Version, Method: s.Method, Conf: s.Conf, CPE: s.CPE}
		if want.CPE == nil {
			want.CPE = []string{}
		}
		if !reflect.DeepEqual(*g.Service, want) {
			t.Errorf("port %d service %+v, want %+v", i, *g.Service, want)
		}
	}
	e := h.ExtraPorts[0]
	if len(got.ExtraPorts) != 1 || got.ExtraPorts[0].Count != e.Count || got.ExtraPorts[0].State != e.State.String() ||
		got.ExtraPorts[0].Reasons[0] != (extraReason{Reason: e.Reasons[0].Reason, Count: e.Reasons[0].Count, Protocol: "tcp", Ports: e.Reasons[0].Ports}) {
		t.Errorf("extraports %+v", got.ExtraPorts)
	}
	if got.Start != h.Start.UTC().Format(time.RFC3339) || got.End != h.End.UTC().Format(time.RFC3339) {
		t.Errorf("times %s..%s", got.Start, got.End)
	}
	if got.Times == nil || got.Times.SRTT != h.SRTT.Microseconds() || got.Times.RTTVar != h.RTTVar.Microseconds() || got.Times.Timeout != h.Timeout.Microseconds() {
		t.Errorf("times %+v", got.Times)
	}
}

// TestHostsLeftOut follows Nmap's XML: down hosts only with -v, and with
// --open only hosts with an open port.
func TestHostsLeftOut(t *testing.T) {
	closedOnly := upHost("127.0.0.2")
	closedOnly.Ports = closedOnly.Ports[1:]
	closedOnly.ExtraPorts = nil
	cases := []struct {
		name     string
		settings string
		start    sdk.ScanStart
		host     sdk.Host
		shown    bool
	}{
		{"up host", "", start(nil), upHost("127.0.0.1"), true},
		{"down host", "", start(nil), downHost("198.18.0.9"), false},
		{"down host, -v", "", start(func(s *sdk.ScanStart) { s.Verbose = 1 }), downHost("198.18.0.9"), true},
		{"down host, all_hosts", `{"all_hosts":true}`, start(nil), downHost("198.18.0.9"), true},
		{"no open port, --open", "", start(func(s *sdk.ScanStart) { s.OpenOnly = true }), closedOnly, false},
		{"open port, --open", "", start(func(s *sdk.ScanStart) { s.OpenOnly = true }), upHost("127.0.0.1"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := len(lines(render(t, c.settings, c.start, []sdk.Host{c.host}, nil))) - 1
			if (n == 1) != c.shown {
				t.Errorf("%d host records, want shown=%v", n, c.shown)
			}
		})
	}
}

// TestReadByJq reads the records with jq, the way the docs show, and gets
// back the open ports that went in. It needs Debian's jq (CI installs it).
func TestReadByJq(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jq is not installed (.ci/run installs it)")
		}
		t.Skip("jq is not installed")
	}
	end := sdk.ScanEnd{End: t0.Add(3 * time.Second), Elapsed: 2600 * time.Millisecond, HostsUp: 2, HostsTotal: 2, Exit: "success"}
	other := upHost("198.18.0.7")
	other.Ports[1].State = sdk.StateOpen
	path := filepath.Join(t.TempDir(), "scan.jsonl")
	os.WriteFile(path, bytes.Join(render(t, "", start(nil), []sdk.Host{upHost("127.0.0.1"), other}, &end), nil), 0o644)

	cases := []struct {
		name, filter string
		want         []string
	}{
		{"open ports", `select(.type=="host") | .addr as $a | .ports[] | select(.state=="open") | "\($a):\(.port)"`, openPorts([]sdk.Host{upHost("127.0.0.1"), other})},
		{"schema", `select(.type=="start") | .schema`, []string{Schema}},
		{"end counts", `select(.type=="end") | "\(.hosts.up)/\(.hosts.total)/\(.exit)"`, []string{"2/2/success"}},
		{"cpe", `select(.type=="host") | .ports[].service.cpe[]`, []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/a:openbsd:openssh:9.2p1"}},
		{"times parse with fromdate", `select(.type=="start") | .start | fromdate`, []string{strconv.FormatInt(t0.Unix(), 10)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(jq, "-r", c.filter, path).CombinedOutput()
			if err != nil {
				t.Fatalf("jq %s: %v\n%s", c.filter, err, out)
			}
			got := strings.Fields(string(out))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("jq %s = %q, want %q", c.filter, got, c.want)
			}
		})
	}
}

func openPorts(hosts []sdk.Host) []string {
	var out []string
	for _, h := range hosts {
		for _, p := range h.Ports {
			if p.State == sdk.StateOpen {
				out = append(out, h.Addr.String()+":"+strconv.Itoa(int(p.Number)))
			}
		}
	}
	return out
}

// TestSchemaIsValidJSONSchema checks the schema file with an independent
// implementation, python3-jsonschema, when it is installed: the file is
// itself a valid 2020-12 schema, and it accepts our records.
func TestSchemaIsValidJSONSchema(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import jsonschema").Run() != nil {
		t.Skip("python3-jsonschema is not installed")
	}
	end := sdk.ScanEnd{End: t0, Exit: "success"}
	path := filepath.Join(t.TempDir(), "scan.jsonl")
	os.WriteFile(path, bytes.Join(render(t, "", start(nil), []sdk.Host{upHost("127.0.0.1"), upHost("::1")}, &end), nil), 0o644)
	script := `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
n = 0
for line in open(sys.argv[2]):
    v.validate(json.loads(line)); n += 1
print(n)
`
	out, err := exec.Command(py, "-c", script, schemaPath, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python jsonschema: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "4" {
		t.Errorf("validated %s lines, want 4", out)
	}
}

// TestProtocolAndSCTPScans renders an IP protocol scan and an SCTP INIT
// scan: their records validate against the schema and name the protocol
// as Nmap's XML does ("ip" with the protocol number as port, "sctp").
func TestProtocolAndSCTPScans(t *testing.T) {
	t.Parallel()
	v := loadSchema(t)
	h := func(p sdk.Proto, ports ...sdk.Port) sdk.Host {
		x := upHost("198.18.2.2")
		x.Ports = ports
		x.ExtraPorts = []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 2, Reasons: []sdk.ExtraReason{{Reason: "proto-unreach", Count: 2, Proto: p, Ports: "3-4"}}}}
		return x
	}
	for _, tc := range []struct {
		name  string
		info  sdk.ScanInfo
		host  sdk.Host
		proto string
		ports []int
	}{
		{"-sO", sdk.ScanInfo{Type: "ipproto", Protocol: sdk.ProtoIP, NumServices: 256, Services: "0-255"},
			h(sdk.ProtoIP, sdk.Port{Proto: sdk.ProtoIP, Number: 1, State: sdk.StateOpen, Reason: "echo-reply", Service: &sdk.Service{Name: "icmp", Method: "table", Conf: 3}},
				sdk.Port{Proto: sdk.ProtoIP, Number: 132, State: sdk.StateOpen, Reason: "proto-response"}), "ip", []int{1, 132}},
		{"-sY", sdk.ScanInfo{Type: "sctpinit", Protocol: sdk.ProtoSCTP, NumServices: 2, Services: "80,2905"},
			h(sdk.ProtoSCTP, sdk.Port{Proto: sdk.ProtoSCTP, Number: 2905, State: sdk.StateOpen, Reason: "init-ack"}), "sctp", []int{2905}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(func(s *sdk.ScanStart) { s.ScanInfo = []sdk.ScanInfo{tc.info} })
			ls := lines(render(t, "", s, []sdk.Host{tc.host}, nil))
			for i, l := range ls {
				if err := v.Validate(l); err != nil {
					t.Errorf("line %d invalid: %v\n%s", i+1, err, l)
				}
			}
			var st struct {
				ScanInfo []struct{ Type, Protocol string } `json:"scaninfo"`
			}
			var host struct {
				Ports []struct {
					Protocol string `json:"protocol"`
					Port     int    `json:"port"`
				} `json:"ports"`
				ExtraPorts []struct {
					Reasons []struct{ Protocol string } `json:"reasons"`
				} `json:"extraports"`
			}
			if err := json.Unmarshal(ls[0], &st); err != nil || len(st.ScanInfo) != 1 || st.ScanInfo[0].Protocol != tc.proto || st.ScanInfo[0].Type != tc.info.Type {
				t.Errorf("scaninfo %+v (%v), want %s %s", st.ScanInfo, err, tc.info.Type, tc.proto)
			}
			if err := json.Unmarshal(ls[1], &host); err != nil || len(host.Ports) != len(tc.ports) {
				t.Fatalf("host %s: %v", ls[1], err)
			}
			for i, p := range host.Ports {
				if p.Protocol != tc.proto || p.Port != tc.ports[i] {
					t.Errorf("port %d: %s/%d, want %s/%d", i, p.Protocol, p.Port, tc.proto, tc.ports[i])
				}
			}
			if len(host.ExtraPorts) != 1 || len(host.ExtraPorts[0].Reasons) != 1 || host.ExtraPorts[0].Reasons[0].Protocol != tc.proto {
				t.Errorf("extraports %+v, want protocol %s", host.ExtraPorts, tc.proto)
			}
		})
	}
}
