package ultrascan

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"
)

// simHost is a simulated target: open and closed ports answer; each way
// takes delay plus up to jitter, and loses a packet with probability loss,
// unless the probe or the answer is lost; filtered ports
// never answer. A rate-limited host answers closed ports (its RSTs) from a
// token bucket, as stacks limit RSTs and ICMP errors.
type simHost struct {
	delay, jitter time.Duration
	loss          float64 // per direction
	open          map[uint16]bool
	filtered      bool            // ports that are not open are silent rather than closed
	drop          map[uint16]bool // these ports are silent (a firewall's drop rule)
	rstRate       float64         // closed-port answers per second; 0 is unlimited
	rstBurst      float64
	// fifo models the lab relay (lab/relay): jitter is drawn from
	// [-jitter, +jitter] and each direction keeps its order, so a packet
	// never leaves before the one ahead of it and dense traffic sees the
	// upper end of the jitter (the round trip grows by up to 2·jitter
	// with the sending density, not with a queue that overflows).
	fifo bool
}

// simNet is the network between scanner and hosts. A bottleneck, if
// set, carries every probe through one drop-tail queue: probes leave it at
// bottleneckPPS, wait behind the ones queued before them (so the round
// trip grows with the queue) and are dropped when queue probes wait
// already.
type simNet struct {
	hosts         []simHost
	bottleneckPPS float64
	queue         int
	// pingScores reports replies as a raw SYN driver would (RST 6, SYN/ACK
	// 3), so hosts get timing pings; otherwise replies carry no score.
	pingScores bool
	// udp scores replies as a UDP driver does: an answer 3, a port
	// unreachable 2.
	udp bool
	// carry, if set, starts the engine from it and receives what the
	// engine learnt (one group of a series, see carry.go).
	carry *Carry
}

type simReply struct {
	at   time.Time
	id   uint64
	host int
	port uint16
	open bool
}

type replyHeap []simReply

func (h replyHeap) Len() int           { return len(h) }
func (h replyHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h replyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *replyHeap) Push(x any)        { *h = append(*h, x.(simReply)) }
func (h *replyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type simResult struct {
	probes     int
	pings      int
	perPort    map[[2]int]int // scan probes per (host, port)
	answered   map[[2]int]bool
	elapsed    time.Duration
	engine     *Engine
	sendTime   []time.Time
	queueDrops int // probes dropped by the bottleneck
	rstLimited int // closed-port answers the responders' limits swallowed
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// simulate runs the engine against hosts on a simulated clock.
func simulate(t *testing.T, cfg Config, hosts []simHost, ports []uint16, seed uint64) simResult {
	t.Helper()
	return simulateNet(t, cfg, simNet{hosts: hosts}, ports, seed)
}

// simulateNet runs the engine against a simulated network. It fails the
// test if the engine neither finishes nor makes progress.
func simulateNet(t *testing.T, cfg Config, net simNet, ports []uint16, seed uint64) simResult {
	t.Helper()
	hosts := net.hosts
	rng := rand.New(rand.NewPCG(seed, seed))
	e := New(cfg, len(hosts), ports, t0)
	if net.carry != nil {
		e.Resume(t0, *net.carry)
	}
	res := simResult{perPort: map[[2]int]int{}, answered: map[[2]int]bool{}, engine: e}
	var pending replyHeap
	var lastDeparture time.Time
	fifoOut, fifoBack := make([]fifoDir, len(hosts)), make([]fifoDir, len(hosts))
	tokens := make([]float64, len(hosts))
	refill := make([]time.Time, len(hosts))
	for i, h := range hosts {
		tokens[i], refill[i] = h.rstBurst, t0
	}
	now := t0
	var buf []Probe
	for step := 0; ; step++ {
		if step > 5_000_000 {
			t.Fatalf("no end after %d steps, %v simulated", step, now.Sub(t0))
		}
		var wake time.Time
		buf, wake = e.Next(now, buf[:0])
		for _, p := range buf {
			res.probes++
			res.sendTime = append(res.sendTime, now)
			if p.Ping {
				res.pings++
			} else {
				res.perPort[[2]int{p.Host, int(p.Port)}]++
			}
			h := hosts[p.Host]
			if rng.Float64() < h.loss {
				continue
			}
			at := now
			if net.bottleneckPPS > 0 {
				service := time.Duration(float64(time.Second) / net.bottleneckPPS)
				dep := now
				if lastDeparture.After(dep) {
					dep = lastDeparture
				}
				dep = dep.Add(service)
				if dep.Sub(now) > time.Duration(net.queue)*service {
					res.queueDrops++
					continue
				}
				lastDeparture, at = dep, dep
			}
			if h.fifo {
				at = fifoOut[p.Host].next(at.Add(h.delay + jitter(rng, 2*h.jitter) - h.jitter))
			} else {
				at = at.Add(h.delay + jitter(rng, h.jitter))
			}
			open := h.open[p.Port]
			if (!open && h.filtered) || h.drop[p.Port] {
				continue
			}
			if !open && h.rstRate > 0 {
				hi := p.Host
				if at.After(refill[hi]) {
					tokens[hi] = min(h.rstBurst, tokens[hi]+at.Sub(refill[hi]).Seconds()*h.rstRate)
					refill[hi] = at
				}
				if tokens[hi] < 1 {
					res.rstLimited++
					continue
				}
				tokens[hi]--
			}
			if rng.Float64() < h.loss {
				continue
			}
			if h.fifo {
				at = fifoBack[p.Host].next(at.Add(h.delay + jitter(rng, 2*h.jitter) - h.jitter))
			} else {
				at = at.Add(h.delay + jitter(rng, h.jitter))
			}
			heap.Push(&pending, simReply{at: at, id: p.ID, host: p.Host, port: p.Port, open: open})
		}
		e.Expired(now, nil)
		if e.Done() {
			break
		}
		next := wake
		if pending.Len() > 0 && (next.IsZero() || pending[0].at.Before(next)) {
			next = pending[0].at
		}
		if next.IsZero() {
			t.Fatalf("engine not done but gave no wake time at %v", now.Sub(t0))
		}
		if next.After(now) {
			now = next
		}
		for pending.Len() > 0 && !pending[0].at.After(now) {
			r := heap.Pop(&pending).(simReply)
			resp := Response{}
			if net.pingScores {
				resp.PingScore = 6
				if net.udp {
					resp.PingScore = 2
				}
				if r.open {
					resp.PingScore = 3
				}
			}
			// The driver records what a reply says even when the engine
			// no longer tracks its probe.
			e.Receive(now, r.id, resp)
			res.answered[[2]int{r.host, int(r.port)}] = true
		}
	}
	res.elapsed = now.Sub(t0)
	if net.carry != nil {
		*net.carry = e.Carry()
	}
	return res
}

// fifoDir is one order-keeping direction of a relay: the release time of
// its last packet. Replies pass it in the order the host sent them, which
// the simulation approximates by the order their release was drawn.
type fifoDir struct{ last time.Time }

func (d *fifoDir) next(at time.Time) time.Time {
	if at.Before(d.last) {
		at = d.last
	}
	d.last = at
	return at
}

func jitter(rng *rand.Rand, j time.Duration) time.Duration {
	if j <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(j)))
}

func portRange(lo, hi uint16) []uint16 {
	var out []uint16
	for p := int(lo); p <= int(hi); p++ {
		out = append(out, uint16(p))
	}
	return out
}

func TestSimulatedNetworks(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	ports := portRange(1, 1000)
	openSet := map[uint16]bool{22: true, 80: true, 443: true, 999: true}
	tests := []struct {
		name       string
		hosts      int
		host       simHost
		ports      []uint16
		maxPerPort float64       // mean probes per port
		maxElapsed time.Duration // simulated
		minElapsed time.Duration
	}{
		{"one closed host, no loss", 1, simHost{delay: ms, open: openSet}, ports, 1, 500 * ms, 0},
		{"one filtered host, no loss", 1, simHost{delay: ms, open: openSet, filtered: true}, ports, 2.01, 60 * time.Second, 0},
		{"one closed host, 20% loss each way", 1, simHost{delay: 5 * ms, jitter: 5 * ms, loss: 0.2, open: openSet}, ports, 2.5, 60 * time.Second, 0},
		{"256 closed hosts, jitter, 1% loss", 256, simHost{delay: 10 * ms, jitter: 15 * ms, loss: 0.01, open: openSet}, portRange(1, 100), 1.1, 120 * time.Second, 0},
		{"256 closed hosts, jitter, no loss", 256, simHost{delay: 10 * ms, jitter: 15 * ms, open: openSet}, portRange(1, 100), 1, 8 * time.Second, 0},
		{"2000 filtered hosts", 2000, simHost{delay: 10 * ms, jitter: 10 * ms, open: map[uint16]bool{80: true}, filtered: true}, append([]uint16{80}, portRange(1, 9)...), 2.01, 120 * time.Second, 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hosts := make([]simHost, tc.hosts)
			for h := range hosts {
				hosts[h] = tc.host
			}
			res := simulate(t, DefaultConfig(), hosts, tc.ports, uint64(i+1))
			for h := range hosts {
				for _, p := range tc.ports {
					if tc.host.open[p] && !res.answered[[2]int{h, int(p)}] {
						t.Errorf("host %d: open port %d never answered", h, p)
					}
				}
				if !res.engine.HostComplete(h) {
					t.Errorf("host %d not complete", h)
				}
			}
			perPort := float64(res.probes) / float64(tc.hosts*len(tc.ports))
			t.Logf("%d probes (%.2f per port), %v simulated; %+v", res.probes, perPort, res.elapsed, res.engine.Stats())
			if perPort > tc.maxPerPort {
				t.Errorf("%.2f probes per port, want at most %.2f", perPort, tc.maxPerPort)
			}
			if res.elapsed > tc.maxElapsed {
				t.Errorf("took %v simulated, want at most %v", res.elapsed, tc.maxElapsed)
			}
			// Timed-out probes stay matchable for a while after the scan.
			res.engine.Expired(t0.Add(res.elapsed+probeExpireFactor*probeExpireCap), nil)
			if len(res.engine.out) != 0 {
				t.Errorf("%d probe records left after the scan", len(res.engine.out))
			}
		})
	}
}

// TestSilentGroup sweeps a /24 of absent hosts on one port at -T4: with
// the default controller the group window opens on the timeouts, so the
// sweep takes a few timeouts rather than Nmap's ten probes per timeout;
// every host still gets its retransmission, and with a few live hosts in
// the range their open port is found.
func TestSilentGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		nmap       bool
		live       int // hosts with port 80 open
		minElapsed time.Duration
		maxElapsed time.Duration
	}{
		{"default, all silent", false, 0, 0, 5 * time.Second},
		{"default, 4 live", false, 4, 0, 5 * time.Second},
		{"nmap, all silent", true, 0, 20 * time.Second, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hosts := make([]simHost, 256)
			for i := range hosts {
				hosts[i] = simHost{delay: 5 * time.Millisecond, filtered: true}
				if i%64 == 7 && i/64 < tc.live {
					hosts[i].open = map[uint16]bool{80: true}
				}
			}
			cfg := t4()
			cfg.NmapCongestion = tc.nmap
			res := simulate(t, cfg, hosts, []uint16{80}, 1)
			t.Logf("%v, %d probes, group window %v", res.elapsed, res.probes, res.engine.group.cwnd)
			if res.elapsed < tc.minElapsed || res.elapsed > tc.maxElapsed {
				t.Errorf("took %v simulated, want %v..%v", res.elapsed, tc.minElapsed, tc.maxElapsed)
			}
			if res.probes != 2*len(hosts)-tc.live {
				t.Errorf("%d probes, want %d (two tries per silent host)", res.probes, 2*len(hosts)-tc.live)
			}
			for i, h := range hosts {
				if h.open[80] && !res.answered[[2]int{i, 80}] {
					t.Errorf("host %d: open port 80 not found", i)
				}
			}
		})
	}
}
