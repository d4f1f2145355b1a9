package progress

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scanfw/scanfw/sdk"
)

// Options say what the terminal shows.
type Options struct {
	// Verbose is -v's level: 1 and up print open ports as they are found.
	Verbose int
	// Discovered says standard output is the human-readable output, where
	// Nmap prints "Discovered open port" lines; false when stdout holds a
	// machine format (-oX -, -oJ -) those lines would break.
	Discovered bool
	// StatsEvery prints "Stats:" lines to stdout this often (0: never).
	StatsEvery time.Duration
	// TotalHosts is how many hosts the scan will have (0: unknown), and
	// PortsPerHost how many ports each gets over all techniques; SetScope
	// sets them once they are known.
	TotalHosts   int64
	PortsPerHost int
	// Redraw is how often the status line is redrawn; 0 means once a second.
	Redraw time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Debugging is -d's level: 1 and up print each host's final timing
	// values after its report.
	Debugging int
}

// Terminal tracks a scan and draws what it shows. It implements
// scan.Watcher; Sink wraps the scan's sink so finished hosts are counted.
// Use New, then Run in its own goroutine, and Close at the end.
type Terminal struct {
	opt    Options
	stdout io.Writer
	stderr io.Writer
	tty    bool // stderr is a terminal: draw the status line
	width  int

	mu        sync.Mutex
	counts    func() string // raw packet counts for -v's last line; nil without raw packets
	lineShown bool
	start     time.Time
	scanType  string
	groupLeft int // hosts of the current group not finished yet
	hostsDone int64
	hostsUp   int64
	units     int64 // finished hosts' work plus answers of hosts in progress
	answered  map[netip.Addr]int
	opened    map[netip.Addr]map[uint16]bool
	ended     bool
	stop      chan struct{}
	stopOnce  sync.Once
}

// New returns a terminal that writes to stdout and to stderr. The status
// line is drawn only if stderr is an *os.File on a terminal.
func New(stdout, stderr io.Writer, opt Options) *Terminal {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Redraw <= 0 {
		opt.Redraw = time.Second
	}
	t := &Terminal{
		opt: opt, stdout: stdout, stderr: stderr, width: 80,
		start: opt.Now(), answered: map[netip.Addr]int{}, opened: map[netip.Addr]map[uint16]bool{},
		stop: make(chan struct{}),
	}
	if f, ok := stderr.(*os.File); ok {
		t.tty, t.width = terminal(int(f.Fd()))
	}
	return t
}

// terminal reports whether fd is a terminal and how wide it is.
func terminal(fd int) (bool, int) {
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return false, 0
	}
	if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil && ws.Col >= 20 {
		return true, int(ws.Col)
	}
	return true, 80
}

// SetScope says how big the scan is, for percent done and ETA.
func (t *Terminal) SetScope(totalHosts int64, portsPerHost int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opt.TotalHosts, t.opt.PortsPerHost = totalHosts, portsPerHost
}

// IsTerminal reports whether the status line is drawn.
func (t *Terminal) IsTerminal() bool { return t.tty }

// Stdout returns a writer to stdout that erases the status line first.
func (t *Terminal) Stdout() io.Writer { return erasing{t, t.stdout} }

// Stderr returns a writer to stderr that erases the status line first.
func (t *Terminal) Stderr() io.Writer { return erasing{t, t.stderr} }

type erasing struct {
	t *Terminal
	w io.Writer
}

func (e erasing) Write(b []byte) (int, error) {
	e.t.mu.Lock()
	defer e.t.mu.Unlock()
	e.t.eraseLocked()
	return e.w.Write(b)
}

// eraseLocked clears the status line; the next tick draws it again.
func (t *Terminal) eraseLocked() {
	if t.lineShown {
		io.WriteString(t.stderr, "\r\x1b[K")
		t.lineShown = false
	}
}

// Technique implements scan.Watcher.
func (t *Terminal) Technique(scanType string, hosts, _ int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scanType = scanType
	t.groupLeft = hosts
}

// Port implements scan.Watcher.
func (t *Terminal) Port(addr netip.Addr, p sdk.Port) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.answered[addr] < t.opt.PortsPerHost {
		t.answered[addr]++
		t.units++
	}
	if p.State != sdk.StateOpen || t.opt.Verbose < 1 || !t.opt.Discovered {
		return
	}
	seen := t.opened[addr]
	if seen == nil {
		seen = map[uint16]bool{}
		t.opened[addr] = seen
	}
	if seen[p.Number] {
		return // a retried probe answered again
	}
	seen[p.Number] = true
	t.eraseLocked()
	fmt.Fprintf(t.stdout, "Discovered open port %d/%s on %s\n", p.Number, p.Proto, addr)
}

// hostDone counts a finished host whole.
func (t *Terminal) hostDone(h sdk.Host) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hostsDone++
	if h.Status.State == "up" {
		t.hostsUp++
		if t.groupLeft > 0 {
			t.groupLeft--
		}
	}
	t.units += int64(t.perHost() - t.answered[h.Addr])
	delete(t.answered, h.Addr)
	delete(t.opened, h.Addr)
}

// perHost is what one host is worth; a ping-only scan counts hosts.
func (t *Terminal) perHost() int { return max(t.opt.PortsPerHost, 1) }

// Fraction is the share of the scan done, from 0 to 1.
func (t *Terminal) Fraction() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fractionLocked()
}

func (t *Terminal) fractionLocked() float64 {
	if t.ended {
		return 1
	}
	total := t.opt.TotalHosts * int64(t.perHost())
	if total <= 0 {
		return 0
	}
	// Exclusions and names make TotalHosts an estimate: never claim done.
	return min(float64(t.units)/float64(total), 0.999)
}

// eta returns the time still needed, or false while there is nothing to
// extrapolate from.
func (t *Terminal) etaLocked(now time.Time) (time.Duration, bool) {
	f := t.fractionLocked()
	if f <= 0 || f >= 1 {
		return 0, false
	}
	elapsed := now.Sub(t.start)
	return time.Duration(float64(elapsed) * (1 - f) / f).Round(time.Second), true
}

// StatusLine is the live line: what runs, percent done, hosts, ETA.
func (t *Terminal) StatusLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.statusLocked(t.opt.Now())
}

func (t *Terminal) statusLocked(now time.Time) string {
	var b strings.Builder
	b.WriteString("scanfw: ")
	if t.scanType != "" {
		fmt.Fprintf(&b, "%s scan ", t.scanType)
	}
	fmt.Fprintf(&b, "%.1f%% done", 100*t.fractionLocked())
	if t.opt.TotalHosts > 0 {
		fmt.Fprintf(&b, "; %d/%d hosts", t.hostsDone, t.opt.TotalHosts)
	} else {
		fmt.Fprintf(&b, "; %d hosts", t.hostsDone)
	}
	if left, ok := t.etaLocked(now); ok {
		fmt.Fprintf(&b, "; ETA %s (%s)", clock(left), now.Add(left).Format("15:04:05"))
	} else {
		fmt.Fprintf(&b, "; %s elapsed", clock(now.Sub(t.start)))
	}
	s := b.String()
	if len(s) > t.width-1 {
		s = s[:t.width-1] // the line must not wrap, or \r cannot erase it
	}
	return s
}

// Stats is Nmap's --stats-every report: two lines.
func (t *Terminal) Stats() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.statsLocked(t.opt.Now())
}

func (t *Terminal) statsLocked(now time.Time) string {
	name := "Host discovery"
	if t.scanType != "" {
		name = scanName(t.scanType)
	}
	s := fmt.Sprintf("Stats: %s elapsed; %d hosts completed (%d up), %d undergoing %s\n",
		clock(now.Sub(t.start)), t.hostsDone, t.hostsUp, t.groupLeft, name)
	s += fmt.Sprintf("%s Timing: About %.2f%% done", name, 100*t.fractionLocked())
	if left, ok := t.etaLocked(now); ok {
		s += fmt.Sprintf("; ETC: %s (%s remaining)", now.Add(left).Format("15:04"), clock(left))
	}
	return s + "\n"
}

// scanName is Nmap's name of a technique in progress lines ("Connect Scan").
func scanName(scanType string) string {
	if scanType == "" {
		return "Scan"
	}
	return strings.ToUpper(scanType[:1]) + scanType[1:] + " Scan"
}

// clock formats d as Nmap's H:MM:SS.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// Run redraws the status line and prints stats until ctx ends or Close.
func (t *Terminal) Run(ctx context.Context) {
	redraw := time.NewTicker(t.opt.Redraw)
	defer redraw.Stop()
	var stats <-chan time.Time
	if t.opt.StatsEvery > 0 {
		st := time.NewTicker(t.opt.StatsEvery)
		defer st.Stop()
		stats = st.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.stop:
			return
		case <-redraw.C:
			t.draw()
		case <-stats:
			t.mu.Lock()
			if !t.ended {
				t.eraseLocked()
				io.WriteString(t.stdout, t.statsLocked(t.opt.Now()))
			}
			t.mu.Unlock()
		}
	}
}

func (t *Terminal) draw() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.tty || t.ended {
		return
	}
	io.WriteString(t.stderr, "\r\x1b[K"+t.statusLocked(t.opt.Now()))
	t.lineShown = true
}

// Close stops drawing and erases the status line.
func (t *Terminal) Close() {
	t.stopOnce.Do(func() { close(t.stop) })
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	t.eraseLocked()
}

// Sink is the part of scan.Sink that Terminal needs to see.
type Sink interface {
	Start(ctx context.Context, s sdk.ScanStart) error
	Host(ctx context.Context, h sdk.Host) error
	End(ctx context.Context, e sdk.ScanEnd) error
}

// Sink wraps the scan's sink: finished hosts are counted, and the status
// line stops before the outputs write their ends.
func (t *Terminal) Sink(inner Sink) Sink { return watchedSink{t, inner} }

type watchedSink struct {
	t     *Terminal
	inner Sink
}

func (w watchedSink) Start(ctx context.Context, s sdk.ScanStart) error {
	w.t.mu.Lock()
	if !s.Start.IsZero() {
		w.t.start = s.Start
	}
	w.t.mu.Unlock()
	return w.inner.Start(ctx, s)
}

func (w watchedSink) Host(ctx context.Context, h sdk.Host) error {
	w.t.hostDone(h)
	if err := w.inner.Host(ctx, h); err != nil {
		return err
	}
	w.t.finalTimes(h)
	return nil
}

func (w watchedSink) End(ctx context.Context, e sdk.ScanEnd) error {
	w.t.Close()
	if err := w.inner.End(ctx, e); err != nil {
		return err
	}
	if e.Exit != "error" {
		w.t.packetCounts()
	}
	return nil
}
