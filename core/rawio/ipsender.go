package rawio

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// IPSender sends IP packets (no link header) through a raw IP socket with
// IP_HDRINCL semantics, in sendmmsg batches. It is the loopback path: a
// frame injected on lo through AF_PACKET re-enters the stack as if it came
// from outside, and the kernel drops a packet with a loopback or local
// source arriving from outside as martian (ip_route_input_slow, no
// route_localnet), so it never reaches TCP. A raw IP socket's packet leaves
// through the output path with its route attached and is looped back like
// the kernel's own. Nmap uses a raw IP socket on lo for the same reason.
type IPSender struct {
	fd    int
	v6    bool
	batch int
	slot  int
	bufs  []byte
	iov   []unix.Iovec
	msgs  []mmsghdr
	a4    []unix.RawSockaddrInet4
	a6    []unix.RawSockaddrInet6
	n     int
	sent  uint64
}

// NewIPSender opens a raw IP sender for IPv4 or IPv6 packets of up to
// maxPacket bytes, batch per system call (0 means DefaultBatch).
func NewIPSender(v6 bool, maxPacket, batch int) (*IPSender, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	family := unix.AF_INET
	if v6 {
		family = unix.AF_INET6
	}
	// IPPROTO_RAW implies IP_HDRINCL (v4) and its IPv6 counterpart: the
	// packet is sent as written, our IP header included.
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("raw ip sender socket: %w", err)
	}
	s := &IPSender{fd: fd, v6: v6, batch: batch, slot: maxPacket,
		bufs: make([]byte, batch*maxPacket),
		iov:  make([]unix.Iovec, batch),
		msgs: make([]mmsghdr, batch),
	}
	if v6 {
		s.a6 = make([]unix.RawSockaddrInet6, batch)
	} else {
		s.a4 = make([]unix.RawSockaddrInet4, batch)
	}
	for i := range s.msgs {
		s.iov[i].Base = &s.bufs[i*maxPacket]
		s.msgs[i].hdr.Iov = &s.iov[i]
		s.msgs[i].hdr.Iovlen = 1
		if v6 {
			s.a6[i].Family = unix.AF_INET6
			s.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&s.a6[i]))
			s.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		} else {
			s.a4[i].Family = unix.AF_INET
			s.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&s.a4[i]))
			s.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4
		}
	}
	return s, nil
}

// Slot returns the buffer for the next packet. Fill it and call Commit.
func (s *IPSender) Slot() []byte {
	o := s.n * s.slot
	return s.bufs[o : o+s.slot : o+s.slot]
}

// Commit queues the packet of length n written into Slot, addressed to the
// destination in its IP header, sending the batch when it is full.
func (s *IPSender) Commit(n int) error {
	p := s.Slot()
	if s.v6 {
		if n < 40 {
			return nil
		}
		copy(s.a6[s.n].Addr[:], p[24:40])
	} else {
		if n < 20 {
			return nil
		}
		copy(s.a4[s.n].Addr[:], p[16:20])
	}
	s.iov[s.n].SetLen(n)
	s.n++
	if s.n == s.batch {
		return s.Flush()
	}
	return nil
}

// Flush sends every queued packet, waiting out a full queue for up to a
// second as Sender.Flush does.
func (s *IPSender) Flush() error {
	sent, _, err := sendmmsgAll(s.fd, s.msgs[:s.n], 0, "raw ip sendmmsg")
	s.sent += uint64(sent)
	s.n = 0
	return err
}

// Sent is the number of packets the kernel accepted.
func (s *IPSender) Sent() uint64 { return s.sent }

// Close flushes and closes the socket.
func (s *IPSender) Close() error {
	err := s.Flush()
	if cerr := unix.Close(s.fd); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
