package resume

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/sdk"
)

// stream yields addrs; "?name" is a name that fails to resolve.
func stream(items ...string) func(context.Context) (targets.Target, error) {
	i := 0
	return func(context.Context) (targets.Target, error) {
		if i == len(items) {
			return targets.Target{}, io.EOF
		}
		it := items[i]
		i++
		if strings.HasPrefix(it, "?") {
			return targets.Target{}, &targets.ResolveError{Name: it[1:], Err: errors.New("no such host")}
		}
		return targets.Target{Addr: netip.MustParseAddr(it)}, nil
	}
}

func drain(t *testing.T, next func(context.Context) (targets.Target, error)) []string {
	var got []string
	for range 100 {
		tg, err := next(context.Background())
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			got = append(got, "err")
			continue
		}
		got = append(got, tg.Addr.String())
	}
	t.Fatal("stream does not end")
	return nil
}

func TestTargetsSkipFinishedRescanInFlight(t *testing.T) {
	cases := []struct {
		name     string
		stream   []string
		consumed int64
		inflight []string
		want     []string
	}{
		{"fresh scan yields everything", []string{"10.0.0.1", "?x", "10.0.0.2"}, 0, nil, []string{"10.0.0.1", "err", "10.0.0.2"}},
		{"finished targets are passed over", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, 2, nil, []string{"10.0.0.3"}},
		{"in-flight targets are scanned again", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, 2, []string{"10.0.0.1"}, []string{"10.0.0.1", "10.0.0.3"}},
		{"a failed name before the mark is not reported twice", []string{"?x", "10.0.0.1", "10.0.0.2"}, 2, nil, []string{"10.0.0.2"}},
		{"a repeated address finished once is scanned once more", []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"}, 2, []string{"10.0.0.1"}, []string{"10.0.0.1", "10.0.0.2"}},
		{"everything finished", []string{"10.0.0.1"}, 1, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &Tracker{skip: c.consumed, redo: map[netip.Addr]int{}, inflight: map[netip.Addr]int{}}
			for _, a := range c.inflight {
				tr.redo[netip.MustParseAddr(a)]++
			}
			if got := drain(t, tr.Targets(stream(c.stream...))); !slices.Equal(got, c.want) {
				t.Errorf("yielded %v, want %v", got, c.want)
			}
			if tr.ck.Consumed != int64(len(c.stream)) {
				t.Errorf("consumed %d, want %d", tr.ck.Consumed, len(c.stream))
			}
		})
	}
}

// TestCheckpointRoundTrip runs a tracker over a stream, finishes some
// hosts, and checks the checkpoint: what was consumed, what is in flight,
// how long the output was, and that Continue cuts the file back to it.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	path := filepath.Join(dir, "out.txt.resume")
	outs := []Output{{ID: "output.normal", Path: out.Name(), File: out}}
	tr, err := Start(path, "targets = [\"x\"]\n", []string{"x"}, sdk.ScanStart{Scanner: "scanfw"}, outs, 0)
	if err != nil {
		t.Fatal(err)
	}
	next := tr.Targets(stream("10.0.0.1", "10.0.0.2", "10.0.0.3"))
	for range 3 {
		next(context.Background())
	}
	for _, a := range []string{"10.0.0.2", "10.0.0.3"} {
		out.WriteString("host " + a + "\n")
		if err := tr.finished(sdk.Host{Addr: netip.MustParseAddr(a), Status: sdk.HostStatus{State: "up"}}); err != nil {
			t.Fatal(err)
		}
	}
	out.WriteString("after the checkpoint\n") // as a host written before a crash
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Consumed != 3 || !slices.Equal(ck.InFlight, []string{"10.0.0.1"}) || ck.HostsUp != 2 || ck.Outputs[0].Offset != int64(len("host 10.0.0.2\nhost 10.0.0.3\n")) {
		t.Errorf("checkpoint %+v: want 3 consumed, 10.0.0.1 in flight, 2 up, the output at 28 bytes", ck)
	}
	if err := Mismatch(ck, "targets = [\"y\"]\n"); err == nil || !strings.Contains(err.Error(), `this scan:  targets = ["y"]`) {
		t.Errorf("Mismatch = %v, want the differing setting named", err)
	}

	tr2, hosts, err := Continue(path, ck, outs, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[1].Addr.String() != "10.0.0.3" {
		t.Errorf("journal gave %v, want the two finished hosts", hosts)
	}
	if b, _ := os.ReadFile(out.Name()); string(b) != "host 10.0.0.2\nhost 10.0.0.3\n" {
		t.Errorf("output after Continue = %q, want it cut back to the checkpoint", b)
	}
	if got := drain(t, tr2.Targets(stream("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"))); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.4"}) {
		t.Errorf("resumed stream %v, want the in-flight host and the rest", got)
	}
}

// fileSink writes a header at Start and a line per host, as the text
// outputs do.
type fileSink struct{ f *os.File }

func (s fileSink) Start(context.Context, sdk.ScanStart) error {
	_, err := s.f.WriteString("header\n")
	return err
}
func (s fileSink) Host(_ context.Context, h sdk.Host) error {
	_, err := s.f.WriteString("host " + h.Addr.String() + "\n")
	return err
}
func (s fileSink) End(context.Context, sdk.ScanEnd) error { return nil }

// TestResumeWritesHeaderOnce stops a scan before its outputs began and,
// apart, just after, and resumes each: the file holds its header once,
// then the hosts. A stop in the first second used to resume without the
// header (the only checkpoint predated it), leaving XML with no root.
func TestResumeWritesHeaderOnce(t *testing.T) {
	for _, begun := range []bool{false, true} {
		dir := t.TempDir()
		out, err := os.Create(filepath.Join(dir, "out.txt"))
		if err != nil {
			t.Fatal(err)
		}
		path := out.Name() + Suffix
		outs := []Output{{ID: "output.normal", Path: out.Name(), File: out}}
		tr, err := Start(path, "targets = [\"x\"]\n", []string{"x"}, sdk.ScanStart{}, outs, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		next := tr.Targets(stream("10.0.0.1"))
		if begun {
			if err := tr.Sink(fileSink{out}).Start(context.Background(), sdk.ScanStart{}); err != nil {
				t.Fatal(err)
			}
		}
		next(context.Background())
		out.WriteString("host 10.0.0.1\n") // finished, but not checkpointed
		// Killed here.
		ck, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Started != begun {
			t.Errorf("begun=%v: checkpoint Started = %v", begun, ck.Started)
		}
		tr2, hosts, err := Continue(path, ck, outs, time.Hour)
		if err != nil || len(hosts) != 0 {
			t.Fatalf("Continue: %d hosts, %v", len(hosts), err)
		}
		sink := tr2.Sink(fileSink{out})
		ctx := context.Background()
		if err := sink.Start(ctx, sdk.ScanStart{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range drain(t, tr2.Targets(stream("10.0.0.1"))) {
			if err := sink.Host(ctx, sdk.Host{Addr: netip.MustParseAddr(a), Status: sdk.HostStatus{State: "up"}}); err != nil {
				t.Fatal(err)
			}
		}
		if b, _ := os.ReadFile(out.Name()); string(b) != "header\nhost 10.0.0.1\n" {
			t.Errorf("begun=%v: resumed file %q, want the header once and the host", begun, b)
		}
		out.Close()
	}
}
