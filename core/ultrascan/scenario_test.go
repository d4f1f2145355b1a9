package ultrascan

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// t4 is Nmap's -T4 for a TCP scan (nmap-internals §2.1).
func t4() Config {
	return Config{
		TimingLevel: 4, InitialRTT: 500 * time.Millisecond,
		MinRTT: 100 * time.Millisecond, MaxRTT: 1250 * time.Millisecond,
		MaxRetries: 6, MaxScanDelay: 10 * time.Millisecond,
	}
}

// scenario is a network the engine must scan right and fast, in both
// congestion modes.
type scenario struct {
	name  string
	net   func() simNet
	ports []uint16
	cfg   func() Config
	seeds int
	// Bounds for the default controller: simulated time, probes per port,
	// share of probes the bottleneck dropped, share of closed ports whose
	// answer the responder's limit swallowed for good.
	maxElapsed time.Duration
	maxPerPort float64
	maxQueue   float64
	maxWrong   int
	// paced: hosts the default controller must pace as rate-limited
	// responders (limiter.go); every other scenario must pace none.
	paced int
	// spent: paced hosts whose pacing budget must run out.
	spent int
	// nmapSlower: Nmap's controller must take at least this many times as
	// long (it reads random loss as congestion); 0 skips the check.
	nmapSlower float64
}

var scenarioOpen = map[uint16]bool{22: true, 80: true, 443: true, 3306: true, 8080: true, 31337: true, 65000: true}

// udpT4 is Nmap's -T4 for a UDP scan: the TCP values, but UDP's own
// first boost (50 ms) and max scan delay (1 s, which -T4 leaves alone).
func udpT4() Config {
	cfg := t4()
	cfg.BoostStart, cfg.MaxScanDelay = 50*time.Millisecond, time.Second
	return cfg
}

// udpTop100 stands for --top-ports 100: the lab's firewalled host answers
// three of them, drops two and closes the rest behind Linux's ICMP rate
// limit (one error per second, burst 6).
var udpTop100 = func() []uint16 {
	var ps []uint16
	for p := uint16(1000); len(ps) < 100; p += 7 {
		ps = append(ps, p)
	}
	return ps
}()

func icmpLimitedHost() simHost {
	open := map[uint16]bool{udpTop100[10]: true, udpTop100[50]: true, udpTop100[90]: true}
	drop := map[uint16]bool{udpTop100[20]: true, udpTop100[70]: true}
	return simHost{delay: 100 * time.Microsecond, open: open, drop: drop, rstRate: 1, rstBurst: 6}
}

// ipProtoHost stands for -sO of the lab's firewalled host: protocols 0..255,
// four answered without an ICMP error (ICMP, TCP, UDP, SCTP), five dropped
// or prohibited, and every other one closed by a protocol unreachable
// behind the same ICMP rate limit.
func ipProtoHost() simHost {
	open := map[uint16]bool{1: true, 6: true, 17: true, 132: true}
	drop := map[uint16]bool{2: true, 47: true, 50: true, 103: true, 136: true}
	return simHost{delay: 100 * time.Microsecond, open: open, drop: drop, rstRate: 1, rstBurst: 6}
}

func oneHost(h simHost) func() simNet {
	return func() simNet { return simNet{hosts: []simHost{h}, pingScores: true} }
}

func scenarios() []scenario {
	ms := time.Millisecond
	all := portRange(1, 65535)
	return []scenario{
		{
			name: "clean 50ms link, -p-", ports: all, cfg: t4, seeds: 1,
			net:        oneHost(simHost{delay: 50 * ms, open: scenarioOpen}),
			maxElapsed: 30 * time.Second, maxPerPort: 1.0,
		},
		{
			name: "50ms+10ms jitter, 3% loss each way, -p-", ports: all, cfg: t4, seeds: 3,
			net:        oneHost(simHost{delay: 50 * ms, jitter: 10 * ms, loss: 0.03, open: scenarioOpen}),
			maxElapsed: 45 * time.Second, maxPerPort: 1.1, nmapSlower: 10,
		},
		{
			// The lab relay's shape: order kept, so dense probing rides the
			// top of the jitter and the RTT floor rises by up to 40 ms
			// without a queue that overflows.
			name: "lab relay: 50ms±10ms in order, 3% loss, -p-", ports: all, cfg: t4, seeds: 3,
			net:        oneHost(simHost{delay: 50 * ms, jitter: 10 * ms, loss: 0.03, open: scenarioOpen, fifo: true}),
			maxElapsed: 60 * time.Second, maxPerPort: 1.15, nmapSlower: 10,
		},
		{
			name: "bottleneck 1000 pps, queue 30, 64 hosts", ports: portRange(1, 1000), cfg: t4, seeds: 3,
			net: func() simNet {
				n := simNet{bottleneckPPS: 1000, queue: 30, pingScores: true}
				for range 64 {
					n.hosts = append(n.hosts, simHost{delay: 5 * ms, jitter: ms, open: scenarioOpen})
				}
				return n
			},
			// A queue that overflows can eat every try of a port now and
			// then; Nmap's controller misses as many.
			maxElapsed: 75 * time.Second, maxPerPort: 1.05, maxQueue: 0.02, maxWrong: 3,
		},
		{
			name: "RSTs limited to 50/s, burst 10", ports: portRange(1, 1000), cfg: DefaultConfig, seeds: 3,
			net:        oneHost(simHost{delay: 2 * ms, open: scenarioOpen, rstRate: 50, rstBurst: 10}),
			maxElapsed: 30 * time.Second, maxPerPort: 1.5,
		},
		{
			name: "UDP, ICMP 1/s burst 6, top 100", ports: udpTop100, cfg: udpT4, seeds: 3,
			net: func() simNet {
				return simNet{hosts: []simHost{icmpLimitedHost()}, pingScores: true, udp: true}
			},
			maxElapsed: 300 * time.Second, maxPerPort: 20, maxWrong: 2, paced: 1,
		},
		{
			name: "-sO, ICMP 1/s burst 6, 256 protocols", ports: portRange(0, 255), cfg: udpT4, seeds: 3,
			net: func() simNet {
				return simNet{hosts: []simHost{ipProtoHost()}, pingScores: true, udp: true}
			},
			// The pacing budget (limBudgetMin) ends the scan after about
			// 100 paced answers; the other ~140 closed protocols stay
			// open|filtered, as some 200 do in Nmap's 47 s on the lab.
			maxElapsed: 120 * time.Second, maxPerPort: 20, maxWrong: 150, paced: 1, spent: 1,
		},
		{
			// Below -T4 there is no pacing budget: every closed protocol
			// answers, at one a second (Nmap -T3: 284 s on the lab).
			name: "-sO as above at -T3", ports: portRange(0, 255), seeds: 1,
			cfg: func() Config {
				cfg := udpT4()
				cfg.TimingLevel = 3
				return cfg
			},
			net: func() simNet {
				return simNet{hosts: []simHost{ipProtoHost()}, pingScores: true, udp: true}
			},
			maxElapsed: 280 * time.Second, maxPerPort: 20, maxWrong: 2, paced: 1,
		},
		{
			name: "-sO as above, --defeat-icmp-ratelimit", ports: portRange(0, 255), seeds: 3,
			cfg: func() Config {
				cfg := udpT4()
				cfg.NoPacing = true
				return cfg
			},
			net: func() simNet {
				return simNet{hosts: []simHost{ipProtoHost()}, pingScores: true, udp: true}
			},
			maxElapsed: 15 * time.Second, maxPerPort: 20, maxWrong: 250,
		},
	}
}

// TestScenarios scans each scenario with the default controller (several
// seeds) and with Nmap's (one seed), asserts that every open port is found
// and that the scan stays within its time and probe budget, and logs the
// comparison table (go test -run Scenarios -v).
func TestScenarios(t *testing.T) {
	t.Parallel()
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-44s %12s %12s %10s %10s %8s %10s %10s\n", "scenario", "nmap time", "ours time", "nmap p/pt", "ours p/pt", "ratio", "nmap wrong", "ours wrong")
	for _, sc := range scenarios() {
		var ours, nmap simResult
		for seed := range sc.seeds {
			res := simulateNet(t, sc.cfg(), sc.net(), sc.ports, uint64(seed+1))
			checkScenario(t, sc, res, false)
			if seed == 0 || res.elapsed > ours.elapsed {
				ours = res
			}
		}
		cfg := sc.cfg()
		cfg.NmapCongestion = true
		nmap = simulateNet(t, cfg, sc.net(), sc.ports, 1)
		checkScenario(t, sc, nmap, true)
		ports := float64(len(sc.ports) * len(sc.net().hosts))
		fmt.Fprintf(&table, "%-44s %12v %12v %10.3f %10.3f %8.2f %10d %10d\n", sc.name,
			nmap.elapsed.Round(time.Millisecond), ours.elapsed.Round(time.Millisecond),
			float64(nmap.probes)/ports, float64(ours.probes)/ports,
			nmap.elapsed.Seconds()/ours.elapsed.Seconds(), misreported(sc, nmap), misreported(sc, ours))
		if sc.nmapSlower > 0 && nmap.elapsed.Seconds() < sc.nmapSlower*ours.elapsed.Seconds() {
			t.Errorf("%s: Nmap's controller took %v, ours %v: want ours at least %.0fx faster", sc.name, nmap.elapsed, ours.elapsed, sc.nmapSlower)
		}
	}
	t.Log(table.String())
}

// misreported counts closed ports that never answered, so the scan would
// call them filtered.
func misreported(sc scenario, res simResult) int {
	n := 0
	for h, sh := range sc.net().hosts {
		if sh.filtered {
			continue
		}
		for _, p := range sc.ports {
			if !res.answered[[2]int{h, int(p)}] && !sh.drop[p] {
				n++
			}
		}
	}
	return n
}

func checkScenario(t *testing.T, sc scenario, res simResult, nmap bool) {
	t.Helper()
	mode := "ours"
	if nmap {
		mode = "nmap"
	}
	net := sc.net()
	for h, sh := range net.hosts {
		for _, p := range sc.ports {
			if sh.open[p] && !res.answered[[2]int{h, int(p)}] {
				t.Errorf("%s (%s): host %d open port %d not found", sc.name, mode, h, p)
			}
		}
	}
	ports := float64(len(sc.ports) * len(net.hosts))
	st := res.engine.Stats()
	t.Logf("%s (%s): %v, %d probes (%.3f/port), %d pings, %d drops (%d congestion, %d reactions), %d boosts (delay %v), %d queue drops, %d RSTs limited, %d hosts paced, congestion %d queue %d loss",
		sc.name, mode, res.elapsed, res.probes, float64(res.probes)/ports, res.pings, st.Drops, st.Congestion, st.Reactions, st.Boosts, res.engine.HostDelay(0), res.queueDrops, res.rstLimited, st.Limited, st.QueueCongestion, st.LossCongestion)
	if nmap {
		return
	}
	if l := res.engine.hosts[0].lim; l.on {
		t.Logf("%s: paced from %v", sc.name, l.since.Sub(t0))
	}
	if st.Limited != sc.paced {
		t.Errorf("%s: %d hosts paced as rate-limited, want %d", sc.name, st.Limited, sc.paced)
	}
	if st.PacingSpent != sc.spent {
		t.Errorf("%s: %d hosts spent their pacing budget, want %d", sc.name, st.PacingSpent, sc.spent)
	}
	if wrong := misreported(sc, res); wrong > sc.maxWrong {
		t.Errorf("%s: %d closed ports never answered (would show as filtered), want at most %d", sc.name, wrong, sc.maxWrong)
	}
	if res.elapsed > sc.maxElapsed {
		t.Errorf("%s: took %v simulated, want at most %v", sc.name, res.elapsed, sc.maxElapsed)
	}
	if per := float64(res.probes) / ports; per > sc.maxPerPort {
		t.Errorf("%s: %.3f probes per port, want at most %.2f", sc.name, per, sc.maxPerPort)
	}
	if net.bottleneckPPS > 0 {
		if share := float64(res.queueDrops) / float64(res.probes); share > sc.maxQueue {
			t.Errorf("%s: the bottleneck dropped %.1f%% of probes, want at most %.0f%%", sc.name, 100*share, 100*sc.maxQueue)
		}
	}
}
