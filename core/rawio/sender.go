package rawio

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/scanfw/scanfw/core/pktcount"
	"golang.org/x/sys/unix"
)

// Sender sends Ethernet frames on one interface through an AF_PACKET socket in
// sendmmsg batches (packet-rate.md: 1.5-2x the rate of one raw-socket sendto
// per probe on this machine). A Sender belongs to one goroutine; run one per
// CPU for more rate, each with its own socket.
type Sender struct {
	fd    int
	batch int
	slot  int // frame buffer size
	bufs  []byte
	iov   []unix.Iovec
	msgs  []mmsghdr
	addrs []unix.RawSockaddrLinklayer
	n     int // frames queued
	sent  uint64
	retry uint64
}

// mmsghdr is struct mmsghdr: a msghdr and the byte count the kernel fills in.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// DefaultBatch is the frames per sendmmsg call; 128-256 measured best, and
// packet-rate.md warns that bursts much larger make Linux targets drop RSTs.
const DefaultBatch = 128

// NewSender opens a sender on interface ifindex for frames of up to maxFrame
// bytes, batch frames per system call (0 means DefaultBatch).
func NewSender(ifindex, maxFrame, batch int) (*Sender, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	// Protocol 0: the socket only sends. Bound to ETH_P_IP it would also get a
	// copy of every IPv4 frame on the interface, ours included.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sender socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sender bind to interface %d: %w", ifindex, err)
	}
	s := &Sender{fd: fd, batch: batch, slot: maxFrame,
		bufs:  make([]byte, batch*maxFrame),
		iov:   make([]unix.Iovec, batch),
		msgs:  make([]mmsghdr, batch),
		addrs: make([]unix.RawSockaddrLinklayer, batch),
	}
	for i := range s.msgs {
		s.iov[i].Base = &s.bufs[i*maxFrame]
		s.msgs[i].hdr.Iov = &s.iov[i]
		s.msgs[i].hdr.Iovlen = 1
		// Commit copies the frame's EtherType into the address: with protocol
		// 0 the kernel would pass the frame on with no protocol set.
		s.addrs[i] = unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Ifindex: int32(ifindex), Halen: 6}
		s.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&s.addrs[i]))
		s.msgs[i].hdr.Namelen = unix.SizeofSockaddrLinklayer
	}
	return s, nil
}

// Slot returns the buffer for the next frame. Fill it and call Commit.
func (s *Sender) Slot() []byte {
	o := s.n * s.slot
	return s.bufs[o : o+s.slot : o+s.slot]
}

// Commit queues the frame of length n written into Slot, sending the batch
// when it is full.
func (s *Sender) Commit(n int) error {
	if n <= 0 {
		return nil
	}
	s.iov[s.n].SetLen(n)
	if n >= ethLen {
		f := s.Slot()
		s.addrs[s.n].Protocol = uint16(f[13])<<8 | uint16(f[12]) // network order in memory
	}
	s.n++
	if s.n == s.batch {
		return s.Flush()
	}
	return nil
}

// Flush sends every queued frame. A full device queue (ENOBUFS, EAGAIN) is
// waited out briefly and retried; the whole call gives up after a second.
func (s *Sender) Flush() error {
	sent, retries, err := sendmmsgAll(s.fd, s.msgs[:s.n], ethLen, "sendmmsg")
	s.sent += uint64(sent)
	s.retry += uint64(retries)
	s.n = 0
	return err
}

// sendmmsgAll hands msgs to the kernel with sendmmsg until it has taken all
// of them, and says how many it took and how often a full queue made it
// wait. A full device or socket queue (ENOBUFS, EAGAIN) is waited out in
// 50 µs steps for up to a second; any other error ends the batch. What the
// kernel took goes to pktcount, less linkHdr bytes a frame.
func sendmmsgAll(fd int, msgs []mmsghdr, linkHdr int, what string) (sent, retries int, err error) {
	var deadline time.Time
	for sent < len(msgs) {
		r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd),
			uintptr(unsafe.Pointer(&msgs[sent])), uintptr(len(msgs)-sent), 0, 0, 0)
		if errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			if errno != unix.ENOBUFS && errno != unix.EAGAIN {
				return sent, retries, fmt.Errorf("%s: %w", what, errno)
			}
			retries++
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(time.Second)
			} else if now.After(deadline) {
				return sent, retries, fmt.Errorf("%s: %w for 1s", what, errno)
			}
			time.Sleep(50 * time.Microsecond)
			continue
		}
		bytes := 0
		for _, m := range msgs[sent : sent+int(r)] {
			bytes += int(m.len) - linkHdr
		}
		pktcount.Sent(int(r), bytes)
		sent += int(r)
	}
	return sent, retries, nil
}

// Sent is the number of frames the kernel accepted.
func (s *Sender) Sent() uint64 { return s.sent }

// Close flushes and closes the socket.
func (s *Sender) Close() error {
	err := s.Flush()
	if cerr := unix.Close(s.fd); cerr != nil && err == nil {
		err = cerr
	}
	return errors.Join(err)
}
