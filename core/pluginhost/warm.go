package pluginhost

import (
	"context"
	"slices"
)

// A plugin process costs tens of milliseconds to exec, hand shake and
// answer Info, and a scan needs several (its probe types, the ping probe
// types of host discovery, its outputs, the service matcher) before the
// first probe leaves. Started one after another they were a third of a fast
// SYN scan's time; Warm starts them side by side while the core is still
// parsing ports and expanding targets.

// warmStart is a plugin Warm started or is starting.
type warmStart struct {
	src  Source
	done chan struct{}
	p    *Plugin
	err  error
}

// Warm starts a plugin for each source in the background. A later Start of
// an equal source takes one of them instead of starting another, so Warm
// never changes what a scan runs, only when the processes start. Plugins
// Warm started and nobody took are stopped by Close like the others.
func (h *Host) Warm(ctx context.Context, srcs ...Source) {
	for _, src := range srcs {
		w := &warmStart{src: src, done: make(chan struct{})}
		h.mu.Lock()
		if h.closing {
			h.mu.Unlock()
			return
		}
		h.warm = append(h.warm, w)
		h.mu.Unlock()
		go func() {
			defer close(w.done)
			w.p, w.err = h.start(context.WithoutCancel(ctx), w.src)
		}()
	}
}

// takeWarm removes and returns a warm start of src, if there is one.
func (h *Host) takeWarm(src Source) *warmStart {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, w := range h.warm {
		if sameSource(w.src, src) {
			h.warm = slices.Delete(h.warm, i, i+1)
			return w
		}
	}
	return nil
}

func sameSource(a, b Source) bool {
	return a.ID == b.ID && a.Path == b.Path && a.SHA256 == b.SHA256 &&
		a.Builtin == b.Builtin && slices.Equal(a.Args, b.Args)
}
