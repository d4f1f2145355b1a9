package nmaptext

import (
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

func TestLatency(t *testing.T) {
	// Values seen in Nmap 7.93 output ("Host is up (0.00036s latency).").
	cases := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"loopback connect", 360 * time.Microsecond, "0.00036"},
		{"raw loopback", 8 * time.Microsecond, "0.0000080"},
		{"rounds half up", 75 * time.Microsecond, "0.000075"},
		{"carry keeps the decimals", 99600 * time.Microsecond, "0.100"},
		{"above a second", 1234 * time.Millisecond, "1.2"},
		{"tens of seconds", 12300 * time.Millisecond, "12"},
		{"zero", 0, "0.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Latency(c.d); got != c.want {
				t.Errorf("Latency(%v) = %q, want %q", c.d, got, c.want)
			}
		})
	}
}

func TestVersionTruncation(t *testing.T) {
	long := strings.Repeat("x", 200)
	got := Version(&sdk.Service{Product: long})
	if len(got) != maxVersionLen || !strings.HasSuffix(got, "...") {
		t.Errorf("Version of a %d-byte product: %d bytes %q", len(long), len(got), got)
	}
	if got := Version(&sdk.Service{Product: "OpenSSH", Version: "8.9p1", ExtraInfo: "protocol 2.0"}); got != "OpenSSH 8.9p1 (protocol 2.0)" {
		t.Errorf("Version = %q", got)
	}
}

func TestHostShown(t *testing.T) {
	up := sdk.Host{Status: sdk.HostStatus{State: "up"}}
	upOpen := sdk.Host{Status: sdk.HostStatus{State: "up"}, Ports: []sdk.Port{{State: sdk.StateOpen}}}
	upCollapsedOF := sdk.Host{Status: sdk.HostStatus{State: "up"}, ExtraPorts: []sdk.ExtraPorts{{State: sdk.StateOpenFiltered, Count: 30}}}
	down := sdk.Host{Status: sdk.HostStatus{State: "down"}}
	cases := []struct {
		name string
		scan sdk.ScanStart
		host sdk.Host
		want bool
	}{
		{"up", sdk.ScanStart{}, up, true},
		{"down quiet", sdk.ScanStart{}, down, false},
		{"down verbose", sdk.ScanStart{Verbose: 1}, down, true},
		{"open only without open ports", sdk.ScanStart{OpenOnly: true}, up, false},
		{"open only with an open port", sdk.ScanStart{OpenOnly: true}, upOpen, true},
		{"open only with collapsed open|filtered", sdk.ScanStart{OpenOnly: true}, upCollapsedOF, true},
		{"open only hides down even verbose", sdk.ScanStart{OpenOnly: true, Verbose: 2}, down, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := HostShown(c.scan, c.host); got != c.want {
				t.Errorf("HostShown = %v, want %v", got, c.want)
			}
		})
	}
}
