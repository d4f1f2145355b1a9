package profile

import (
	"reflect"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
func ptr[T any](v T) *T      { return &v }

func TestResolveTemplates(t *testing.T) {
	t.Parallel()
	// Rows of nmap-internals §2.1, one per template.
	tests := []struct {
		name     string
		template *int
		want     Resolved
	}{
		{"default is T3", nil, Resolved{Level: 3, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(10000), InitialRTTTimeout: ms(1000), MaxRetries: 10,
			MaxTCPScanDelay: ms(1000), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(1000)}},
		{"T0 paranoid", ptr(0), Resolved{Level: 0, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(300000), InitialRTTTimeout: ms(300000), MaxRetries: 10,
			ScanDelay: ms(300000), MaxTCPScanDelay: ms(1000), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(1000), MaxParallelism: 1}},
		{"T1 sneaky", ptr(1), Resolved{Level: 1, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(15000), InitialRTTTimeout: ms(15000), MaxRetries: 10,
			ScanDelay: ms(15000), MaxTCPScanDelay: ms(1000), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(1000), MaxParallelism: 1}},
		{"T2 polite", ptr(2), Resolved{Level: 2, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(10000), InitialRTTTimeout: ms(1000), MaxRetries: 10,
			ScanDelay: ms(400), MaxTCPScanDelay: ms(1000), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(1000), MaxParallelism: 1}},
		{"T3 normal", ptr(3), Resolved{Level: 3, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(10000), InitialRTTTimeout: ms(1000), MaxRetries: 10,
			MaxTCPScanDelay: ms(1000), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(1000)}},
		{"T4 aggressive", ptr(4), Resolved{Level: 4, MinRTTTimeout: ms(100), MaxRTTTimeout: ms(1250), InitialRTTTimeout: ms(500), MaxRetries: 6,
			MaxTCPScanDelay: ms(10), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(10)}},
		{"T5 insane", ptr(5), Resolved{Level: 5, MinRTTTimeout: ms(50), MaxRTTTimeout: ms(300), InitialRTTTimeout: ms(250), MaxRetries: 2,
			MaxTCPScanDelay: ms(5), MaxUDPScanDelay: ms(1000), MaxSCTPScanDelay: ms(5), HostTimeout: ms(900000)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Timing{Template: tc.template}.Resolve()
			if !resolvedEqual(got, tc.want) {
				t.Errorf("Resolve() =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func resolvedEqual(a, b Resolved) bool {
	a.Warnings, b.Warnings = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestResolveOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		timing Timing
		check  func(Resolved) bool
	}{
		{"explicit retries beat T5", Timing{Template: ptr(5), MaxRetries: ptr(5)}, func(r Resolved) bool { return r.MaxRetries == 5 }},
		{"zero retries is kept", Timing{MaxRetries: ptr(0)}, func(r Resolved) bool { return r.MaxRetries == 0 }},
		{"host timeout 0 removes T5's", Timing{Template: ptr(5), HostTimeout: ptr(time.Duration(0))}, func(r Resolved) bool { return r.HostTimeout == 0 }},
		{"max rtt below initial drags initial and min down", Timing{MaxRTTTimeout: ptr(ms(80))},
			func(r Resolved) bool {
				return r.MaxRTTTimeout == ms(80) && r.InitialRTTTimeout == ms(80) && r.MinRTTTimeout == ms(80)
			}},
		{"initial above max raises max", Timing{Template: ptr(4), InitialRTTTimeout: ptr(ms(3000))},
			func(r Resolved) bool {
				return r.InitialRTTTimeout == ms(3000) && r.MaxRTTTimeout == ms(3000) && r.MinRTTTimeout == ms(100)
			}},
		{"min above initial raises initial and max", Timing{Template: ptr(5), MinRTTTimeout: ptr(ms(400))},
			func(r Resolved) bool {
				return r.MinRTTTimeout == ms(400) && r.InitialRTTTimeout == ms(400) && r.MaxRTTTimeout == ms(400)
			}},
		{"max rtt is applied after min, so it wins", Timing{MinRTTTimeout: ptr(ms(500)), MaxRTTTimeout: ptr(ms(200))},
			func(r Resolved) bool { return r.MinRTTTimeout == ms(200) && r.MaxRTTTimeout == ms(200) }},
		{"scan delay raises every max scan delay", Timing{Template: ptr(4), ScanDelay: ptr(ms(50))},
			func(r Resolved) bool {
				return r.ScanDelay == ms(50) && r.MaxTCPScanDelay == ms(50) && r.MaxSCTPScanDelay == ms(50) && r.MaxUDPScanDelay == ms(1000)
			}},
		{"max scan delay sets all three", Timing{MaxScanDelay: ptr(ms(20))},
			func(r Resolved) bool {
				return r.MaxTCPScanDelay == ms(20) && r.MaxUDPScanDelay == ms(20) && r.MaxSCTPScanDelay == ms(20)
			}},
		{"scan delay overrides parallelism with a warning", Timing{ScanDelay: ptr(ms(10)), MaxParallelism: ptr(50)},
			func(r Resolved) bool { return r.MaxParallelism == 1 && len(r.Warnings) == 1 }},
		{"explicit parallelism beats T2", Timing{Template: ptr(2), MaxParallelism: ptr(20)}, func(r Resolved) bool { return r.MaxParallelism == 20 }},
		{"rates and host groups pass through", Timing{MinRate: ptr(100.0), MaxRate: ptr(2000.5), MinHostgroup: ptr(8), MaxHostgroup: ptr(256)},
			func(r Resolved) bool {
				return r.MinRate == 100 && r.MaxRate == 2000.5 && r.MinHostgroup == 8 && r.MaxHostgroup == 256
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.timing.Resolve(); !tc.check(got) {
				t.Errorf("Resolve() = %+v", got)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"5", 5 * time.Second, false},
		{"0", 0, false},
		{"1.5", 1500 * time.Millisecond, false},
		{"500ms", ms(500), false},
		{"500MS", ms(500), false},
		{"2s", 2 * time.Second, false},
		{"15m", 15 * time.Minute, false},
		{"1h", time.Hour, false},
		{"0.25h", 15 * time.Minute, false},
		{"1.4ms", ms(1), false},
		{"", 0, true},
		{"ms", 0, true},
		{"-1s", 0, true},
		{"+1s", 0, true},
		{"1e3", 0, true},
		{"5 s", 0, true},
		{"5d", 0, true},
		{"inf", 0, true},
		{"NaN", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, ms(1), ms(999), time.Second, ms(1500), 90 * time.Second, time.Hour, 25 * time.Hour, ms(3600001)} {
		s := FormatDuration(d)
		got, err := ParseDuration(s)
		if err != nil || got != d {
			t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", d, s, got, err)
		}
	}
	if got := FormatDuration(90 * time.Second); got != "90s" {
		t.Errorf("FormatDuration(90s) = %q, want 90s", got)
	}
}

func TestParseTemplate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"0": 0, "5": 5, "paranoid": 0, "Aggressive": 4, "INSANE": 5, "normal": 3} {
		if got, err := ParseTemplate(in); err != nil || got != want {
			t.Errorf("ParseTemplate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"6", "-1", "fast", "", "T4", "44"} {
		if _, err := ParseTemplate(in); err == nil {
			t.Errorf("ParseTemplate(%q) succeeded, want error", in)
		}
	}
}
