package rawio

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// frame builds an Ethernet frame carrying an IP header addressed to dst
// with the given protocol (IPv6: next header).
func frame(dst netip.Addr, proto byte) []byte {
	if dst.Is4() {
		b := make([]byte, ethLen+40)
		b[12], b[13] = 0x08, 0x00
		b[ethLen] = 0x45
		b[ethLen+9] = proto
		a := dst.As4()
		copy(b[ethLen+16:], a[:])
		return b
	}
	b := make([]byte, ethLen+60)
	b[12], b[13] = 0x86, 0xdd
	b[ethLen] = 0x60
	b[ethLen+6] = proto
	a := dst.As16()
	copy(b[ethLen+24:], a[:])
	return b
}

// TestFilters runs the reply filter and the protocol-scan filter in a BPF
// VM: both keep only packets for the local address, the reply filter only
// of the protocols the scans decode.
func TestFilters(t *testing.T) {
	v4, other4 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	v6, other6 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	arp := frame(v4, 6)
	arp[12], arp[13] = 0x08, 0x06
	tests := []struct {
		name       string
		local      netip.Addr
		frame      []byte
		reply, any bool
	}{
		{"v4 TCP", v4, frame(v4, 6), true, true},
		{"v4 ICMP", v4, frame(v4, 1), true, true},
		{"v4 UDP", v4, frame(v4, 17), true, true},
		{"v4 SCTP", v4, frame(v4, 132), true, true},
		{"v4 GRE", v4, frame(v4, 47), false, true},
		{"v4 TCP to another address", v4, frame(other4, 6), false, false},
		{"ARP", v4, arp, false, false},
		{"v6 frame on a v4 filter", v4, frame(v6, 6), false, false},
		{"v6 TCP", v6, frame(v6, 6), true, true},
		{"v6 ICMPv6", v6, frame(v6, 58), true, true},
		{"v6 UDP", v6, frame(v6, 17), true, true},
		{"v6 SCTP", v6, frame(v6, 132), true, true},
		{"v6 ESP", v6, frame(v6, 50), false, true},
		{"v6 TCP to another address", v6, frame(other6, 6), false, false},
		{"v4 frame on a v6 filter", v6, frame(v4, 6), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []struct {
				name string
				fn   func(netip.Addr) ([]bpf.Instruction, error)
				want bool
			}{{"reply filter", replyFilterVM, tt.reply}, {"protocol-scan filter", anyFilterVM, tt.any}} {
				prog, err := f.fn(tt.local)
				if err != nil {
					t.Fatal(err)
				}
				vm, err := bpf.NewVM(prog)
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				n, err := vm.Run(tt.frame)
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				if got := n > 0; got != f.want {
					t.Errorf("%s keeps it = %v, want %v", f.name, got, f.want)
				}
			}
		})
	}
}

func toVM(local netip.Addr, build func(netip.Addr) ([]unix.SockFilter, error)) ([]bpf.Instruction, error) {
	fs, err := build(local)
	if err != nil {
		return nil, err
	}
	out := make([]bpf.Instruction, len(fs))
	for i, f := range fs {
		out[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}.Disassemble()
	}
	return out, nil
}

func replyFilterVM(local netip.Addr) ([]bpf.Instruction, error) { return toVM(local, replyFilter) }
func anyFilterVM(local netip.Addr) ([]bpf.Instruction, error)   { return toVM(local, anyProtoFilter) }
