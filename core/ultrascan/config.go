package ultrascan

import "time"

// Config is the concrete timing of a scan. core/profile resolves -T0..5 and
// the explicit timing flags into these values; the engine takes them as
// they are.
type Config struct {
	// TimingLevel is the -T level 0..5; it picks the congestion-avoidance
	// increment and the ssthresh divisor on drops (nmap-internals §2.3).
	TimingLevel int
	// InitialRTT is the probe timeout before any reply has been timed.
	InitialRTT time.Duration
	// MinRTT and MaxRTT clamp the computed probe timeout.
	MinRTT, MaxRTT time.Duration
	// MaxRetries caps the retransmissions of one port (--max-retries). The
	// allowance starts at one and grows only with evidence of loss.
	MaxRetries int
	// ScanDelay is the least time between two probes to one host.
	ScanDelay time.Duration
	// MaxScanDelay caps the scan delay when it is raised against rate
	// limiting (not done yet; kept so profiles can already pass it).
	MaxScanDelay time.Duration
	// MinRate and MaxRate are global probes per second; 0 means none.
	MinRate, MaxRate float64
	// MinParallelism and MaxParallelism bound the congestion windows; 0
	// means Nmap's defaults (1 and 300).
	MinParallelism, MaxParallelism int
	// HostTimeout gives up on a host this long after its first probe; 0
	// means never.
	HostTimeout time.Duration
	// MaxInFlight is a hard cap on probes in flight over all hosts, for
	// drivers with a scarce resource per probe (a connect scan's sockets).
	// 0 means none.
	MaxInFlight int
}

// DefaultConfig returns Nmap's -T3 values (nmap-internals §2.1).
func DefaultConfig() Config {
	return Config{
		TimingLevel:  3,
		InitialRTT:   time.Second,
		MinRTT:       100 * time.Millisecond,
		MaxRTT:       10 * time.Second,
		MaxRetries:   10,
		MaxScanDelay: time.Second,
	}
}

// Congestion-control constants (nmap-internals §2.3, timing.cc).
const (
	initialCwnd     = 10
	initialSSThresh = 75
	defaultMaxCwnd  = 300
	ccScaleMax      = 50
	groupCwndDiv    = 2.0
	// hostWindowProbes is how many probes a host sends on its own window
	// before it falls back to the group's (Nmap's getTiming).
	hostWindowProbes = 80
	// sendsPerWait caps probes chosen by one Next call, so the driver
	// collects replies between bursts (Nmap: 50 sends between waits).
	sendsPerWait = 50
)

// perf is the derived, constant part of the congestion control.
type perf struct {
	lowCwnd, maxCwnd float64
	caIncr           float64
	ssthreshDiv      float64
}

func newPerf(cfg Config) perf {
	p := perf{lowCwnd: 1, maxCwnd: defaultMaxCwnd, caIncr: 1, ssthreshDiv: 1.5}
	if cfg.MinParallelism > 0 {
		p.lowCwnd = float64(cfg.MinParallelism)
	}
	if cfg.MaxParallelism > 0 {
		p.maxCwnd = float64(cfg.MaxParallelism)
	}
	p.maxCwnd = max(p.maxCwnd, p.lowCwnd)
	switch {
	case cfg.TimingLevel >= 5:
		p.caIncr, p.ssthreshDiv = 2, 5.0/4
	case cfg.TimingLevel == 4:
		p.caIncr, p.ssthreshDiv = 2, 4.0/3
	}
	return p
}

func (p perf) initialWindow() window {
	return window{cwnd: min(max(initialCwnd, p.lowCwnd), p.maxCwnd), ssthresh: initialSSThresh}
}
