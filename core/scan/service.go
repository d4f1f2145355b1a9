package scan

import (
	"context"
	"sync"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// ServicePhase names the services on a host's ports after its port scan
// (-sV). It edits the host in place; an error stops the scan.
type ServicePhase interface {
	Host(ctx context.Context, h *sdk.Host) error
}

// delivery hands finished hosts to the sink, after their service phase
// when the plan has one. Hosts of a group go through the phase at once,
// so one slow service does not hold back the others; the sink still sees
// one host at a time.
type delivery struct {
	ctx   context.Context
	phase ServicePhase
	sink  Sink

	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

func (d *delivery) host(h sdk.Host) {
	if d.phase == nil || h.Status.State != "up" || len(h.Ports) == 0 {
		d.send(h, nil)
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		err := d.phase.Host(d.ctx, &h)
		h.End = time.Now()
		d.send(h, err)
	}()
}

func (d *delivery) send(h sdk.Host, phaseErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	if phaseErr != nil {
		d.err = phaseErr
		return
	}
	d.err = d.sink.Host(d.ctx, h)
}

// failed reports whether a host could not be delivered, so the group stops
// taking new hosts.
func (d *delivery) failed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err != nil
}

// wait returns the first error once every host is delivered.
func (d *delivery) wait() error {
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
