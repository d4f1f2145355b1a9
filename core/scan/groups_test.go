package scan

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

type recordSink struct {
	mu    sync.Mutex
	hosts []sdk.Host
}

func (s *recordSink) Start(context.Context, sdk.ScanStart) error { return nil }
func (s *recordSink) End(context.Context, sdk.ScanEnd) error     { return nil }
func (s *recordSink) Host(_ context.Context, h sdk.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts = append(s.hosts, h)
	return nil
}

func stream(addrs ...string) func(context.Context) (targets.Target, error) {
	i := 0
	return func(context.Context) (targets.Target, error) {
		if i == len(addrs) {
			return targets.Target{}, io.EOF
		}
		i++
		return targets.Target{Addr: netip.MustParseAddr(addrs[i-1])}, nil
	}
}

// fakeNames names every address "name-<addr>" and records what it was asked.
type fakeNames struct{ asked []netip.Addr }

func (f *fakeNames) lookup(_ context.Context, addrs []netip.Addr) ([]string, error) {
	f.asked = append(f.asked, addrs...)
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "name-" + a.String()
	}
	return out, nil
}

func TestListOnlyNamesEveryTarget(t *testing.T) {
	t.Parallel()
	names := &fakeNames{}
	sink := &recordSink{}
	p := Plan{Targets: stream("198.18.3.1", "198.18.3.2", "2001:db8:1::2"), ListOnly: true, Names: names.lookup}
	end, err := Run(context.Background(), p, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.hosts) != 3 || end.HostsDown != 3 || end.HostsUp != 0 || end.HostsTotal != 3 {
		t.Fatalf("%d hosts, end %+v; want 3 listed, counted down", len(sink.hosts), end)
	}
	for _, h := range sink.hosts {
		if h.Status != (sdk.HostStatus{State: "unknown", Reason: "user-set"}) {
			t.Errorf("%v: status %+v, want unknown/user-set", h.Addr, h.Status)
		}
		if len(h.Hostnames) != 1 || h.Hostnames[0] != (sdk.Hostname{Name: "name-" + h.Addr.String(), Type: "PTR"}) {
			t.Errorf("%v: hostnames %+v", h.Addr, h.Hostnames)
		}
	}
}

func TestGroupSize(t *testing.T) {
	t.Parallel()
	tcp := func(n int) Technique {
		return Technique{Spec: sdk.ProbeSpec{Proto: sdk.ProtoTCP}, Ports: make([]uint16, n)}
	}
	udp := Technique{Spec: sdk.ProbeSpec{Proto: sdk.ProtoUDP}, Ports: make([]uint16, 1000)}
	cases := []struct {
		name string
		p    Plan
		want int
	}{
		{"default 1000 TCP ports", Plan{Techniques: []Technique{tcp(1000)}}, 64},
		{"few TCP ports", Plan{Techniques: []Technique{tcp(4)}}, 256},
		{"UDP present", Plan{Techniques: []Technique{tcp(4), udp}}, 128},
		{"max hostgroup caps", Plan{Techniques: []Technique{tcp(4)}, MaxGroup: 10}, 10},
		{"min hostgroup raises", Plan{Techniques: []Technique{tcp(1000)}, MinGroup: 500}, 500},
	}
	for _, c := range cases {
		if got := groupSize(c.p); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestStreamingGroupScansEveryHost scans 8 loopback hosts through a group
// of 2 with reverse DNS on: every host is reported once, up, named, with
// the listener's port open.
func TestStreamingGroupScansEveryHost(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	var addrs []string
	for i := 1; i <= 8; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}).String())
	}
	names := &fakeNames{}
	sink := &recordSink{}
	spec := sdk.ProbeSpec{ScanType: "connect", Proto: sdk.ProtoTCP, Transport: sdk.TransportConnect,
		Rules: []sdk.ReplyRule{
			{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectConnected}, Verdict: sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}},
			{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectRefused}, Verdict: sdk.Verdict{State: sdk.StateClosed, Reason: "conn-refused"}},
		},
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}}
	p := Plan{Targets: stream(addrs...), Techniques: []Technique{{PluginID: "probe.tcp_connect", Spec: spec, Ports: []uint16{port}}},
		Timing: ultrascan.DefaultConfig(), MaxGroup: 2, Names: names.lookup}
	end, err := Run(context.Background(), p, sink)
	if err != nil {
		t.Fatal(err)
	}
	if end.HostsUp != 8 || len(sink.hosts) != 8 {
		t.Fatalf("%d hosts up, %d reported; want 8", end.HostsUp, len(sink.hosts))
	}
	seen := map[netip.Addr]bool{}
	for _, h := range sink.hosts {
		seen[h.Addr] = true
		if len(h.Hostnames) != 1 || h.Hostnames[0].Type != "PTR" {
			t.Errorf("%v: hostnames %+v", h.Addr, h.Hostnames)
		}
		if h.Addr == netip.MustParseAddr("127.0.0.1") && (len(h.Ports) != 1 || h.Ports[0].State != sdk.StateOpen) {
			t.Errorf("127.0.0.1 ports %+v, want %d open", h.Ports, port)
		}
	}
	if len(seen) != 8 || len(names.asked) != 8 {
		t.Errorf("%d distinct hosts reported, %d named; want 8 each", len(seen), len(names.asked))
	}
}
