// Package ultrascan is the adaptive probe scheduler: Nmap's ultra_scan loop
// (nmap-internals §2) as a deterministic state machine. It does no I/O and
// reads no clock; a driver feeds it events with their times and sends what
// it says.
//
// The driver loop:
//
//	e := ultrascan.New(cfg, len(addrs), ports, time.Now())
//	for !e.Done() {
//		probes, wake := e.Next(now, probes[:0]) // send these now (some may be pings)
//		... send them; wait for replies until wake ...
//		v := e.Receive(now, id, ultrascan.Response{Kind: ultrascan.Positive, PingScore: 6})
//		for _, id := range e.Expired(now, nil) { cancel id }
//		for _, h := range e.Finished(nil) { deliver host h }
//	}
//
// Reply(now, id) is Receive with a positive reply that cannot serve as a
// timing ping (a connect driver's).
//
// What it does, per host of the group, as Nmap does:
//   - a congestion window (start 10, ssthresh 75, slow start then
//     congestion avoidance, growth scaled by expected/received replies up to
//     50) and a group window shared by all hosts;
//   - Nmap's RTT estimator (srtt, rttvar, timeout = srtt + 4·rttvar,
//     clamped) per host and for the group;
//   - retransmission of silent probes with the adaptive try allowance (one
//     retransmission until a reply to a retransmission proves loss, then up
//     to MaxRetries; probes that hit the allowance wait on a bench in case
//     it grows);
//   - drop detection exactly as §2.3: only a reply to a retransmission or a
//     lost timing ping is a drop, a window reacts once per burst (to probes
//     sent after its last reaction), and a RateLimited reply (an ICMP error,
//     a RST under --defeat-rst-ratelimit) to a retransmission neither counts
//     as a drop nor raises the allowance nor becomes the ping. Receive
//     returns a Verdict saying how a reply was counted;
//   - timing pings (§2.7): the best positive-response probe seen (by the
//     driver's PingScore) becomes the host's ping port; a host silent for
//     1.25 s that got 10 probes since its last ping gets a Probe flagged
//     Ping to that port; a completed host with a ping port serves as the
//     global ping host when the whole group is silent (20 probes between
//     global pings); a ping reply grows the windows 3 times as much, a lost
//     ping is a drop. A host with a ping port keeps its own window;
//   - scan-delay boosting (§2.5): more than 10 drops making over 30 % (40 %
//     at T4+) of the replies since the last boost, or an answer to a try
//     above 3 (4 at T4+), raise the delay 0 → 5 ms (BoostStart) → doubling,
//     capped by MaxScanDelay;
//   - the rate-limit-detection pause: 1 s before the first retransmission
//     at a new try;
//   - late replies: a timed-out probe stays matchable for 10 × min(1 s,
//     timeout) after it was sent, also after its host completed
//     (Verdict.HostFinished), so a late reply still decides its port and
//     counts for timing (a second timing event for the probe, as in Nmap);
//   - --min-rate and --max-rate as global schedules (max-rate's may lag in
//     the past, so sends catch up after a stall); --scan-delay;
//     --host-timeout; --min/max-parallelism; a hard in-flight cap for drivers
//     whose probes hold sockets.
//
// Beyond Nmap (the default; Config.NmapCongestion restores Nmap's exact
// behaviour): Nmap reads every drop as congestion, so on a link that loses
// a few percent at random each reply to a retransmission cuts the windows
// and -p- takes minutes. Here a drop is congestion only when the path shows
// it (path.go): the least RTT of the last 16-32 samples has risen above the
// least RTT of the last 256 by a quarter plus 5 ms (a queue builds), or
// above twice the least RTT seen plus 5 ms (a standing queue), or more than 20 %
// of the last 128-256 timing replies proved a loss (a policer, a
// rate-limited responder, an overflowing queue). While the path queues the
// windows also stop growing. Random loss keeps the windows; retransmissions
// and the adaptive allowance work as before, so accuracy stays. A late-try
// boost waits for loss that is not random; a boost that cut the answers per
// second as much as the pace (the link's loss, not a responder's budget) is
// undone; after the first RLD pause, later pauses hold only the
// retransmissions while loss looks random. A reply to a try whose port an
// earlier try already decided proves delay, not loss, and is no drop.
//
// Two more departures, also off under NmapCongestion. A responder with a
// budget of a few answers a second (Linux's ICMP errors: one a second after
// a burst of six) is paced by a model of its token bucket once replies to
// retransmissions show it (limiter.go): a -sU scan of a mostly closed host
// then finds every closed port at the budget's rate, where Nmap spends its
// retries while its scan delay doubles and leaves some open|filtered.
// At -T4 and above pacing stops after a budget (about 100 s, more for
// scans that were long before pacing): -sO's 245 closed protocols would
// cost four minutes, so about 100 are found and the rest stay
// open|filtered (Nmap -T4: ~48); below -T4 it goes on to the end, as Nmap
// does there. Config.NoPacing
// (--defeat-icmp-ratelimit) never paces. A
// group whose hosts never answered opens its window on timeouts
// (silent.go), so a -Pn sweep of absent addresses does not crawl at ten
// probes per timeout; and the groups of one scan hand their group window
// and group RTT on (Carry, Resume; carry.go), so the 64 groups of a /16
// do not each start cold (simulated /18 at -T4: 70 s cold, 12 s carried).
//
// Simulated results (scenario_test.go, go test -run Scenarios -v), T4:
//
//	scenario                               Nmap mode   default
//	clean 50 ms link, -p-                  26.4 s      26.4 s
//	50 ms + 10 ms jitter, 3 % loss, -p-    11m59 s     ~37 s (3 seeds, all open ports found)
//	lab relay shape (±10 ms, in order)     12m19 s     ~44 s (was ~3 min, as on the real relay)
//	bottleneck 1000 pps, queue 30, 64×1000 65.0 s      64.3 s (1.9 % vs 0.3 % of probes dropped)
//	RSTs limited to 50/s, 1000 ports (T3)  22.5 s      24.1 s (both boost to 20 ms, no port wrong)
//	UDP top 100, ICMP 1/s burst 6 (T4)    70.9 s      91.8 s (20 closed ports misread vs 0)
//	-sO 256 protocols, same limit (T4)     226 s       105 s (20 vs 137: the pacing budget)
//	  the same at T3 (no budget)           239 s       242 s (8 vs 1)
//	  the same with NoPacing                           7.3 s (234 left open|filtered)
//	silent /24, -Pn -p 80 (T4)             26 s        3 s
//
// Scheduling cost: hosts wait in lazy timer heaps (probe timeouts, scan
// delay and RLD waits, pings, host timeouts, expiry of lingering probes)
// and in a ring of hosts that may send, so a Next call costs what it sends
// and what fell due, not the number of hosts.
//
// Memory: a host's fresh ports are a cursor into the shared port list and
// only probes in flight, awaiting retransmission or lingering for late
// replies are stored. A ping scan (ping.go) takes its probe records and
// its hosts' queues from slabs, finds a probe by its ID there instead of in
// a map, lets its silent hosts share one zero path-and-pacing record
// (hostMore), and can run on the storage of the last batch's engine
// (NewPingScanFrom), so a sweep of many discovery batches holds one
// batch's records (TestPingScanMemoryPerHost: ~1.8 KB per silent host
// with four probes, ~60 bytes per host allocated by a recycled batch).
//
// Known differences from Nmap: retransmissions go oldest first (Nmap walks
// newest first); a completed host's probes stay matchable for their own
// expiry (≤ 10 s) rather than Nmap's 2 min; a port decided by a late reply
// is not retransmitted again.
package ultrascan
