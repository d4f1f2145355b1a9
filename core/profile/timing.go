package profile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultTemplate is the timing template used when none is given (-T3).
const DefaultTemplate = 3

// TemplateNames are Nmap's names for -T0 .. -T5, indexed by level.
var TemplateNames = [...]string{"paranoid", "sneaky", "polite", "normal", "aggressive", "insane"}

// ParseTemplate accepts a level "0".."5" or its name in any case.
func ParseTemplate(s string) (int, error) {
	if len(s) == 1 && s[0] >= '0' && s[0] <= '5' {
		return int(s[0] - '0'), nil
	}
	for i, n := range TemplateNames {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown timing template %q: use 0..5 or one of %s", s, strings.Join(TemplateNames[:], ", "))
}

// Resolved is the timing the engine runs with: the template's values with
// the explicit overrides applied. Zero parallelism or hostgroup bounds mean
// "no bound"; a zero host timeout means none.
type Resolved struct {
	Level             int
	MinRTTTimeout     time.Duration
	MaxRTTTimeout     time.Duration
	InitialRTTTimeout time.Duration
	MaxRetries        int
	ScanDelay         time.Duration
	MaxTCPScanDelay   time.Duration
	MaxUDPScanDelay   time.Duration
	MaxSCTPScanDelay  time.Duration
	HostTimeout       time.Duration
	MinParallelism    int
	MaxParallelism    int
	MinRate, MaxRate  float64 // packets per second, 0: none
	MinHostgroup      int
	MaxHostgroup      int

	// Warnings explains overrides that had no effect, in Nmap's spirit.
	Warnings []string
}

// rtt setters keep min <= initial <= max the way Nmap's NmapOps setters do:
// the value just set wins and drags the others along.
func (r *Resolved) setMinRTT(d time.Duration) {
	r.MinRTTTimeout = d
	r.MaxRTTTimeout = max(r.MaxRTTTimeout, d)
	r.InitialRTTTimeout = max(r.InitialRTTTimeout, d)
}

func (r *Resolved) setMaxRTT(d time.Duration) {
	r.MaxRTTTimeout = d
	r.MinRTTTimeout = min(r.MinRTTTimeout, d)
	r.InitialRTTTimeout = min(r.InitialRTTTimeout, d)
}

func (r *Resolved) setInitialRTT(d time.Duration) {
	r.InitialRTTTimeout = d
	r.MaxRTTTimeout = max(r.MaxRTTTimeout, d)
	r.MinRTTTimeout = min(r.MinRTTTimeout, d)
}

// Resolve applies the template table (nmap-internals §2.1) and then every
// explicit override, so "-T4 --max-retries 5" and "--max-retries 5 -T4"
// resolve the same.
func (t Timing) Resolve() Resolved {
	ms := time.Millisecond
	r := Resolved{
		Level:             DefaultTemplate,
		MinRTTTimeout:     100 * ms,
		MaxRTTTimeout:     10000 * ms,
		InitialRTTTimeout: 1000 * ms,
		MaxRetries:        10,
		MaxTCPScanDelay:   1000 * ms,
		MaxUDPScanDelay:   1000 * ms,
		MaxSCTPScanDelay:  1000 * ms,
	}
	if t.Template != nil {
		r.Level = *t.Template
	}
	switch r.Level {
	case 0, 1:
		// Raising initial drags max up with it (300 s at T0, 15 s at T1).
		initial := map[int]time.Duration{0: 300000 * ms, 1: 15000 * ms}[r.Level]
		r.setInitialRTT(initial)
		r.ScanDelay = initial
		r.MaxParallelism = 1
	case 2:
		r.ScanDelay = 400 * ms
		r.MaxParallelism = 1
	case 4:
		r.setMinRTT(100 * ms)
		r.setMaxRTT(1250 * ms)
		r.setInitialRTT(500 * ms)
		r.MaxRetries = 6
		r.MaxTCPScanDelay = 10 * ms
		r.MaxSCTPScanDelay = 10 * ms
	case 5:
		r.setMinRTT(50 * ms)
		r.setMaxRTT(300 * ms)
		r.setInitialRTT(250 * ms)
		r.MaxRetries = 2
		r.MaxTCPScanDelay = 5 * ms
		r.MaxSCTPScanDelay = 5 * ms
		r.HostTimeout = 900000 * ms
	}

	// Overrides, in the order Nmap's apply_delayed_options uses.
	if t.MaxParallelism != nil {
		r.MaxParallelism = *t.MaxParallelism
	}
	if t.MinParallelism != nil {
		r.MinParallelism = *t.MinParallelism
	}
	if t.ScanDelay != nil {
		d := *t.ScanDelay
		r.ScanDelay = d
		r.MaxTCPScanDelay = max(r.MaxTCPScanDelay, d)
		r.MaxUDPScanDelay = max(r.MaxUDPScanDelay, d)
		r.MaxSCTPScanDelay = max(r.MaxSCTPScanDelay, d)
		if d > 0 && (t.MinParallelism != nil || t.MaxParallelism != nil) {
			r.Warnings = append(r.Warnings, "min/max parallelism is ignored with a scan delay")
			r.MinParallelism, r.MaxParallelism = 0, 1
		}
	}
	if t.MaxScanDelay != nil {
		r.MaxTCPScanDelay = *t.MaxScanDelay
		r.MaxUDPScanDelay = *t.MaxScanDelay
		r.MaxSCTPScanDelay = *t.MaxScanDelay
	}
	if t.InitialRTTTimeout != nil {
		r.setInitialRTT(*t.InitialRTTTimeout)
	}
	if t.MinRTTTimeout != nil {
		r.setMinRTT(*t.MinRTTTimeout)
	}
	if t.MaxRTTTimeout != nil {
		r.setMaxRTT(*t.MaxRTTTimeout)
	}
	if t.MaxRetries != nil {
		r.MaxRetries = *t.MaxRetries
	}
	if t.HostTimeout != nil {
		r.HostTimeout = *t.HostTimeout
	}
	if t.MinRate != nil {
		r.MinRate = *t.MinRate
	}
	if t.MaxRate != nil {
		r.MaxRate = *t.MaxRate
	}
	if t.MinHostgroup != nil {
		r.MinHostgroup = *t.MinHostgroup
	}
	if t.MaxHostgroup != nil {
		r.MaxHostgroup = *t.MaxHostgroup
	}
	return r
}

// ParseDuration reads an Nmap time value: a non-negative decimal number with
// an optional unit ms, s, m or h. A bare number is seconds, as in Nmap
// (nbase tval2secs), not milliseconds. The result is rounded to whole
// milliseconds, the resolution Nmap keeps.
func ParseDuration(s string) (time.Duration, error) {
	num, unit := s, time.Second
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if rest, ok := strings.CutSuffix(strings.ToLower(s), u.suffix); ok {
			num, unit = s[:len(rest)], u.d
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || num[0] == '+' || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(num, "eExXpP_") {
		return 0, fmt.Errorf("invalid time %q: want a number with an optional unit ms, s, m or h (bare numbers are seconds)", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("invalid time %q: must not be negative", s)
	}
	ms := math.Round(f * float64(unit) / float64(time.Millisecond))
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, fmt.Errorf("invalid time %q: too large", s)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// FormatDuration writes d in the largest Nmap unit that holds it exactly,
// so ParseDuration(FormatDuration(d)) == d for whole milliseconds.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	default:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
}
