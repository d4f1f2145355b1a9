// Package rawsweep is the simplest full user of rawio: SYN to every port of one
// host, a retry pass for the silent ports, replies matched by cookie. It proves
// the raw path and measures it; the real scan drives rawio from ultrascan.
package rawsweep

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scanfw/scanfw/core/cookie"
	"github.com/scanfw/scanfw/core/rawio"
	"github.com/scanfw/scanfw/core/route"
)

// Config of one sweep.
type Config struct {
	Route route.Route
	// Senders is the number of sender threads (one per CPU is best); 0 means 1.
	Senders int
	// Passes is the number of send passes over unanswered ports; 0 means 3.
	Passes int
	// Quiet ends a pass once no new reply came for this long; 0 means 50 ms.
	Quiet time.Duration
	// Deadline bounds the whole sweep; 0 means 30 s.
	Deadline time.Duration
	// TTL fixes the IP TTL; 0 draws 37-59 per packet as Nmap does.
	TTL uint8
}

// Result of a sweep. Port states: 0 no answer, StateOpen, StateClosed.
type Result struct {
	States   [65536]uint8
	Open     int
	Closed   int
	Probes   int
	Passes   int
	Rejected int // replies whose cookie did not validate
	// Elapsed runs from the first send to the last new reply.
	Elapsed time.Duration
}

const (
	StateOpen   = 1
	StateClosed = 2
)

// Run sweeps ports 1-65535 of cfg.Route.Dst. Sockets are opened before any
// goroutine starts, so a caller inside a network namespace (locked thread)
// gets sockets of that namespace.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	rt := cfg.Route
	if cfg.Senders <= 0 {
		cfg.Senders = 1
	}
	if cfg.Passes <= 0 {
		cfg.Passes = 3
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 50 * time.Millisecond
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()

	key, err := cookie.NewKey()
	if err != nil {
		return nil, err
	}
	base, err := cookie.RandomBase()
	if err != nil {
		return nil, err
	}
	m := cookie.New(key, base)
	srcMAC := rt.Iface.MAC
	if len(srcMAC) == 0 {
		srcMAC = make([]byte, 6)
	}
	tmpl, err := rawio.NewTCPTemplate(rawio.TCPSpec{
		SrcMAC: srcMAC, DstMAC: rt.NextHopMAC, Src: rt.Src, Dst: rt.Dst,
		Flags: rawio.FlagSYN, MSS: 1460,
	})
	if err != nil {
		return nil, err
	}
	rcv, err := rawio.NewReceiver(rt.Iface.Index, rt.Src)
	if err != nil {
		return nil, err
	}
	defer rcv.Close()
	senders := make([]*rawio.Sender, cfg.Senders)
	for i := range senders {
		if senders[i], err = rawio.NewSender(rt.Iface.Index, tmpl.Len(), 0); err != nil {
			return nil, err
		}
		defer senders[i].Close()
	}

	res := &Result{}
	var states [65536]atomic.Uint32
	var lastReply atomic.Int64 // monotonic ns since start of the last new reply
	var answered, rejected atomic.Int64
	start := time.Now()
	stop := make(chan struct{})
	rcvDone := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		handle := func(r *rawio.Reply) {
			if r.Proto != 6 || r.Src != rt.Dst || r.Dst != rt.Src {
				return
			}
			if r.Flags&rawio.FlagRST == 0 && r.Flags&(rawio.FlagSYN|rawio.FlagACK) != rawio.FlagSYN|rawio.FlagACK {
				return // our own SYN looped back on lo, or junk
			}
			if _, ok := m.CheckAck(rt.Src, rt.Dst, r.DstPort, r.SrcPort, r.Ack); !ok {
				rejected.Add(1)
				return
			}
			st := uint32(StateClosed)
			if r.Flags&rawio.FlagSYN != 0 {
				st = StateOpen
			}
			if states[r.SrcPort].CompareAndSwap(0, st) {
				answered.Add(1)
				lastReply.Store(int64(time.Since(start)))
			}
		}
		for {
			select {
			case <-stop:
				rcvDone <- nil
				return
			default:
			}
			if _, err := rcv.Poll(5*time.Millisecond, handle); err != nil {
				rcvDone <- err
				return
			}
		}
	}()
	defer func() { close(stop); <-rcvDone }()

	for pass := 0; pass < cfg.Passes; pass++ {
		var todo []uint16
		for p := 1; p <= 65535; p++ {
			if states[p].Load() == 0 {
				todo = append(todo, uint16(p))
			}
		}
		if len(todo) == 0 {
			break
		}
		res.Passes++
		try := uint8(pass)
		var wg sync.WaitGroup
		errs := make([]error, len(senders))
		for i, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				errs[i] = sendShare(ctx, s, tmpl, m, rt, cfg.TTL, try, todo, i, len(senders))
			}()
		}
		wg.Wait()
		res.Probes += len(todo)
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		// Drain: wait until replies stop coming for Quiet.
		seen := answered.Load()
		for quietSince := time.Now(); time.Since(quietSince) < cfg.Quiet; {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("sweep of %s: %w", rt.Dst, ctx.Err())
			}
			time.Sleep(2 * time.Millisecond)
			if n := answered.Load(); n != seen {
				seen, quietSince = n, time.Now()
			}
		}
	}
	for p := 1; p <= 65535; p++ {
		switch res.States[p] = uint8(states[p].Load()); res.States[p] {
		case StateOpen:
			res.Open++
		case StateClosed:
			res.Closed++
		}
	}
	res.Rejected = int(rejected.Load())
	res.Elapsed = time.Duration(lastReply.Load())
	return res, nil
}

func sendShare(ctx context.Context, s *rawio.Sender, tmpl *rawio.TCPTemplate, m cookie.Matcher,
	rt route.Route, ttl uint8, try uint8, ports []uint16, share, shares int) error {
	sport := m.SrcPort(try)
	for i := share; i < len(ports); i += shares {
		if i%4096 == share && ctx.Err() != nil {
			return ctx.Err()
		}
		f := rawio.TCPFields{SrcPort: sport, DstPort: ports[i], TTL: ttl, IPID: uint16(rand.Uint32())}
		if ttl == 0 {
			f.TTL = uint8(37 + rand.IntN(23))
		}
		f.Seq = m.Seq(rt.Src, rt.Dst, sport, ports[i], try)
		if err := s.Commit(tmpl.Write(s.Slot(), f)); err != nil {
			return err
		}
	}
	return s.Flush()
}
