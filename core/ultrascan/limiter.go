package ultrascan

import "time"

// Pacing a rate-limited responder (the default; never with NmapCongestion).
// Linux answers at most one ICMP error per second per peer after a burst of
// about six (net.ipv4.icmp_ratelimit), so a UDP scan of a host whose ports
// are mostly closed gets its first burst answered and then one answer a
// second, however fast it sends. A probe the limit swallows is not lost
// the way a dropped packet is: the responder did not spend its token, and
// the port answers as soon as a token is there. Nmap finds this by doubling
// its scan delay until few probes go unanswered, and meanwhile spends its
// retries; here the host's answer rate is measured from the replies to
// retransmissions (which arrive once per token however many probes go
// out), and the host is then paced by a model of the responder's token
// bucket: a probe goes out only when the model holds a token, so a paced
// probe that stays silent met a responder able to answer, which is what
// decides open|filtered.
//
// At -T4 and above pacing has a budget. Paced answers come one per token,
// so pacing every silent port of a mostly closed host costs a second per
// port: about 90 s for --top-ports 100 over UDP, 250 s for the 256
// protocols of -sO. Nmap 7.93 waits that out at -T3 (on the lab's fw host
// -sO took it 284 s for 240 closed protocols) but not at -T4, where it
// gives up after its six retries (-sO: 47-52 s, 48-57 closed, the rest
// open|filtered; --top-ports 100 over UDP: 12-22 left open|filtered). No
// scanner finds more closed ports in less time than the responder's budget
// allows, so the question is only where to stop, and a user who asked for
// -T4 asked not to wait. So at -T4 and above a paced host stops pacing once
// pacing has lasted limBudgetFactor times as long as the host's scan had
// taken when pacing started, or limBudgetMin if that is longer; its ports
// still waiting for a paced try keep the silence verdict (open|filtered),
// as Nmap's do when its retries run out. limBudgetMin covers the common
// case whole: the top 100 UDP ports get every closed answer, more than
// Nmap finds. A bigger scan gets about limBudgetMin more closed answers
// (-sO -T4 of the lab's fw host: 108 closed in 105 s, about twice Nmap's
// count in twice its time; Nmap's count alone needs ~50 s at one answer a
// second, so no scanner gets it in clearly less), and the
// factor keeps the pacing in proportion for scans that took long before
// they were paced (many hosts, a long RTT). Below -T4 a host is paced to
// the end, as patient as Nmap there. Config.NoPacing
// (--defeat-icmp-ratelimit) turns pacing off.
const (
	// limBudgetFactor and limBudgetMin bound the time a host is paced at
	// -T4 and above.
	limBudgetFactor = 4
	limBudgetMin    = 100 * time.Second
	// limSamples replies to retransmissions, at least limMinSpan apart in
	// all and in at least limBursts bursts, measure the answer rate; the
	// last limHistory are kept.
	limSamples = 4
	limMinSpan = 500 * time.Millisecond
	limBursts  = 3
	limHistory = 2 * limSamples
	// A host is paced only while more than 1/limSilentDiv of its timing
	// events were timeouts: a responder out of budget is silent for most
	// probes, a lossy link is not.
	limSilentDiv = 2
	// limMargin slows the pace below the measured rate, so the model's
	// bucket never runs ahead of the responder's.
	limMargin = 0.9
	// limBurst is the model bucket's depth: what a pause (a wait for
	// timeouts) may save up. Linux's is about six; a smaller one only
	// costs time.
	limBurst = 3
	// limTries paced tries without an answer decide a port (more than one,
	// so a lost packet or a pace a little too fast does not).
	limTries = 3
	// limGrow raises the rate on each paced try answered at once, limCut
	// lowers it when a paced try went unanswered on a port that answers:
	// a pace slightly too fast only costs tries (the responder's
	// answers per second stay the same), one too slow costs time.
	limGrow = 1 + 1.0/8
	limCut  = 0.8
	// limQuiet paced intervals without a silent paced probe allow growth.
	limQuiet = 3
	// limMaxRate: a responder answering faster is left to the scan-delay
	// boosts, which reach its pace in a few doublings; pacing is for
	// budgets like Linux's ICMP one, where doubling from 50 ms to a second
	// takes Nmap a minute of spent retries.
	limMaxRate = 3
)

// limiter is the per-host state of the pacing.
type limiter struct {
	on     bool
	rate   float64 // answers per second
	tokens float64
	at     time.Time // when tokens was last brought up to date
	cut    time.Time // the last cut of the rate
	silent time.Time // the last timeout of a paced probe
	since  time.Time // when pacing started
	budget time.Duration
	// spent: the budget ran out; the host is not paced again.
	spent bool
	// holds counts the rounds limHold gave the host.
	holds int
	// Times of the last replies to retransmissions, oldest first, and
	// the host's replies counted by then.
	replies [limHistory]time.Time
	recv    [limHistory]int
	n       int
}

// limReply sees a reply to p, a scan probe of h, at now. Before pacing it
// records replies to retransmissions (drop says p is one) and starts
// pacing when they show a responder that answers at a steady rate while
// most probes go unanswered. While pacing it tunes the rate: a paced try
// answered at once says the budget may be larger, a port answered only
// after a silent paced try says the pace outran the budget.
func (e *Engine) limReply(h *host, p *probe, drop bool, now time.Time) {
	l := &h.lim
	if l.on {
		switch {
		case p.paced >= 2 && p.prevSent.After(l.cut):
			// Once per overshoot: the tries sent before the cut were
			// paced at the old rate.
			l.rate *= limCut
			l.cut = now
			l.fill(now)
			l.tokens = min(l.tokens, 0)
		case p.paced == 1 && now.Sub(l.silent).Seconds()*l.rate > limQuiet:
			// Only while paced probes keep being answered: at a pace
			// above the budget the answers still come, one per token.
			l.rate *= limGrow
		}
		return
	}
	if !drop || e.nmap() || e.cfg.NoPacing || l.spent || len(e.ports) < 2 {
		return
	}
	if l.n == limHistory {
		copy(l.replies[:], l.replies[1:])
		copy(l.recv[:], l.recv[1:])
		l.n--
	}
	l.replies[l.n] = now
	l.recv[l.n] = h.win.received
	l.n++
	span := now.Sub(l.replies[0])
	if l.n < limSamples || span < limMinSpan {
		return
	}
	silent := h.win.expected - h.win.received
	if silent*limSilentDiv <= h.win.expected {
		return
	}
	// Every reply in the span bounds the budget from above.
	if float64(h.win.received-l.recv[0])/span.Seconds() > limMaxRate {
		return
	}
	rate, ok := l.burstRate()
	if !ok || rate > limMaxRate {
		return
	}
	l.on, l.rate = true, limMargin*rate
	l.tokens, l.at, l.since = 0, now, now // it just spent one
	l.budget = max(limBudgetMin, limBudgetFactor*now.Sub(h.start))
	if e.cfg.TimingLevel < 4 {
		l.budget = 0 // no budget
	}
	h.delay = e.cfg.ScanDelay
	// Ports that spent their tries before the pace was known get paced
	// tries of their own.
	for _, b := range h.bench {
		if !b.dead {
			h.stack = append(h.stack, b)
		}
	}
	clear(h.bench)
	h.bench = h.bench[:0]
	e.stats.Limited++
}

// burstRate measures the answer rate from the replies to
// retransmissions kept: they come in bursts, one per retransmission round,
// as many as the responder's bucket held when the round went out. One
// token a second, a round after a pause of two seconds gets two answers
// at once; a budget of ten a second gets many every round. So the rate
// is the answers of every burst but the last over the time from the
// first burst to the last, not the gaps between single replies (a pair
// in every window of them kept a 1/s responder from being paced at all:
// CI once saw a -T4 UDP scan of fw end in 7 s with 77 closed ports left
// open|filtered). It needs limBursts bursts.
func (l *limiter) burstRate() (float64, bool) {
	const gap = time.Second / limMaxRate
	bursts, last := 1, 0 // last: the index where the last burst starts
	for i := 1; i < l.n; i++ {
		if l.replies[i].Sub(l.replies[i-1]) >= gap {
			bursts, last = bursts+1, i
		}
	}
	if bursts < limBursts {
		return 0, false
	}
	return float64(last) / l.replies[last].Sub(l.replies[0]).Seconds(), true
}

// limStop ends the pacing of h once its budget is spent: the ports that
// wait for a paced try keep their silence verdict. It reports whether it
// stopped.
func (e *Engine) limStop(h *host, now time.Time) bool {
	l := &h.lim
	if !l.on || l.budget == 0 || now.Sub(l.since) < l.budget {
		return false
	}
	l.on, l.spent = false, true
	for _, q := range [][]*probe{h.retry, h.stack} {
		for _, p := range q {
			p.dead = true
		}
	}
	clear(h.retry)
	clear(h.stack)
	h.retry, h.stack = h.retry[:0], h.stack[:0]
	e.stats.PacingSpent++
	return true
}

// limHolds bounds the extra rounds limHold gives a host: enough for
// limSamples replies to retransmissions at one answer a second.
const limHolds = limSamples + 2

// limHold keeps a host from finishing while the pacing could still start:
// several of its ports ran out of tries (they wait on the bench; a handful
// is not worth the wait), it is mostly silent,
// and a retransmission was answered, the shape of a responder out of budget
// rather than of a filter. Such a host gets one more round of tries for its
// benched ports, at most limHolds times, so the limiter sees its samples:
// on the lab's fw host a -T4 UDP scan otherwise spent every try within 3 s,
// before the fourth reply to a retransmission, and left ~90 closed ports
// open|filtered. It reports whether it held the host.
func (e *Engine) limHold(h *host) bool {
	l := &h.lim
	if e.nmap() || e.cfg.NoPacing || l.on || l.spent || l.n == 0 || len(h.bench) < limSamples || l.holds >= limHolds {
		return false
	}
	if silent := h.win.expected - h.win.received; silent*limSilentDiv <= h.win.expected {
		return false
	}
	l.holds++
	for _, b := range h.bench {
		if !b.dead {
			h.retry = append(h.retry, b)
		}
	}
	clear(h.bench)
	h.bench = h.bench[:0]
	return true
}

// limFill brings h's model bucket up to now.
func (l *limiter) fill(now time.Time) {
	if now.After(l.at) {
		l.tokens = min(limBurst, l.tokens+now.Sub(l.at).Seconds()*l.rate)
		l.at = now
	}
}

// limReady is when a paced host may send next (now if it holds a token).
func (l *limiter) ready(now time.Time) time.Time {
	l.fill(now)
	if l.tokens >= 1 {
		return now
	}
	return now.Add(time.Duration((1 - l.tokens) / l.rate * float64(time.Second)))
}

// timedOut records that a paced probe went unanswered.
func (l *limiter) timedOut(p *probe, now time.Time) {
	if l.on && p.paced > 0 {
		l.silent = now
	}
}

// limRetry reports whether a silent probe of a paced host is tried again:
// until it had limTries paced tries, whatever its try number.
func (l *limiter) retry(p *probe) bool {
	return l.on && p.paced < limTries
}

// expired reports a silent retransmission after the budget ran out: it is
// not tried again.
func (l *limiter) expired(p *probe) bool {
	return l.spent && p.Try > 0
}
