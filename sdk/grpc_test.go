package sdk

import (
	"context"
	"net/netip"
	"reflect"
	"testing"
	"time"

	plugin "github.com/hashicorp/go-plugin"
)

// echoOutput records what crosses the boundary so the test can compare it
// with what was sent.
type echoOutput struct {
	start ScanStart
	dest  OutputDest
	host  Host
	end   ScanEnd
}

func (e *echoOutput) Info(context.Context) (Info, error) {
	return Info{ID: "output.echo", Kind: KindOutput, Version: "0.0.1",
		Config: []ConfigField{{Name: "pretty", Type: "bool", Description: "indent", Default: true}}}, nil
}
func (e *echoOutput) Configure(context.Context, Settings) ([]Diagnostic, error) { return nil, nil }
func (e *echoOutput) Start(_ context.Context, d OutputDest, s ScanStart) ([]byte, error) {
	e.dest, e.start = d, s
	return []byte("start " + s.Args), nil
}
func (e *echoOutput) Host(_ context.Context, h Host) ([]byte, error) {
	e.host = h
	return []byte(h.Addr.String()), nil
}
func (e *echoOutput) End(_ context.Context, x ScanEnd) ([]byte, error) {
	e.end = x
	return nil, nil
}

func dial(t *testing.T, impl Plugin) *Client {
	t.Helper()
	c, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{pluginName: &grpcPlugin{impl: impl}})
	t.Cleanup(func() { c.Close() })
	cl, err := Dispense(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestOutputRoundTrip sends a host with every field set through gRPC and
// checks it arrives unchanged, so no field is lost in the conversions.
func TestOutputRoundTrip(t *testing.T) {
	impl := &echoOutput{}
	cl := dial(t, impl)
	ctx := context.Background()
	t0 := time.Unix(1764400000, 123456789)

	start := ScanStart{Scanner: "scanfw", Version: "0.1.0", Args: "scanfw -sT 198.18.1.2", Start: t0,
		ScanInfo: []ScanInfo{{Type: "connect", Protocol: ProtoTCP, NumServices: 3, Services: "22,80,443"}},
		Verbose:  2, Debugging: 1, Reason: true, OpenOnly: true,
		TimingReport: "--- report ---\n", DataFiles: []string{"/usr/share/nmap/nmap-services"}}
	b, err := cl.Start(ctx, OutputDest{Path: "out.xml", Append: true}, start)
	if err != nil || string(b) != "start scanfw -sT 198.18.1.2" {
		t.Fatalf("Start = %q, %v", b, err)
	}
	if !reflect.DeepEqual(impl.start, start) || impl.dest != (OutputDest{Path: "out.xml", Append: true}) {
		t.Errorf("start arrived as %+v %+v", impl.start, impl.dest)
	}

	host := Host{
		Addr: netip.MustParseAddr("2001:db8::2"), MAC: "02:00:00:00:00:01", MACVendor: "Lab",
		Hostnames: []Hostname{{Name: "svc.lab", Type: "user"}, {Name: "svc.lab.scanfw.test", Type: "PTR"}},
		Status:    HostStatus{State: "up", Reason: "syn-ack", ReasonTTL: 64},
		Ports: []Port{
			{Proto: ProtoTCP, Number: 22, State: StateOpen, Reason: "syn-ack", ReasonTTL: 64,
				Service: &Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1", ExtraInfo: "protocol 2.0", Hostname: "h",
					OSType: "Linux", DeviceType: "general purpose", Tunnel: "ssl", Method: "probed", Conf: 10,
					CPE: []string{"cpe:/a:openbsd:openssh:9.2p1"}, Fingerprint: "SF-Port22"}},
			{Proto: ProtoUDP, Number: 53, State: StateOpenFiltered, Reason: "no-response"},
		},
		ExtraPorts: []ExtraPorts{{State: StateClosed, Count: 997, Reasons: []ExtraReason{{Reason: "conn-refused", Count: 997, Proto: ProtoTCP, Ports: "1-21,23-52"}}}},
		Start:      t0, End: t0.Add(time.Second), TimedOut: true,
		SRTT: 420 * time.Microsecond, RTTVar: 100 * time.Microsecond, Timeout: 100 * time.Millisecond,
	}
	if b, err := cl.Host(ctx, host); err != nil || string(b) != "2001:db8::2" {
		t.Fatalf("Host = %q, %v", b, err)
	}
	if !reflect.DeepEqual(impl.host, host) {
		t.Errorf("host arrived as\n%+v\nwant\n%+v", impl.host, host)
	}

	end := ScanEnd{End: t0.Add(2 * time.Second), Elapsed: 2 * time.Second, HostsUp: 1, HostsDown: 2, HostsTotal: 3, Exit: "error", ErrorMsg: "interrupted"}
	if b, err := cl.End(ctx, end); err != nil || len(b) != 0 {
		t.Fatalf("End = %q, %v", b, err)
	}
	if !reflect.DeepEqual(impl.end, end) {
		t.Errorf("end arrived as %+v", impl.end)
	}

	info, err := cl.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "output.echo" || info.Config[0].Default != true || info.Config[0].Type != "bool" {
		t.Errorf("info = %+v", info)
	}
}

type fixedMatcher struct{}

func (fixedMatcher) Info(context.Context) (Info, error) {
	return Info{ID: "service.fixed", Kind: KindService}, nil
}
func (fixedMatcher) Configure(context.Context, Settings) ([]Diagnostic, error) { return nil, nil }
func (fixedMatcher) Catalogue(context.Context) (ServiceCatalogue, error) {
	return ServiceCatalogue{Probes: []ServiceProbe{{Name: "NULL", Proto: ProtoTCP, TotalWait: 6 * time.Second, Rarity: 1}}}, nil
}
func (fixedMatcher) Match(_ context.Context, items []MatchItem) ([]MatchResult, error) {
	out := make([]MatchResult, len(items))
	for i, it := range items {
		out[i] = MatchResult{ID: it.ID, Hard: len(it.Response) > 3, Service: Service{Name: string(it.Response[:3])}}
	}
	return out, nil
}

// TestMatchStreamAnswersBatchesInOrder uses the long-lived stream for
// several batches, as the core does. Responses are raw bytes; service
// fields cut from them that are not UTF-8 arrive with '.' for each bad byte.
func TestMatchStreamAnswersBatchesInOrder(t *testing.T) {
	cl := dial(t, fixedMatcher{})
	ctx := context.Background()
	cat, err := cl.Catalogue(ctx)
	if err != nil || len(cat.Probes) != 1 || cat.Probes[0].TotalWait != 6*time.Second {
		t.Fatalf("Catalogue = %+v, %v", cat, err)
	}
	for round := 0; round < 3; round++ {
		items := []MatchItem{
			{ID: uint64(round*10 + 1), Proto: ProtoTCP, Port: 22, Response: []byte("SSH-2.0-x")},
			{ID: uint64(round*10 + 2), Proto: ProtoTCP, Port: 80, Response: []byte{0xff, 0x00, 0xfe}},
		}
		res, err := cl.Match(ctx, items)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].ID != items[0].ID || !res[0].Hard || res[0].Service.Name != "SSH" ||
			res[1].Hard || res[1].Service.Name != ".\x00." {
			t.Errorf("round %d: %+v", round, res)
		}
	}
}

func TestPortStateNames(t *testing.T) {
	for s := StateUnknown; s <= StateClosedFiltered; s++ {
		got, ok := ParsePortState(s.String())
		if !ok || got != s {
			t.Errorf("%v does not round-trip", s)
		}
	}
	if StateOpenFiltered.String() != "open|filtered" {
		t.Errorf("open|filtered is %q", StateOpenFiltered.String())
	}
}
