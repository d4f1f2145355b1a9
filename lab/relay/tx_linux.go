package relay

import (
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr; x/sys/unix has no sendmmsg wrapper.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// txSocket sends frames on one interface in sendmmsg batches. It is bound
// with protocol 0, so the kernel delivers nothing to it.
type txSocket struct {
	fd   int
	msgs []mmsghdr
	iovs []unix.Iovec
}

func openTx(ifi *net.Interface, batch int) (*txSocket, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("tx socket on %s: %w", ifi.Name, err)
	}
	// veth has no qdisc; bypassing the qdisc layer saves its locking.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tx bind on %s: %w", ifi.Name, err)
	}
	t := &txSocket{fd: fd, msgs: make([]mmsghdr, batch), iovs: make([]unix.Iovec, batch)}
	for i := range t.msgs {
		t.msgs[i].hdr.Iov = &t.iovs[i]
		t.msgs[i].hdr.Iovlen = 1
	}
	return t, nil
}

func (t *txSocket) close() { unix.Close(t.fd) }

// Retries for a frame the kernel refuses with ENOBUFS (the peer's backlog
// is full); the relay yields in between so the backlog can drain.
const sendRetries = 8

// send transmits frames and returns how many went out and how many were
// dropped after retries.
func (t *txSocket) send(frames [][]byte) (sent, dropped int) {
	n := len(frames)
	for i, f := range frames {
		t.iovs[i].Base = &f[0]
		t.iovs[i].SetLen(len(f))
	}
	i, tries := 0, 0
	for i < n {
		r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(t.fd), uintptr(unsafe.Pointer(&t.msgs[i])), uintptr(n-i), 0, 0, 0)
		if errno == 0 {
			i += int(r)
			sent += int(r)
			tries = 0
			continue
		}
		if errno == unix.EINTR {
			continue
		}
		if (errno == unix.ENOBUFS || errno == unix.EAGAIN) && tries < sendRetries {
			tries++
			runtime.Gosched()
			continue
		}
		// Any other error (or retries used up) is about this one frame, e.g.
		// EMSGSIZE: skip it and keep the rest of the batch.
		i++
		dropped++
		tries = 0
	}
	return sent, dropped
}

// runSender releases due frames from link onto t until stop is set.
func runSender(link *Link, t *txSocket, now func() time.Duration, stop *atomic.Bool, done <-chan struct{}) {
	// slots holds the batch being sent; takeSlots frees it before it pops
	// the next batch into the same array, so one array serves both.
	slots := make([]int32, 0, len(t.msgs))
	frames := make([][]byte, len(t.msgs))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !stop.Load() {
		var next time.Duration
		var pending bool
		slots, next, pending = link.takeSlots(now(), slots, slots[:0])
		if len(slots) > 0 {
			// Frames are read outside the lock: a popped slot is ours until freed.
			for i, s := range slots {
				frames[i] = link.q.Frame(s)
			}
			sent, dropped := t.send(frames[:len(slots)])
			link.c.out.Add(uint64(sent))
			link.c.sendDrops.Add(uint64(dropped))
			continue
		}
		var wait <-chan time.Time
		if pending {
			d := next - now()
			if d <= 0 {
				continue
			}
			timer.Reset(d) // Go >= 1.23 timers: Reset/Stop leave no stale tick
			wait = timer.C
		}
		select {
		case <-link.wake:
		case <-wait:
		case <-done:
		}
		timer.Stop()
	}
	link.takeSlots(0, slots, slots[:0])
}
