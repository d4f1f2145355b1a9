package resume

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/sdk"
)

// Output is one output file the tracker keeps in step with the checkpoint.
type Output struct {
	ID   string
	Path string
	File *os.File
}

// Tracker follows a scan: it wraps the target stream to know what was
// taken and the sink to know what finished, and writes the checkpoint at
// host completions, at most once per Every, and when the scan ends.
type Tracker struct {
	path    string
	every   time.Duration
	ck      Checkpoint
	outputs []Output
	journal *os.File

	// Resuming: the first skip targets of the stream were taken before;
	// of them only those in redo are scanned again.
	skip int64
	redo map[netip.Addr]int

	// resuming says the outputs were continued, not started; base are the
	// hosts the checkpoint had finished, added to this run's totals.
	resuming bool
	base     struct{ up, down int }

	mu       sync.Mutex
	inflight map[netip.Addr]int
	jbytes   int64
	last     time.Time
	err      error
}

// Start begins a fresh checkpoint at path for a scan.
func Start(path, definition string, args []string, start sdk.ScanStart, outputs []Output, every time.Duration) (*Tracker, error) {
	j, err := os.OpenFile(JournalPath(path), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("checkpoint journal: %w", err)
	}
	t := &Tracker{
		path: path, every: every, outputs: outputs, journal: j,
		inflight: map[netip.Addr]int{},
		ck:       Checkpoint{Version: FormatVersion, Definition: definition, Hash: Hash(definition), Args: args, Start: start},
	}
	return t, t.save()
}

// Continue picks up the checkpoint ck (loaded from path) for the same scan:
// it cuts the journal and every output file back to their recorded
// lengths and returns the finished hosts, which the caller replays into
// the output plugins (Replay) so their state is as it was.
func Continue(path string, ck *Checkpoint, outputs []Output, every time.Duration) (*Tracker, []sdk.Host, error) {
	if len(outputs) != len(ck.Outputs) {
		return nil, nil, fmt.Errorf("cannot resume: the checkpoint has %d output files, this scan %d", len(ck.Outputs), len(outputs))
	}
	for i, o := range outputs {
		m := ck.Outputs[i]
		if o.ID != m.ID || o.Path != m.Path {
			return nil, nil, fmt.Errorf("cannot resume: output %d is %s %s in the checkpoint, %s %s now", i+1, m.ID, m.Path, o.ID, o.Path)
		}
		if err := o.File.Truncate(m.Offset); err != nil {
			return nil, nil, fmt.Errorf("cannot resume %s: %w", o.Path, err)
		}
		if _, err := o.File.Seek(m.Offset, io.SeekStart); err != nil {
			return nil, nil, fmt.Errorf("cannot resume %s: %w", o.Path, err)
		}
	}
	j, err := os.OpenFile(JournalPath(path), os.O_RDWR, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint journal: %w", err)
	}
	hosts, err := readJournal(j, ck.Journal)
	if err == nil {
		err = j.Truncate(ck.Journal)
	}
	if err == nil {
		_, err = j.Seek(ck.Journal, io.SeekStart)
	}
	if err != nil {
		j.Close()
		return nil, nil, fmt.Errorf("checkpoint journal %s: %w", JournalPath(path), err)
	}
	t := &Tracker{
		path: path, every: every, outputs: outputs, journal: j, ck: *ck,
		skip: ck.Consumed, redo: map[netip.Addr]int{}, inflight: map[netip.Addr]int{},
		jbytes: ck.Journal,
	}
	for _, a := range ck.InFlight {
		addr, err := netip.ParseAddr(a)
		if err != nil {
			j.Close()
			return nil, nil, fmt.Errorf("checkpoint %s: in-flight host %q: %w", path, a, err)
		}
		t.redo[addr]++
	}
	t.ck.Consumed = 0
	t.resuming = ck.Started
	t.base.up, t.base.down = ck.HostsUp, ck.HostsDown
	return t, hosts, nil
}

func readJournal(r io.Reader, n int64) ([]sdk.Host, error) {
	var hosts []sdk.Host
	sc := bufio.NewScanner(io.LimitReader(r, n))
	sc.Buffer(nil, 64<<20)
	for line := 1; sc.Scan(); line++ {
		var h sdk.Host
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, sc.Err()
}

// Replay feeds the finished hosts of a checkpoint to every output plugin
// and throws the bytes away: the files hold them already, but plugins
// that keep state (counts, a report written at the end) need to see them.
// A checkpoint from before the outputs started has nothing to replay: the
// scan's own Start writes the beginning.
func Replay(ctx context.Context, f *scan.Fanout, ck *Checkpoint, hosts []sdk.Host) error {
	if !ck.Started {
		return nil
	}
	start := ck.Start
	for _, o := range f.Outputs {
		if _, err := o.Impl.Start(ctx, o.Dest, start); err != nil {
			return fmt.Errorf("resume output %s: start: %w", o.ID, err)
		}
		for _, h := range hosts {
			if _, err := o.Impl.Host(ctx, h); err != nil {
				return fmt.Errorf("resume output %s: host %s: %w", o.ID, h.Addr, err)
			}
		}
	}
	return nil
}

// Targets wraps the target stream. Resuming, it passes over the targets
// that finished before and yields only those that were in flight, then
// everything after them.
func (t *Tracker) Targets(next func(context.Context) (targets.Target, error)) func(context.Context) (targets.Target, error) {
	return func(ctx context.Context) (targets.Target, error) {
		for {
			tg, err := next(ctx)
			if errors.Is(err, io.EOF) {
				return tg, err
			}
			var re *targets.ResolveError
			if err != nil && !errors.As(err, &re) {
				return tg, err
			}
			t.mu.Lock()
			t.ck.Consumed++
			seen := t.skip > 0
			if seen {
				t.skip--
			}
			again := err == nil && seen && t.redo[tg.Addr] > 0
			if again {
				t.redo[tg.Addr]--
			}
			if err == nil && (!seen || again) {
				t.inflight[tg.Addr]++
			}
			t.mu.Unlock()
			switch {
			case seen && !again:
				continue // finished before, or a name already reported
			default:
				return tg, err
			}
		}
	}
}

// Sink wraps the scan's sink: after each host reaches the outputs it goes
// to the journal and may trigger a checkpoint; at the end the checkpoint
// is written before the outputs close (a completed scan removes it).
func (t *Tracker) Sink(inner scan.Sink) scan.Sink { return &sink{t, inner} }

type sink struct {
	t     *Tracker
	inner scan.Sink
}

// Start is silent when resuming: the files hold their beginning already.
// Otherwise the beginning is written and recorded at once, so a scan
// stopped before its first host resumes after the header, not over it.
func (s *sink) Start(ctx context.Context, st sdk.ScanStart) error {
	if s.t.resuming {
		return nil
	}
	if err := s.inner.Start(ctx, st); err != nil {
		return err
	}
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ck.Started = true
	return t.save()
}

func (s *sink) Host(ctx context.Context, h sdk.Host) error {
	if err := s.inner.Host(ctx, h); err != nil {
		return err
	}
	return s.t.finished(h)
}

func (s *sink) End(ctx context.Context, e sdk.ScanEnd) error {
	t := s.t
	e.HostsUp += t.base.up
	e.HostsDown += t.base.down
	e.HostsTotal += t.base.up + t.base.down
	var cerr error
	if e.Exit == "success" {
		cerr = t.remove()
	} else {
		cerr = t.checkpoint(true)
		t.journal.Close()
	}
	if err := s.inner.End(ctx, e); err != nil {
		return err
	}
	return cerr
}

func (t *Tracker) finished(h sdk.Host) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint journal: %w", err)
	}
	b = append(b, '\n')
	t.mu.Lock()
	if _, err := t.journal.Write(b); err != nil {
		t.mu.Unlock()
		return fmt.Errorf("checkpoint journal: %w", err)
	}
	t.jbytes += int64(len(b))
	if t.inflight[h.Addr] <= 1 {
		delete(t.inflight, h.Addr)
	} else {
		t.inflight[h.Addr]--
	}
	if h.Status.State == "up" {
		t.ck.HostsUp++
	} else {
		t.ck.HostsDown++
	}
	t.mu.Unlock()
	return t.checkpoint(false)
}

// checkpoint saves the state unless one was saved less than every ago.
// The output files are written before the journal, so their current
// lengths match the hosts journalled so far.
func (t *Tracker) checkpoint(force bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !force && time.Since(t.last) < t.every {
		return nil
	}
	return t.save()
}

func (t *Tracker) save() error {
	if t.err != nil {
		return t.err
	}
	if err := t.journal.Sync(); err != nil {
		t.err = fmt.Errorf("checkpoint journal: %w", err)
		return t.err
	}
	ck := t.ck
	ck.Journal = t.jbytes
	// Resuming, the targets passed over count as consumed until the stream
	// has gone past them, and the ones still to rescan stay in flight.
	ck.Consumed += t.skip
	ck.InFlight = nil
	for a, n := range t.inflight {
		for range n {
			ck.InFlight = append(ck.InFlight, a.String())
		}
	}
	for a, n := range t.redo {
		for range n {
			ck.InFlight = append(ck.InFlight, a.String())
		}
	}
	ck.Outputs = make([]Mark, len(t.outputs))
	for i, o := range t.outputs {
		off, err := o.File.Seek(0, io.SeekCurrent)
		if err != nil {
			t.err = fmt.Errorf("checkpoint: position in %s: %w", o.Path, err)
			return t.err
		}
		ck.Outputs[i] = Mark{ID: o.ID, Path: o.Path, Offset: off}
	}
	if err := Save(t.path, &ck); err != nil {
		t.err = err
		return err
	}
	t.last = time.Now()
	return nil
}

// remove deletes the checkpoint of a completed scan: there is nothing left
// to resume.
func (t *Tracker) remove() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.journal.Close()
	err := errors.Join(os.Remove(t.path), os.Remove(JournalPath(t.path)))
	if err != nil {
		return fmt.Errorf("remove checkpoint: %w", err)
	}
	return nil
}
