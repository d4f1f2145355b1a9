// Package ultrascan is the adaptive probe scheduler: Nmap's ultra_scan loop
// (nmap-internals §2) as a deterministic state machine. It does no I/O and
// reads no clock; a driver feeds it events with their times and sends what
// it says.
//
// The driver loop:
//
//	e := ultrascan.New(cfg, len(addrs), ports, time.Now())
//	for !e.Done() {
//		probes, wake := e.Next(now, probes[:0]) // send these now
//		... send them; wait for replies until wake ...
//		e.Reply(now, id)                      // a reply that decides its port
//		for _, id := range e.Expired(now, nil) { cancel id }
//		for _, h := range e.Finished(nil) { deliver host h }
//	}
//
// What it does, per host of the group: a congestion window (start 10,
// ssthresh 75, slow start then congestion avoidance, growth scaled by
// expected/received replies up to 50) and a group window shared by all
// hosts; Nmap's RTT estimator (srtt, rttvar, timeout = srtt + 4·rttvar,
// clamped) per host and for the group; retransmission of silent probes with
// the adaptive try allowance (one retransmission until a reply to a
// retransmission proves loss, then up to MaxRetries; probes that hit the
// allowance wait on a bench in case it grows); drop reactions only for
// replies to retransmissions, once per burst; --min-rate and --max-rate as
// global schedules (max-rate's may lag in the past, so sends catch up after
// a stall); --scan-delay; --host-timeout; --min/max-parallelism; a hard
// in-flight cap for drivers whose probes hold sockets.
//
// Memory: a host's fresh ports are a cursor into the shared port list and
// only probes in flight or awaiting retransmission are stored.
//
// Not yet (the shape leaves room for them): timing pings to silent hosts,
// scan-delay boosting and the rate-limit-detection pause (§2.5; hosts
// already carry their own delay), keeping timed-out probes matchable for
// 10×timeout after they are given up.
package ultrascan
