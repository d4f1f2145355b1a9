package rawio

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/scanfw/scanfw/core/pktcount"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Receiver reads replies addressed to one of our addresses through an
// AF_PACKET TPACKET_V3 ring: the kernel fills 16 KiB blocks of frames and we
// walk them in place, one poll per block instead of one syscall per packet.
type Receiver struct {
	fd     int
	ring   []byte
	blocks int
	bsize  int
	cur    int
	reply  Reply
	pkts   uint64
	// decodeProto selects DecodeProto (ForProtocolScan).
	decodeProto bool
	// Trace, when set, sees every frame the filter passes before it is
	// decoded (--packet-trace), with the kernel's receive time.
	Trace func(frame []byte, nanos int64)
}

const (
	// ringBlockSize is small on purpose: a block is handed to us when it is
	// full or when its retire timer fires, and that timer counts in jiffies
	// (4 ms at HZ=250). A windowed scan keeps only a few hundred probes in
	// flight, so a 1 MiB block (thousands of replies) never filled and every
	// reply waited for the timer. 16 KiB holds about a hundred replies: the
	// block retires as soon as a hundred have come, which keeps the round
	// trip short, and 256 of them still buffer 2 MiB of bursts.
	ringBlockSize = 16 << 10
	ringBlocks    = 256
	ringFrameSize = 1 << 11
	// snapLen covers Ethernet, an IPv4 header with options, an ICMP header and
	// the quoted IPv4 header with options and TCP sequence number; IPv6 needs less.
	snapLen = 192
	// tpacket3HdrLen is TPACKET_ALIGN(sizeof(struct tpacket3_hdr)); the
	// sockaddr_ll with the packet type follows it.
	tpacket3HdrLen = 48
)

// NewReceiver opens a receive ring on interface ifindex for the family of
// local, accepting only TCP and ICMP packets whose destination is local.
func NewReceiver(ifindex int, local netip.Addr) (*Receiver, error) {
	local = local.Unmap()
	proto := uint16(unix.ETH_P_IP)
	if local.Is6() {
		proto = unix.ETH_P_IPV6
	}
	filter, err := replyFilter(local)
	if err != nil {
		return nil, err
	}
	// Protocol 0: the socket hears nothing until bind names the protocol
	// and interface. Opened with the protocol, it would listen on every
	// interface at once, and bind would then wait an RCU grace period
	// (about 8 ms here) to detach it again.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("receiver socket: %w", err)
	}
	r := &Receiver{fd: fd, blocks: ringBlocks, bsize: ringBlockSize}
	fail := func(what string, err error) (*Receiver, error) {
		r.Close()
		return nil, fmt.Errorf("receiver %s: %w", what, err)
	}
	// Attach the filter before binding so no unfiltered packet is queued.
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fail("attach filter", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("tpacket v3", err)
	}
	req := unix.TpacketReq3{
		Block_size: ringBlockSize, Block_nr: ringBlocks,
		Frame_size: ringFrameSize, Frame_nr: ringBlockSize / ringFrameSize * ringBlocks,
		// Hand a part-filled block to us after 1 ms: replies must not wait for
		// a megabyte of traffic to be seen.
		Retire_blk_tov: 1,
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("rx ring", err)
	}
	ring, err := unix.Mmap(fd, 0, ringBlockSize*ringBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_LOCKED)
	if err != nil {
		return fail("mmap ring", err)
	}
	r.ring = ring
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	return r, nil
}

// replyFilter accepts TCP, UDP, SCTP and ICMP packets for local and cuts them to snapLen.
func replyFilter(local netip.Addr) ([]unix.SockFilter, error) {
	if local.Is4() {
		return localFilter(local, []uint32{6, 1, 17, 132})
	}
	return localFilter(local, []uint32{6, 58, 17, 132})
}

// localFilter accepts IP packets for local whose protocol (IPv6: next
// header) is one of protos, or of any protocol when protos is empty, and
// cuts them to snapLen.
func localFilter(local netip.Addr, protos []uint32) ([]unix.SockFilter, error) {
	drop := bpf.RetConstant{Val: 0}
	keep := bpf.RetConstant{Val: snapLen}
	// The protocol test: a match jumps to keep, the last miss falls to drop.
	var tail []bpf.Instruction
	if len(protos) == 0 {
		tail = []bpf.Instruction{keep, drop}
	} else {
		off := uint32(ethLen + 9)
		if local.Is6() {
			off = ethLen + 6
		}
		tail = append(tail, bpf.LoadAbsolute{Off: off, Size: 1})
		for i, p := range protos {
			tail = append(tail, bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: uint8(len(protos) - i)})
		}
		tail = append(tail, drop, keep)
	}
	// Every address mismatch jumps to drop: the last instruction when
	// protos is empty, else the one before keep.
	toDrop := func(after int) uint8 { // instructions of tail after the jump's own
		if len(protos) == 0 {
			return uint8(after + 1)
		}
		return uint8(after)
	}
	var prog []bpf.Instruction
	if local.Is4() {
		a := local.As4()
		prog = []bpf.Instruction{
			bpf.LoadAbsolute{Off: 12, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.ETH_P_IP, SkipTrue: toDrop(2 + len(tail) - 2)},
			bpf.LoadAbsolute{Off: ethLen + 16, Size: 4},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: binary.BigEndian.Uint32(a[:]), SkipTrue: toDrop(len(tail) - 2)},
		}
	} else {
		a := local.As16()
		prog = []bpf.Instruction{
			bpf.LoadAbsolute{Off: 12, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.ETH_P_IPV6, SkipTrue: toDrop(8 + len(tail) - 2)},
		}
		for i := 0; i < 4; i++ {
			prog = append(prog,
				bpf.LoadAbsolute{Off: uint32(ethLen + 24 + 4*i), Size: 4},
				bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: binary.BigEndian.Uint32(a[4*i:]), SkipTrue: toDrop(6 - 2*i + len(tail) - 2)},
			)
		}
	}
	raw, err := bpf.Assemble(append(prog, tail...))
	if err != nil {
		return nil, fmt.Errorf("assemble reply filter: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		out[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return out, nil
}

// Poll hands every decoded reply that has arrived to fn, waiting up to timeout
// for the first block. It returns the number of replies handed over. fn gets a
// Reply reused for the next packet.
func (r *Receiver) Poll(timeout time.Duration, fn func(*Reply)) (int, error) {
	handled := 0
	waited := false
	for {
		b := r.ring[r.cur*r.bsize : (r.cur+1)*r.bsize]
		status := (*uint32)(unsafe.Pointer(&b[8]))
		if atomic.LoadUint32(status)&unix.TP_STATUS_USER == 0 {
			if waited || handled > 0 {
				return handled, nil
			}
			waited = true
			pfd := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR}}
			if _, err := unix.Poll(pfd, int(timeout/time.Millisecond)); err != nil && err != unix.EINTR {
				return handled, fmt.Errorf("poll ring: %w", err)
			}
			continue
		}
		handled += r.walk(b, fn)
		atomic.StoreUint32(status, unix.TP_STATUS_KERNEL)
		r.cur = (r.cur + 1) % r.blocks
	}
}

// walk decodes the packets of one retired block.
func (r *Receiver) walk(b []byte, fn func(*Reply)) int {
	num := binary.NativeEndian.Uint32(b[12:])
	off := binary.NativeEndian.Uint32(b[16:])
	// Taken: every frame the filter let through, as Nmap counts what pcap
	// hands it; n: the replies decoded.
	n, taken, bytes := 0, 0, 0
	for i := uint32(0); i < num && int(off)+tpacket3HdrLen <= len(b); i++ {
		h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&b[off]))
		// sll_pkttype: skip our own frames seen on the way out.
		if b[int(off)+tpacket3HdrLen+10] != unix.PACKET_OUTGOING {
			start := int(off) + int(h.Mac)
			end := start + int(h.Snaplen)
			taken++
			bytes += int(h.Len) - int(h.Net-h.Mac)
			if r.Trace != nil && end <= len(b) {
				r.Trace(b[start:end], int64(h.Sec)*1e9+int64(h.Nsec))
			}
			if end <= len(b) && r.decodeFrame(b[start:end]) == decoded {
				r.reply.Nanos = int64(h.Sec)*1e9 + int64(h.Nsec)
				r.pkts++
				fn(&r.reply)
				n++
			}
		}
		if h.Next_offset == 0 {
			break
		}
		off += h.Next_offset
	}
	pktcount.Received(taken, bytes)
	return n
}

// Stats returns the packets the kernel queued and dropped since the last call
// (PACKET_STATISTICS resets on read).
func (r *Receiver) Stats() (packets, drops uint32, err error) {
	st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0, 0, fmt.Errorf("receiver stats: %w", err)
	}
	return st.Packets, st.Drops, nil
}

// Close releases the ring and the socket.
func (r *Receiver) Close() error {
	if r.ring != nil {
		_ = unix.Munmap(r.ring)
		r.ring = nil
	}
	return unix.Close(r.fd)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (r *Receiver) decodeFrame(frame []byte) decodeResult {
	if r.decodeProto {
		return decodeProto(frame, &r.reply)
	}
	return decode(frame, &r.reply)
}
