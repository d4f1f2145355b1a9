package relay

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Receive ring geometry. 1 ms is the shortest block retire timeout the
// kernel accepts: at low rates a frame waits at most that long before the
// relay sees it, and the frame's own timestamp takes that wait out of its
// delay. 32 blocks of 256 KiB hold about 50 ms of minimum-size frames at
// 100 k frames/s even if the relay stalls.
const (
	ringBlockSize = 256 << 10
	ringBlocks    = 32
	ringFrameSize = 2048 // TPACKET_V3 packs frames; only used for frame_nr
	ringRetireMs  = 1
)

// rxRing is an AF_PACKET socket bound to one interface with a TPACKET_V3
// receive ring: the kernel copies frames into shared memory blocks and the
// relay reads them without a system call per frame.
type rxRing struct {
	fd     int
	mem    []byte
	blocks int
	cur    int
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openRxRing(ifi *net.Interface) (*rxRing, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("rx socket on %s: %w", ifi.Name, err)
	}
	r := &rxRing{fd: fd, blocks: ringBlocks}
	fail := func(what string, err error) (*rxRing, error) {
		r.close()
		return nil, fmt.Errorf("rx %s on %s: %w", what, ifi.Name, err)
	}
	// The relay's own transmissions on this interface would come back as
	// PACKET_OUTGOING copies; not having them queued at all saves the copy.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		return fail("PACKET_IGNORE_OUTGOING", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("PACKET_VERSION", err)
	}
	req := unix.TpacketReq3{
		Block_size:     ringBlockSize,
		Block_nr:       ringBlocks,
		Frame_size:     ringFrameSize,
		Frame_nr:       ringBlockSize / ringFrameSize * ringBlocks,
		Retire_blk_tov: ringRetireMs,
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("PACKET_RX_RING", err)
	}
	mem, err := unix.Mmap(fd, 0, ringBlockSize*ringBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_LOCKED|unix.MAP_POPULATE)
	if err != nil {
		// MAP_LOCKED can fail under a small RLIMIT_MEMLOCK; it is only an optimisation.
		mem, err = unix.Mmap(fd, 0, ringBlockSize*ringBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fail("mmap", err)
		}
	}
	r.mem = mem
	// Bind last: until then frames would be accepted without a ring.
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	return r, nil
}

func (r *rxRing) close() {
	if r.mem != nil {
		_ = unix.Munmap(r.mem)
		r.mem = nil
	}
	if r.fd >= 0 {
		_ = unix.Close(r.fd)
		r.fd = -1
	}
}

// Offsets inside a block (struct tpacket_block_desc, tpacket_hdr_v1) and a
// frame (struct tpacket3_hdr followed by struct sockaddr_ll).
const (
	blkStatusOff  = 8
	blkNumPktsOff = 12
	blkFirstOff   = 16
	tpNextOff     = 0
	tpSecOff      = 4
	tpNsecOff     = 8
	tpSnaplenOff  = 12
	tpStatusOff   = 20
	tpMacOff      = 24
	tpVlanTCIOff  = 32
	tpVlanTPIDOff = 36
	tpSockaddrOff = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
	sllPkttypeOff = 10
)

func (r *rxRing) blockStatus(b []byte) *uint32 {
	return (*uint32)(unsafe.Pointer(&b[blkStatusOff]))
}

// run reads frames until stop is set and offers each to link; arrival times
// come from the frames' kernel timestamps, moved onto now's clock.
func (r *rxRing) run(link *Link, now func() time.Duration, stop *atomic.Bool) error {
	pfd := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR}}
	le := binary.LittleEndian // the ring uses host order; this relay targets little-endian Linux
	for !stop.Load() {
		blk := r.mem[r.cur*ringBlockSize : (r.cur+1)*ringBlockSize]
		st := r.blockStatus(blk)
		if atomic.LoadUint32(st)&unix.TP_STATUS_USER == 0 {
			if _, err := unix.Poll(pfd, 100); err != nil && err != unix.EINTR {
				return fmt.Errorf("poll rx ring: %w", err)
			}
			continue
		}
		mono := now()
		wall := time.Now().UnixNano()
		n := int(le.Uint32(blk[blkNumPktsOff:]))
		off := int(le.Uint32(blk[blkFirstOff:]))
		b := link.begin()
		for i := 0; i < n && off+tpSockaddrOff+12 <= len(blk); i++ {
			h := blk[off:]
			next := int(le.Uint32(h[tpNextOff:]))
			if h[tpSockaddrOff+sllPkttypeOff] != unix.PACKET_OUTGOING {
				r.offer(&b, h, mono, wall)
			}
			if next == 0 {
				break
			}
			off += next
		}
		b.end()
		atomic.StoreUint32(st, unix.TP_STATUS_KERNEL)
		r.cur = (r.cur + 1) % r.blocks
	}
	return nil
}

func (r *rxRing) offer(b *batch, h []byte, mono time.Duration, wall int64) {
	le := binary.LittleEndian
	snap := int(le.Uint32(h[tpSnaplenOff:]))
	status := le.Uint32(h[tpStatusOff:])
	mac := int(le.Uint16(h[tpMacOff:]))
	if mac+snap > len(h) {
		return
	}
	pkt := h[mac : mac+snap]
	vlan := status&unix.TP_STATUS_VLAN_VALID != 0 && snap >= 12
	size := snap
	if vlan {
		size += 4
	}
	buf, ok := b.admit(size)
	if !ok {
		return
	}
	if vlan {
		// The kernel took the tag off into metadata; put it back on the wire.
		tpid := uint16(unix.ETH_P_8021Q)
		if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			tpid = le.Uint16(h[tpVlanTPIDOff:])
		}
		copy(buf, pkt[:12])
		binary.BigEndian.PutUint16(buf[12:], tpid)
		binary.BigEndian.PutUint16(buf[14:], uint16(le.Uint32(h[tpVlanTCIOff:])))
		copy(buf[16:], pkt[12:])
	} else {
		copy(buf, pkt)
	}
	if status&unix.TP_STATUS_CSUMNOTREADY != 0 && fixChecksum(buf[:size]) {
		b.l.c.csumFixed.Add(1)
	}
	ts := int64(le.Uint32(h[tpSecOff:]))*1e9 + int64(le.Uint32(h[tpNsecOff:]))
	age := time.Duration(wall - ts)
	if age < 0 || age > time.Second {
		age = 0 // clock stepped; fall back to "arrived now"
	}
	b.commit(size, mono-age)
}

// drops reads and resets the kernel's count of frames lost for want of ring space.
func (r *rxRing) drops() uint64 {
	st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0
	}
	return uint64(st.Drops)
}
