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
	// MaxScanDelay caps the scan delay when it is boosted against rate
	// limiting (§2.5; Nmap's per-protocol max scan delay: 1 s, 10 ms at
	// T4, 5 ms at T5 for TCP). 0 forbids boosting.
	MaxScanDelay time.Duration
	// BoostStart is the first boosted scan delay; 0 means Nmap's 5 ms for
	// TCP. A UDP driver passes 50 ms (§2.5).
	BoostStart time.Duration
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
	// NmapCongestion reads every drop as congestion, exactly as Nmap does
	// (§2.3). By default the engine tells random loss from congestion and
	// keeps its windows on random loss (see doc.go).
	NmapCongestion bool
	// NoPacing never paces a rate-limited responder (limiter.go): its
	// silent ports are not waited out (--defeat-icmp-ratelimit).
	NoPacing bool
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
	// pingMagnifier weighs a timing-ping reply in window growth.
	pingMagnifier = 3
	// pingTime is how long a host (or the group) must be silent before a
	// timing ping; pingEvery is how many probes must go to a host, and
	// globalPingEvery to the group, between two pings (doAnyPings).
	pingTime        = 1250 * time.Millisecond
	pingEvery       = 10
	globalPingEvery = 20
	// rldTime is the rate-limit-detection pause before the first
	// retransmission at a new try (RLD_TIME_MS).
	rldTime = time.Second
	// By default the first pause is taken only when more than
	// 1/rldSilentDiv of the host's timing events were timeouts, or fewer
	// than rldMinEvents were seen (rldSilent, rldNeeded).
	rldSilentDiv = 10
	rldMinEvents = 1000
	// Scan-delay boosting (boostScanDelay): the first boost for TCP, the
	// doubling ceiling, the drop count and ratios that trigger it, and the
	// answered try above which a boost is due.
	boostStartTCP     = 5 * time.Millisecond
	boostDoubleCap    = time.Second
	boostMinDrops     = 10
	boostRatio        = 0.30
	boostRatioFast    = 0.40
	boostTryLimit     = 3
	boostTryLimitFast = 4
	// boostRateKept: by default a boost that leaves fewer than this share
	// of the answers per second proves the loss random, and is undone.
	boostRateKept = 0.7
	// A timed-out probe stays matchable for probeExpireFactor timeouts,
	// the timeout counted at most probeExpireCap (probeExpireTime).
	probeExpireFactor = 10
	probeExpireCap    = time.Second
)

// perf is the derived, constant part of the congestion control.
type perf struct {
	lowCwnd, maxCwnd float64
	caIncr           float64
	ssthreshDiv      float64
	// probeSSThresh: by default a window that congestion never cut keeps
	// slow start past the initial threshold. Nmap's 75 is a guess about a
	// path it has not measured; with congestion told from random loss the
	// first real cut sets the threshold from the path itself. Like
	// HyStart, the extension stops as soon as the RTT floor rises at all
	// (path.idle), well before the inflation read as congestion.
	probeSSThresh bool
}

func newPerf(cfg Config) perf {
	p := perf{lowCwnd: 1, maxCwnd: defaultMaxCwnd, caIncr: 1, ssthreshDiv: 1.5, probeSSThresh: !cfg.NmapCongestion}
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

// initialWindow is a fresh window; its last drop is the engine's start, as
// in Nmap, so only probes sent after the start can cause a reaction.
func (p perf) initialWindow(now time.Time) window {
	return window{cwnd: min(max(initialCwnd, p.lowCwnd), p.maxCwnd), ssthresh: initialSSThresh, lastDrop: now}
}
