package progress

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// startSink writes "Starting" on Start, as the normal output does, so the
// test sees the phase lines come after it.
type startSink struct {
	nopSink
	w *bytes.Buffer
}

func (s startSink) Start(context.Context, sdk.ScanStart) error {
	s.w.WriteString("Starting scanfw\n")
	return nil
}

// TestPhaseLines: -v prints Nmap's Initiating/Scanning/Completed lines,
// after the Starting line, and nothing of it is printed without -v or when stdout holds a machine format.
func TestPhaseLines(t *testing.T) {
	c := &fakeClock{now: time.Date(2026, 11, 29, 14, 0, 0, 0, time.Local)}
	cases := []struct {
		name string
		opt  Options
		want string
	}{
		{"-v", Options{Verbose: 1, Discovered: true},
			"Starting scanfw\nInitiating SYN Stealth Scan at 14:00\nScanning 127.0.0.1 [2 ports]\n" +
				"Completed SYN Stealth Scan at 14:00, 0.01s elapsed (2 total ports)\n" +
				"Initiating UDP Scan at 14:00\nScanning 3 hosts [1 port/host]\n" +
				"Completed UDP Scan at 14:00, 1.50s elapsed (3 total ports)\n"},
		{"quiet", Options{Discovered: true}, "Starting scanfw\n"},
		{"machine format on stdout", Options{Verbose: 2}, "Starting scanfw\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			tc.opt.Now = c.Now
			term := New(&out, &bytes.Buffer{}, tc.opt)
			term.Sink(startSink{w: &out}).Start(context.Background(), sdk.ScanStart{})
			term.TechniqueStart("syn", []string{"127.0.0.1"}, 2)
			term.TechniqueEnd("syn", 1, 2, 12*time.Millisecond)
			term.TechniqueStart("udp", []string{"a", "b", "c"}, 1)
			term.TechniqueEnd("udp", 3, 1, 1500*time.Millisecond)
			if out.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tc.want)
			}
		})
	}
}
