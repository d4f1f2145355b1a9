package cookie

import (
	"net/netip"
	"testing"
)

var (
	us   = netip.MustParseAddr("198.18.200.1")
	them = netip.MustParseAddr("198.18.200.2")
	us6  = netip.MustParseAddr("2001:db8:200::1")
	th6  = netip.MustParseAddr("2001:db8:200::2")
)

func testKey(seed byte) Key {
	var b [16]byte
	for i := range b {
		b[i] = seed + byte(i)
	}
	return KeyFrom(b)
}

func TestRoundTripRecoversTry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		m        Matcher
		src, dst netip.Addr
		dport    uint16
		try      uint8
	}{
		{"ipv4 first try", New(testKey(1), 40000), us, them, 80, 0},
		{"ipv4 retry", New(testKey(1), 40000), us, them, 443, 3},
		{"ipv4 last try", New(testKey(1), 33000), us, them, 65535, MaxTry},
		{"ipv6", New(testKey(2), 50000), us6, th6, 22, 1},
		{"fixed source port", NewFixedPort(testKey(3), 53), us, them, 8000, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sport := tc.m.SrcPort(tc.try)
			seq := tc.m.Seq(tc.src, tc.dst, sport, tc.dport, tc.try)
			try, ok := tc.m.CheckAck(tc.src, tc.dst, sport, tc.dport, seq+1)
			if !ok || try != tc.try {
				t.Fatalf("CheckAck(seq+1) = %d, %v; want %d, true", try, ok, tc.try)
			}
			try, ok = tc.m.CheckSeq(tc.src, tc.dst, sport, tc.dport, seq)
			if !ok || try != tc.try {
				t.Fatalf("CheckSeq(seq) = %d, %v; want %d, true", try, ok, tc.try)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	t.Parallel()
	m := New(testKey(1), 40000)
	const dport, try = 80, 2
	sport := m.SrcPort(try)
	seq := m.Seq(us, them, sport, dport, try)
	cases := []struct {
		name     string
		m        Matcher
		src, dst netip.Addr
		sport    uint16
		dport    uint16
		ack      uint32
	}{
		{"forged ack", m, us, them, sport, dport, seq + 1 + 0x100},
		{"ack without +1", m, us, them, sport, dport, seq},
		{"other target", m, us, netip.MustParseAddr("198.18.200.3"), sport, dport, seq + 1},
		{"other target port", m, us, them, sport, 81, seq + 1},
		{"port of another try", m, us, them, sport + 1, dport, seq + 1},
		{"previous phase", New(testKey(1), NextBase(40000)), us, them, sport, dport, seq + 1},
		{"another scan's key", New(testKey(9), 40000), us, them, sport, dport, seq + 1},
		{"try bits altered", m, us, them, sport, dport, seq + 1 ^ 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if try, ok := tc.m.CheckAck(tc.src, tc.dst, tc.sport, tc.dport, tc.ack); ok {
				t.Fatalf("accepted forged reply as try %d", try)
			}
		})
	}
}

// TestBlindForgeryRate sends a blind forger's guesses at the right port pair and
// counts acceptances; with 24 keyed bits the expected count is 2^20/2^24 = 1/16.
func TestBlindForgeryRate(t *testing.T) {
	t.Parallel()
	m := New(testKey(4), 40000)
	accepted := 0
	for i := uint32(0); i < 1<<20; i++ {
		ack := i*2654435761 + 12345 // spread over the 32-bit space
		if _, ok := m.CheckAck(us, them, m.SrcPort(uint8(ack-1)), 80, ack); ok {
			accepted++
		}
	}
	if accepted > 3 {
		t.Fatalf("%d of 2^20 blind guesses accepted; want about 0", accepted)
	}
}

func TestNextBase(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		prev uint16
		want uint16
	}{
		{"moves by 256", 33000, 33256},
		{"wraps inside the range", BaseMin + BaseSpan - 100, BaseMin + 156},
		{"out of range restarts", 1000, BaseMin},
	}
	for _, tc := range cases {
		if got := NextBase(tc.prev); got != tc.want {
			t.Errorf("%s: NextBase(%d) = %d, want %d", tc.name, tc.prev, got, tc.want)
		}
		if got := NextBase(tc.prev); int(got)+MaxTry > 65535 {
			t.Errorf("%s: base %d + MaxTry overflows the port space", tc.name, got)
		}
	}
	for range 100 {
		b, err := RandomBase()
		if err != nil {
			t.Fatal(err)
		}
		if b < BaseMin || b >= BaseMin+BaseSpan {
			t.Fatalf("RandomBase() = %d outside [%d, %d)", b, BaseMin, BaseMin+BaseSpan)
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	m := New(testKey(5), 40000)
	seq := m.Seq(us6, th6, 40001, 80, 1)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := m.CheckAck(us6, th6, 40001, 80, seq+1); !ok {
			t.Fatal("valid ack rejected")
		}
	})
	if allocs != 0 {
		t.Fatalf("CheckAck allocates %.1f times per call", allocs)
	}
}

func BenchmarkCheckAck(b *testing.B) {
	m := New(testKey(5), 40000)
	seq := m.Seq(us, them, 40001, 80, 1)
	for b.Loop() {
		m.CheckAck(us, them, 40001, 80, seq+1)
	}
}
