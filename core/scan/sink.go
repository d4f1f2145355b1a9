package scan

import (
	"context"
	"fmt"
	"io"

	"github.com/scanfw/scanfw/sdk"
)

// OutputSink is one output plugin and the destination its bytes go to.
type OutputSink struct {
	ID   string
	Impl sdk.Output
	Dest sdk.OutputDest
	W    io.Writer // the core opened it; *os.File writes reach the disk unbuffered
}

// Fanout hands every event to each output in turn and writes what the
// output returns at once, so the files grow host by host. An output that
// fails is dropped from the rest of the scan, but the others go on and the
// first error is reported at the end.
type Fanout struct {
	Outputs []OutputSink
	failed  []bool
	err     error
	// verbose is the scan's verbosity, from Start.
	verbose int
}

func (f *Fanout) each(ctx context.Context, what string, call func(o OutputSink) ([]byte, error)) error {
	if f.failed == nil {
		f.failed = make([]bool, len(f.Outputs))
	}
	for i, o := range f.Outputs {
		if f.failed[i] {
			continue
		}
		b, err := call(o)
		if err == nil && len(b) > 0 {
			_, err = o.W.Write(b)
		}
		if err != nil {
			f.failed[i] = true
			if f.err == nil {
				f.err = fmt.Errorf("output %s (%s): %s: %w", o.ID, o.Dest.Path, what, err)
			}
		}
	}
	return f.err
}

// Start implements Sink.
func (f *Fanout) Start(ctx context.Context, s sdk.ScanStart) error {
	f.verbose = s.Verbose
	return f.each(ctx, "start", func(o OutputSink) ([]byte, error) { return o.Impl.Start(ctx, o.Dest, s) })
}

// Host implements Sink.
//
// A down host reaches the outputs only at -v or more: Nmap shows none
// below that, every built-in output follows it (nmaptext.HostShown), and a
// call costs a plugin round trip (~135 us) per output for each of the
// thousands of down hosts of a sweep (0.6 s per output for a silent /20).
func (f *Fanout) Host(ctx context.Context, h sdk.Host) error {
	if f.verbose == 0 && h.Status.State == "down" {
		return f.err
	}
	return f.each(ctx, "host "+h.Addr.String(), func(o OutputSink) ([]byte, error) { return o.Impl.Host(ctx, h) })
}

// End implements Sink. Every output that is still working gets its end,
// even after another failed.
func (f *Fanout) End(ctx context.Context, e sdk.ScanEnd) error {
	return f.each(ctx, "end", func(o OutputSink) ([]byte, error) { return o.Impl.End(ctx, e) })
}
