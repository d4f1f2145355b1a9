package pluginhost

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/sdk"
)

// The test binary doubles as a plugin executable: started with the first
// argument "serve-plugin" it serves a small probe type, so these tests start
// real subprocesses through the real handshake.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "serve-plugin" {
		version := sdk.ProtocolVersion
		if len(os.Args) > 2 && os.Args[2] == "v2" {
			version = 2
		}
		sdk.ServeVersion(version, testProbe{})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type testProbe struct{}

func (testProbe) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{ID: "probe.test", Kind: sdk.KindProbe, Version: "1.2.3",
		Config: []sdk.ConfigField{{Name: "depth", Type: "number", Default: 3}}}, nil
}

func (testProbe) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	var cfg struct{ Depth int }
	if err := s.Decode(&cfg); err != nil {
		return nil, err
	}
	if cfg.Depth > 10 {
		return []sdk.Diagnostic{{Severity: "error", Summary: "depth too large", Attribute: "depth"}}, nil
	}
	return nil, nil
}

func (testProbe) Describe(context.Context) (sdk.ProbeSpec, error) {
	return sdk.ProbeSpec{ScanType: "test", Proto: sdk.ProtoTCP, Transport: sdk.TransportConnect,
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"},
		Rules: []sdk.ReplyRule{{Match: sdk.ReplyMatch{Kind: sdk.MatchConnect, ConnectOutcome: sdk.ConnectRefused, ICMPType: -1},
			Verdict: sdk.Verdict{State: sdk.StateClosed, Reason: "conn-refused"}}}}, nil
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func newHost(t *testing.T) *Host {
	h := New(hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Warn}))
	t.Cleanup(h.Close)
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestStartBuiltinSpeaksTheProtocol(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	p, err := h.Start(ctx, Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Info.Version != "1.2.3" || p.Info.Kind != sdk.KindProbe || p.Info.Config[0].Default != float64(3) {
		t.Errorf("info = %+v", p.Info)
	}
	spec, err := p.Client.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if spec.ScanType != "test" || len(spec.Rules) != 1 || spec.Rules[0].Verdict.State != sdk.StateClosed || spec.Silence.Reason != "no-response" {
		t.Errorf("spec = %+v", spec)
	}
	diags, err := p.Client.Configure(ctx, sdk.Settings(`{"depth": 11}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || diags[0].Attribute != "depth" {
		t.Errorf("diags = %+v", diags)
	}
	if p.PID() <= 0 || p.PID() == os.Getpid() {
		t.Errorf("PID = %d, want a child process", p.PID())
	}
}

func TestWrongIDIsRefused(t *testing.T) {
	h := newHost(t)
	_, err := h.Start(context.Background(), Source{ID: "probe.other", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true})
	if err == nil || !strings.Contains(err.Error(), `says it is "probe.test"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestProtocolMismatchNamesBothVersions(t *testing.T) {
	h := newHost(t)
	_, err := h.Start(context.Background(), Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin", "v2"}, Builtin: true})
	if err == nil {
		t.Fatal("a v2 plugin was accepted by a v1 core")
	}
	for _, want := range []string{"protocol v2", "speaks v1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// external copies the test binary into a directory as an external plugin.
func external(t *testing.T) (dir, path, sum string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, FilePrefix+"probe.test")
	b, err := os.ReadFile(self(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err = FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, sum
}

func TestExternalPluginIsVerifiedBeforeStart(t *testing.T) {
	_, path, sum := external(t)
	h := newHost(t)
	ctx := context.Background()
	if _, err := h.Start(ctx, Source{ID: "probe.test", Path: path, Args: []string{"serve-plugin"}, SHA256: sum}); err != nil {
		t.Fatalf("pinned plugin refused: %v", err)
	}

	// One byte changed after pinning: refused, and the message names both digests.
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0xff
	// Replace rather than rewrite: the first copy is still running.
	if err := os.WriteFile(path+".new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	_, err := h.Start(ctx, Source{ID: "probe.test", Path: path, Args: []string{"serve-plugin"}, SHA256: sum})
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") || !strings.Contains(err.Error(), sum) {
		t.Fatalf("changed plugin: err = %v", err)
	}
	_, err = h.Start(ctx, Source{ID: "probe.test", Path: path})
	if err == nil || !strings.Contains(err.Error(), "no sha256") {
		t.Fatalf("unpinned plugin: err = %v", err)
	}
}

func TestDiscover(t *testing.T) {
	dir, path, sum := external(t)
	if err := os.WriteFile(path+".sha256", []byte(sum+"  "+filepath.Base(path)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unpinned := filepath.Join(dir, FilePrefix+"output.unpinned")
	if err := os.WriteFile(unpinned, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srcs, errs := Discover([]string{filepath.Join(dir, "missing"), dir})
	if len(srcs) != 1 || srcs[0].ID != "probe.test" || srcs[0].SHA256 != sum || srcs[0].Path != path {
		t.Errorf("sources = %+v", srcs)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "output.unpinned") || !strings.Contains(errs[0].Error(), ".sha256") {
		t.Errorf("errs = %v", errs)
	}
}

func TestDiedReportsAPluginKilledMidUse(t *testing.T) {
	h := newHost(t)
	p, err := h.Start(context.Background(), Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.Died():
		if !strings.Contains(err.Error(), "probe.test") || !strings.Contains(err.Error(), "exited unexpectedly") {
			t.Errorf("died error = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report of the dead plugin")
	}
}

func TestCloseIsNotADeath(t *testing.T) {
	h := New(hclog.NewNullLogger())
	if _, err := h.Start(context.Background(), Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	select {
	case err := <-h.Died():
		t.Fatalf("Close reported as death: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
}
