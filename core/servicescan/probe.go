package servicescan

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// MaxResponse is where reading a probe's response stops, as in Nmap.
const MaxResponse = 4096

// readChunk bounds one read, so a response never exceeds
// MaxResponse+readChunk bytes whatever the peer sends.
const readChunk = 4096

// outcome is how one probe ended.
type outcome uint8

const (
	outTimeout       outcome = iota // the probe's wait ran out
	outFull                         // MaxResponse bytes read
	outClosed                       // the peer closed or reset
	outMatched                      // a hard match
	outConnectFailed                // no connection (refused, timeout, TLS failure)
	outCancelled                    // the port's work ended first
	outCut                          // a silent NULL probe cut short (see NullGrace)
)

// probeRun is the result of one probe on one connection.
type probeRun struct {
	probe   *probe
	resp    []byte
	res     sdk.MatchResult // the last match (hard ends the probe; soft is kept)
	out     outcome
	elapsed time.Duration // from connect to the end of reading
	err     error         // a matcher failure
}

// target is one port being probed.
type target struct {
	addr  netip.Addr
	proto sdk.Proto
	port  uint16
	ssl   bool
}

func (t target) hostPort() string {
	return net.JoinHostPort(t.addr.String(), strconv.Itoa(int(t.port)))
}

// dial opens the probe's connection: TCP, TLS over TCP, or a connected
// UDP socket.
func (s *Scanner) dial(ctx context.Context, t target) (net.Conn, error) {
	if t.proto == sdk.ProtoUDP {
		var d net.Dialer
		return d.DialContext(ctx, "udp", t.hostPort())
	}
	timeout := s.cfg.ConnectTimeout
	if t.ssl {
		timeout = s.cfg.SSLTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "tcp", t.hostPort())
	if err != nil || !t.ssl {
		return c, err
	}
	// Any version, any cipher, no certificate check: the point is to see
	// what speaks inside, as Nmap's SSL tunnel does.
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}) //nolint:gosec
	if err := tc.HandshakeContext(dctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// runProbe connects, sends p's payload, and reads until a hard match, the
// probe's wait, MaxResponse bytes, the peer's close, or cut. Each read is
// matched with everything read before.
func (s *Scanner) runProbe(ctx context.Context, t target, p *probe, cut <-chan struct{}, progress *atomic.Int64) probeRun {
	r := probeRun{probe: p}
	if err := s.acquire(ctx); err != nil {
		r.out = outCancelled
		return r
	}
	defer s.release()
	conn, err := s.dial(ctx, t)
	if err != nil {
		r.out = outConnectFailed
		if ctx.Err() != nil {
			r.out = outCancelled
		}
		return r
	}
	defer conn.Close()
	start := time.Now()
	deadline := start.Add(p.TotalWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	// A cut or the end of the port's work interrupts a blocked read.
	stop := make(chan struct{})
	cutDone := make(chan struct{})
	go func() {
		defer close(cutDone)
		select {
		case <-cut:
			_ = conn.SetReadDeadline(time.Now())
		case <-ctx.Done():
			_ = conn.SetReadDeadline(time.Now())
		case <-stop:
		}
	}()
	defer func() { close(stop); <-cutDone }()

	if len(p.Payload) > 0 {
		_ = conn.SetWriteDeadline(deadline)
		if _, err := conn.Write(p.Payload); err != nil {
			r.out, r.elapsed = classifyReadErr(err), time.Since(start)
			return r
		}
	}
	_ = conn.SetReadDeadline(deadline)
	buf := make([]byte, readChunk)
	var soft *sdk.MatchResult
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			r.resp = append(r.resp, buf[:n]...)
			progress.Store(int64(len(r.resp)))
			res, merr := s.batch.match(ctx, s.scanCtx, sdk.MatchItem{Proto: t.proto, Port: t.port, Probe: p.Name, Response: r.resp, Tunnel: tunnelName(t.ssl)})
			if merr != nil {
				r.out, r.elapsed = outCancelled, time.Since(start)
				if ctx.Err() == nil {
					r.err = merr // the matcher failed, not this port's work
				}
				return r
			}
			if res.Hard {
				r.res, r.out, r.elapsed = res, outMatched, time.Since(start)
				return r
			}
			if res.Soft && soft == nil {
				soft = &res
			}
			if len(r.resp) >= MaxResponse {
				r.out = outFull
				break
			}
		}
		if err != nil {
			r.out = classifyReadErr(err)
			if r.out == outTimeout {
				select {
				case <-cut:
					r.out = outCut
				default:
				}
				if ctx.Err() != nil {
					r.out = outCancelled
				}
			}
			break
		}
	}
	r.elapsed = time.Since(start)
	if soft != nil {
		r.res = *soft
	}
	return r
}

func classifyReadErr(err error) outcome {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return outTimeout
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return outClosed
	}
	// Anything else on an established connection (a TLS alert, an
	// unreachable) ends the probe as a close would.
	return outClosed
}

func tunnelName(ssl bool) string {
	if ssl {
		return "ssl"
	}
	return ""
}
