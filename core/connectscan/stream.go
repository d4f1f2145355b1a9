package connectscan

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// Target is one host of a streaming scan and what discovery learnt about
// its round trip.
type Target struct {
	Addr netip.Addr
	Seed ultrascan.Seed
}

// Stream scans ports on hosts taken from next, keeping up to width hosts
// in the scan at once and admitting the next host as soon as one
// finishes, so one slow host never holds the others back (a streaming host
// group). HostResult.Host counts hosts in the order next gave them. next
// returns false when it has no more hosts; it is called from Stream's
// goroutine only.
func Stream(ctx context.Context, cfg ultrascan.Config, spec sdk.ProbeSpec, ports []uint16, width int, next func() (Target, bool), done func(HostResult), opts ...Option) error {
	if spec.Transport != sdk.TransportConnect {
		return fmt.Errorf("connect scan of %q: transport %d is not connect", spec.ScanType, spec.Transport)
	}
	if width < 1 {
		return fmt.Errorf("connect scan: host group of %d hosts", width)
	}
	limit := raiseFileLimit() - reservedFDs
	if limit < 8 {
		return fmt.Errorf("connect scan: open-file limit too low (%d usable descriptors)", limit)
	}
	if cfg.MaxInFlight == 0 || cfg.MaxInFlight > limit {
		cfg.MaxInFlight = limit
	}
	s, err := newScanner(cfg, spec, nil, ports)
	if err != nil {
		return err
	}
	defer s.close()
	for _, o := range opts {
		o(s)
	}
	active, exhausted := 0, false
	s.feed = func() bool { return !exhausted }
	// Hosts leave the scan when deliver hands them to done.
	inner := func(r HostResult) {
		active--
		done(r)
	}
	s.admit = func() error {
		for active < width && !exhausted {
			t, ok := next()
			if !ok {
				exhausted = true
				break
			}
			sa, err := sockaddr(t.Addr)
			if err != nil {
				return err
			}
			s.eng.AddHost(time.Now(), t.Seed)
			s.addrs = append(s.addrs, t.Addr)
			s.sas = append(s.sas, sa)
			s.tables = append(s.tables, (*portstate.Table)(nil))
			active++
		}
		return nil
	}
	return s.run(ctx, inner)
}

// refill admits hosts up to the group's width and says whether more may
// come.
func (s *scanner) refill() (bool, error) {
	if err := s.admit(); err != nil {
		return false, err
	}
	return s.feed(), nil
}
