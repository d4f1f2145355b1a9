package rawio

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSenderPoolSendsEachFrameOnce sends every port of a sweep once per try
// through pools of several sizes on lo and captures them with a Receiver on
// lo: each (port, try) must arrive exactly once, none missing, none doubled,
// whatever worker sent it. lo needs no lab: frames injected there come back
// as received packets (and then die as martians, so nothing answers).
func TestSenderPoolSendsEachFrameOnce(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	// Addresses of this test alone, so parallel tests on lo do not mix in.
	src, dst := netip.MustParseAddr("127.0.77.1"), netip.MustParseAddr("127.0.77.2")
	tmpl, err := NewTCPTemplate(TCPSpec{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6),
		Src: src, Dst: dst, Flags: FlagSYN, MSS: 1460})
	if err != nil {
		t.Fatal(err)
	}
	const ports, tries = 5000, 3
	cases := []struct {
		name           string
		workers, batch int
	}{
		{"one worker", 1, 0},
		{"two workers", 2, 0},
		{"four workers odd batch", 4, 37},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rcv, err := NewReceiver(lo.Index, dst)
			if errors.Is(err, unix.EPERM) || os.Geteuid() != 0 {
				t.Skip("needs root for AF_PACKET")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rcv.Close()
			pool, err := NewSenderPool(lo.Index, tmpl.Len(), tc.batch, tc.workers)
			if err != nil {
				t.Fatal(err)
			}
			// seen[try][port] counts arrivals; the receiver runs alongside the
			// senders, as in a scan, so the ring never has to hold everything.
			var seen [tries][ports + 1]int
			stray := 0
			var arrived atomic.Int64
			got := make(chan int)
			stop := make(chan struct{})
			go func() {
				n := 0
				for {
					select {
					case <-stop:
						got <- n
						return
					default:
					}
					c, err := rcv.Poll(5*time.Millisecond, func(r *Reply) {
						if r.Src != src || r.SrcPort != 40000 || r.DstPort == 0 || r.DstPort > ports || r.Seq >= tries {
							stray++
							return
						}
						seen[r.Seq][r.DstPort]++
						arrived.Add(1)
					})
					if err != nil {
						t.Error(err)
					}
					n += c
				}
			}()
			for try := range uint32(tries) {
				for port := uint16(1); port <= ports; port++ {
					n := tmpl.Write(pool.Slot(), TCPFields{SrcPort: 40000, DstPort: port, Seq: try, TTL: 64})
					if err := pool.Commit(n); err != nil {
						t.Fatal(err)
					}
				}
				if err := pool.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := pool.Close(); err != nil {
				t.Fatal(err)
			}
			if got := pool.Sent(); got != ports*tries {
				t.Errorf("kernel took %d frames, want %d", got, ports*tries)
			}
			// Wait (bounded) for the last frames to come round, then a
			// little longer so a doubled frame would be seen too.
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && arrived.Load() < ports*tries {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			close(stop)
			<-got
			if _, drops, err := rcv.Stats(); err != nil || drops != 0 {
				t.Fatalf("receive ring dropped %d (%v): the count below would not be the pool's fault", drops, err)
			}
			missing, doubled := 0, 0
			for try := range seen {
				for port := 1; port <= ports; port++ {
					switch c := seen[try][port]; {
					case c == 0:
						missing++
					case c > 1:
						doubled++
					}
				}
			}
			if missing != 0 || doubled != 0 {
				t.Errorf("of %d frames: %d never arrived, %d arrived more than once", ports*tries, missing, doubled)
			}
			if stray != 0 {
				t.Logf("%d foreign packets to %v ignored", stray, dst)
			}
		})
	}
}
