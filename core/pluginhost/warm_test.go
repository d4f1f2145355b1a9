package pluginhost

import (
	"context"
	"strings"
	"syscall"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
)

func TestWarmHandsOutEachProcessOnce(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	src := Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true}
	h.Warm(ctx, src, src)
	pids := map[int]bool{}
	for range 3 {
		p, err := h.Start(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if pids[p.PID()] {
			t.Fatalf("pid %d handed out twice", p.PID())
		}
		pids[p.PID()] = true
	}
	if n := len(h.warm); n != 0 {
		t.Errorf("%d warm starts left after three Starts", n)
	}
}

func TestWarmFailureReachesStart(t *testing.T) {
	h := newHost(t)
	src := Source{ID: "probe.other", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true}
	h.Warm(context.Background(), src)
	_, err := h.Start(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), `says it is "probe.test"`) {
		t.Fatalf("err = %v", err)
	}
}

// A warm plugin nobody took is stopped by Close, even when Close comes
// while it is still starting.
func TestCloseStopsUntakenWarmPlugins(t *testing.T) {
	h := New(hclog.NewNullLogger())
	src := Source{ID: "probe.test", Path: self(t), Args: []string{"serve-plugin"}, Builtin: true}
	h.Warm(context.Background(), src)
	starting := h.warm[0]
	h.Close()
	select {
	case <-starting.done:
	default:
		t.Fatal("Close returned while a warm start was still under way")
	}
	if starting.p != nil {
		if err := syscall.Kill(starting.p.PID(), 0); err == nil {
			t.Errorf("warm plugin pid %d, started during Close, still runs", starting.p.PID())
		}
	}
	h2 := New(hclog.NewNullLogger())
	h2.Warm(context.Background(), src)
	w := h2.warm[0]
	<-w.done
	if w.err != nil {
		t.Fatal(w.err)
	}
	pid := w.p.PID()
	h2.Close()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("warm plugin pid %d still runs after Close", pid)
	}
}
