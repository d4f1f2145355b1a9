package servicescan

import (
	"context"
	"fmt"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/sdk"
)

// Config is the service phase's setup.
type Config struct {
	Matcher   Matcher
	Catalogue sdk.ServiceCatalogue
	// Intensity is --version-intensity, 0..9 (-sV: 7, --version-light: 2,
	// --version-all: 9).
	Intensity int
	// Services is how many ports are probed at once across all hosts
	// (Nmap: 20 at -T3, 30 at -T4, 40 at -T5, 1 below); 0 means 20.
	Services int
	// Speculate is how many probes of a port run ahead of the one being
	// decided; 0 means 3. Sequential turns it off (Nmap's strict order).
	Speculate  int
	Sequential bool
	// SpecDelay is how long a silent banner wait lasts before later probes
	// start; 0 means 250 ms.
	SpecDelay time.Duration
	// NullGrace is the shortest silent banner wait that later probes may
	// cut once they have decided (see the package doc); 0 means 1 s, a
	// negative value never cuts (Nmap's full wait).
	NullGrace time.Duration
	// ConnectTimeout and SSLTimeout bound a connection and a TLS
	// connection with its handshake; 0 means Nmap's 5 s and 8 s.
	ConnectTimeout, SSLTimeout time.Duration
	// HostTimeout is --host-timeout: a host's whole scan, counted from
	// sdk.Host.Start; 0 means none.
	HostTimeout time.Duration
	// ServiceName names a port from the services table, for results
	// that only the table can name ("" if unknown).
	ServiceName func(sdk.Proto, uint16) string
	// Version and Platform go into fingerprints (V= and P=).
	Version, Platform string
	// Now is the clock of fingerprints' dates; nil means time.Now.
	Now func() time.Time
	// Log gets one trace line per probe result (-d2, like Nmap's
	// --version-trace); nil logs nothing.
	Log hclog.Logger
}

// Scanner runs the service phase for many hosts at once, sharing one
// bound on ports in progress and one on connections.
type Scanner struct {
	cfg     Config
	cat     *Catalogue
	batch   *batcher
	scanCtx context.Context
	ports   chan struct{} // ports in progress
	conns   chan struct{} // probe connections open
}

// New checks cfg and indexes the catalogue. ctx is the scan's context:
// matching runs under it, not under one port's.
func New(ctx context.Context, cfg Config) (*Scanner, error) {
	if cfg.Matcher == nil {
		return nil, fmt.Errorf("service scan: no matcher")
	}
	if cfg.Intensity < 0 || cfg.Intensity > 9 {
		return nil, fmt.Errorf("service scan: version intensity %d is outside 0-9", cfg.Intensity)
	}
	cat, err := NewCatalogue(cfg.Catalogue)
	if err != nil {
		return nil, fmt.Errorf("service scan: catalogue: %w", err)
	}
	if cfg.Services <= 0 {
		cfg.Services = 20
	}
	if cfg.Speculate <= 0 {
		cfg.Speculate = 3
	}
	if cfg.Sequential {
		cfg.Speculate, cfg.NullGrace = 0, -1
	}
	if cfg.SpecDelay <= 0 {
		cfg.SpecDelay = 250 * time.Millisecond
	}
	if cfg.NullGrace == 0 {
		cfg.NullGrace = time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.SSLTimeout <= 0 {
		cfg.SSLTimeout = 8 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scanner{
		cfg: cfg, cat: cat, batch: newBatcher(cfg.Matcher), scanCtx: ctx,
		ports: make(chan struct{}, cfg.Services),
		conns: make(chan struct{}, cfg.Services*(1+cfg.Speculate)),
	}, nil
}

func (s *Scanner) acquire(ctx context.Context) error {
	select {
	case s.conns <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scanner) release() { <-s.conns }

// Host names the services on h's open and open|filtered TCP and UDP
// ports, in place: Service fields, UDP ports that answered become open.
// Ports whose probing did not finish keep what the table said. The error
// is a matcher failure; the scan cannot go on without its matcher.
func (s *Scanner) Host(ctx context.Context, h *sdk.Host) error {
	if s.cfg.HostTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, h.Start.Add(s.cfg.HostTimeout))
		defer cancel()
	}
	results := make([]*portResult, len(h.Ports))
	var wg sync.WaitGroup
	// Open ports first, as Nmap queues them before open|filtered ones.
	for _, want := range []sdk.PortState{sdk.StateOpen, sdk.StateOpenFiltered} {
		for i, p := range h.Ports {
			if p.State != want || (p.Proto != sdk.ProtoTCP && p.Proto != sdk.ProtoUDP) || s.cat.Excluded(p.Proto, p.Number) {
				continue
			}
			select {
			case s.ports <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return s.apply(h, results)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-s.ports }()
				r := s.scanPort(ctx, target{addr: h.Addr, proto: p.Proto, port: p.Number})
				results[i] = &r
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil && s.cfg.HostTimeout > 0 && s.scanCtx.Err() == nil {
		h.TimedOut = true
	}
	return s.apply(h, results)
}

func (s *Scanner) apply(h *sdk.Host, results []*portResult) error {
	var firstErr error
	for i, r := range results {
		if r == nil {
			continue
		}
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		p := &h.Ports[i]
		if p.Proto == sdk.ProtoUDP && p.State == sdk.StateOpenFiltered && r.answered {
			p.State, p.Reason, p.ReasonTTL = sdk.StateOpen, "udp-response", 0
		}
		if svc := s.service(p, r); svc != nil {
			p.Service = svc
		}
	}
	return firstErr
}

// service is the port's Service after probing, or nil to keep the table's.
func (s *Scanner) service(p *sdk.Port, r *portResult) *sdk.Service {
	tunnel := tunnelName(r.ssl)
	switch r.state {
	case finHard:
		svc := r.service
		if r.ssl {
			svc.Tunnel = "ssl"
		}
		svc.Method, svc.Conf = "probed", 10
		return &svc
	case finTCPWrapped:
		svc := r.service
		return &svc
	case finSoft:
		// Nmap reports a softmatch's templates (a product, sometimes a
		// version) and still offers the fingerprint.
		svc := r.service
		svc.Method, svc.Conf, svc.Fingerprint = "probed", 10, s.fingerprint(p, r)
		if r.ssl {
			svc.Tunnel = "ssl"
		}
		return &svc
	case finNoMatch:
		if !r.answered && !r.ssl {
			return nil
		}
		svc := sdk.Service{Method: "table", Conf: 3, Tunnel: tunnel}
		if p.Service != nil {
			svc.Name = p.Service.Name
		} else if s.cfg.ServiceName != nil {
			svc.Name = s.cfg.ServiceName(p.Proto, p.Number)
		}
		if svc.Name == "" {
			svc.Name = "unknown"
		}
		svc.Fingerprint = s.fingerprint(p, r)
		return &svc
	}
	return nil
}
