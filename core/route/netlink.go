package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"syscall"

	"golang.org/x/sys/unix"
)

// nlRequest sends one rtnetlink request and collects the replies up to the end
// of a dump (or the single answer of a get). The socket lives only for the call:
// lookups happen once per target group, not per packet.
func nlRequest(typ uint16, flags uint16, body []byte) ([]syscall.NetlinkMessage, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	// Bound the wait: a kernel that never answers must not hang a scan.
	tv := unix.Timeval{Sec: 2}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)

	const seq = 1
	hdr := unix.NlMsghdr{
		Len:   uint32(unix.NLMSG_HDRLEN + len(body)),
		Type:  typ,
		Flags: unix.NLM_F_REQUEST | flags,
		Seq:   seq,
		Pid:   0,
	}
	msg := make([]byte, hdr.Len)
	*(*unix.NlMsghdr)(unsafe.Pointer(&msg[0])) = hdr
	copy(msg[unix.NLMSG_HDRLEN:], body)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}

	var out []syscall.NetlinkMessage
	for {
		// A fresh buffer per datagram: the parsed messages point into it, and
		// a dump that spans datagrams (a neighbour table with hundreds of
		// entries) would otherwise overwrite the ones already collected.
		buf := make([]byte, 1<<16)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink parse: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("netlink: short error message")
				}
				code := int32(binary.NativeEndian.Uint32(m.Data[:4]))
				if code == 0 { // an ACK
					return out, nil
				}
				return nil, unix.Errno(-code)
			}
			out = append(out, m)
			if m.Header.Flags&unix.NLM_F_MULTI == 0 {
				return out, nil
			}
		}
	}
}

// rtAttr appends one route attribute (header, payload, padding).
func rtAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	var h [unix.SizeofRtAttr]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(l))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h[:]...)
	b = append(b, data...)
	for len(b)%unix.RTA_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}

func structBytes[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

func structPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

// parseAttrs parses a run of route attributes (syscall.ParseNetlinkRouteAttr only
// knows the fixed headers of route, link and address messages).
func parseAttrs(b []byte) ([]syscall.NetlinkRouteAttr, error) {
	var out []syscall.NetlinkRouteAttr
	for len(b) >= unix.SizeofRtAttr {
		l := int(binary.NativeEndian.Uint16(b[0:]))
		typ := binary.NativeEndian.Uint16(b[2:])
		if l < unix.SizeofRtAttr || l > len(b) {
			return nil, errors.New("bad attribute length")
		}
		out = append(out, syscall.NetlinkRouteAttr{
			Attr:  syscall.RtAttr{Len: uint16(l), Type: typ},
			Value: b[unix.SizeofRtAttr:l],
		})
		al := (l + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
		if al > len(b) {
			break
		}
		b = b[al:]
	}
	return out, nil
}
