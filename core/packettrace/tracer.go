package packettrace

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Tracer writes trace lines. Its methods are safe for concurrent use (the
// raw driver receives on one goroutine per path and sends on another). A
// nil *Tracer is valid and does nothing, so a driver can call it without a
// check of its own, though the hot paths check for nil to skip the work.
type Tracer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	now   func() time.Time
	buf   []byte
}

// New returns a tracer writing to w with times relative to start (Nmap
// counts from its own start).
func New(w io.Writer, start time.Time) *Tracer {
	return &Tracer{w: w, start: start, now: time.Now}
}

// Sent traces a packet that left; frame starts at the Ethernet header when
// link is true, else at the IP header.
func (t *Tracer) Sent(frame []byte, link bool) {
	if t == nil {
		return
	}
	t.line("SENT", t.now(), describeAny(frame, link))
}

// Received traces a packet that arrived at the given time (the kernel's
// receive time when known; the zero time means now).
func (t *Tracer) Received(frame []byte, link bool, at time.Time) {
	if t == nil {
		return
	}
	if at.IsZero() {
		at = t.now()
	}
	t.line("RCVD", at, describeAny(frame, link))
}

// Connect traces a connect() to dst and its outcome: err nil means it
// connected; EINPROGRESS is the start of a non-blocking connect.
func (t *Tracer) Connect(dst netip.AddrPort, err error) {
	if t == nil {
		return
	}
	t.line("CONN", t.now(), fmt.Sprintf("TCP localhost > %s => %s", nmapAddrPort(dst), errText(err)))
}

// nmapAddrPort writes IPv6 without brackets, as Nmap's "%s:%d" does.
func nmapAddrPort(ap netip.AddrPort) string {
	return fmt.Sprintf("%s:%d", ap.Addr().Unmap(), ap.Port())
}

// errText is the C library's text for an error, which Nmap prints: Go's
// errno texts are the same words without the capital.
func errText(err error) string {
	if err == nil {
		return "Connected"
	}
	var s string
	if en, ok := err.(syscall.Errno); ok {
		s = en.Error()
	} else {
		s = err.Error()
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func describeAny(frame []byte, link bool) string {
	if link {
		return DescribeFrame(frame)
	}
	return Describe(frame)
}

func (t *Tracer) line(dir string, at time.Time, what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = fmt.Appendf(t.buf[:0], "%s (%.4fs) %s\n", dir, at.Sub(t.start).Seconds(), what)
	_, _ = t.w.Write(t.buf)
}
