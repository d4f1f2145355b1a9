package portstate

import (
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

// TestTableDense checks that a table gives the same answers before and
// after a protocol's entries move to the dense array, including entries a
// slot cannot hold and state changes after the move.
func TestTableDense(t *testing.T) {
	t.Parallel()
	closed := sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}
	open := sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}
	filtered := sdk.Verdict{State: sdk.StateFiltered, Reason: "admin-prohibited"}
	cases := []struct {
		name   string
		record func(tb *Table)
		want   map[uint32]Entry // every answered port
	}{
		{
			name: "few ports stay sparse",
			record: func(tb *Table) {
				tb.Record(sdk.ProtoTCP, 22, open, 64)
				tb.Record(sdk.ProtoTCP, 23, closed, 64)
			},
			want: map[uint32]Entry{
				key(sdk.ProtoTCP, 22): {sdk.StateOpen, "syn-ack", 64},
				key(sdk.ProtoTCP, 23): {sdk.StateClosed, "reset", 64},
			},
		},
		{
			name: "every port answers",
			record: func(tb *Table) {
				for p := range 1 << 16 {
					v := closed
					if p == 80 || p == 65535 {
						v = open
					}
					tb.Record(sdk.ProtoTCP, uint16(p), v, p%256)
				}
				tb.Record(sdk.ProtoUDP, 53, open, 61)
			},
			want: func() map[uint32]Entry {
				m := map[uint32]Entry{key(sdk.ProtoUDP, 53): {sdk.StateOpen, "syn-ack", 61}}
				for p := range 1 << 16 {
					e := Entry{sdk.StateClosed, "reset", p % 256}
					if p == 80 || p == 65535 {
						e = Entry{sdk.StateOpen, "syn-ack", p % 256}
					}
					m[key(sdk.ProtoTCP, uint16(p))] = e
				}
				return m
			}(),
		},
		{
			name: "changes after the move keep Update's rules",
			record: func(tb *Table) {
				for p := range denseAt + 10 {
					tb.Record(sdk.ProtoTCP, uint16(p), filtered, 50)
				}
				tb.Record(sdk.ProtoTCP, 1, open, 60)   // filtered -> open
				tb.Record(sdk.ProtoTCP, 1, closed, 61) // open is sticky
				tb.Record(sdk.ProtoTCP, 2, closed, 62) // filtered -> closed
				tb.Record(sdk.ProtoTCP, 2, filtered, 63)
			},
			want: func() map[uint32]Entry {
				m := map[uint32]Entry{}
				for p := range denseAt + 10 {
					m[key(sdk.ProtoTCP, uint16(p))] = Entry{sdk.StateFiltered, "admin-prohibited", 50}
				}
				m[key(sdk.ProtoTCP, 1)] = Entry{sdk.StateOpen, "syn-ack", 60}
				m[key(sdk.ProtoTCP, 2)] = Entry{sdk.StateClosed, "reset", 62}
				return m
			}(),
		},
		{
			name: "entries a slot cannot hold",
			record: func(tb *Table) {
				tb.Record(sdk.ProtoTCP, 7, closed, 70000) // TTL too large, before the move
				for p := 100; p < 100+denseAt; p++ {
					tb.Record(sdk.ProtoTCP, uint16(p), closed, 64)
				}
				tb.Record(sdk.ProtoTCP, 8, closed, -1) // after the move
				tb.Record(sdk.ProtoTCP, 7, open, 64)   // overflowed entry now fits
			},
			want: func() map[uint32]Entry {
				m := map[uint32]Entry{
					key(sdk.ProtoTCP, 7): {sdk.StateOpen, "syn-ack", 64},
					key(sdk.ProtoTCP, 8): {sdk.StateClosed, "reset", -1},
				}
				for p := 100; p < 100+denseAt; p++ {
					m[key(sdk.ProtoTCP, uint16(p))] = Entry{sdk.StateClosed, "reset", 64}
				}
				return m
			}(),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := NewTable(false)
			tc.record(tb)
			if got := tb.Len(); got != len(tc.want) {
				t.Errorf("Len = %d, want %d", got, len(tc.want))
			}
			ans := tb.Answered()
			if len(ans) != len(tc.want) {
				t.Fatalf("Answered has %d ports, want %d", len(ans), len(tc.want))
			}
			for i, p := range ans {
				k := key(p.Proto, p.Number)
				if i > 0 && key(ans[i-1].Proto, ans[i-1].Number) >= k {
					t.Fatalf("Answered not sorted at %d: %v after %v", i, p, ans[i-1])
				}
				got := Entry{p.State, p.Reason, p.ReasonTTL}
				if w := tc.want[k]; got != w {
					t.Errorf("Answered %d/%d = %+v, want %+v", p.Number, p.Proto, got, w)
				}
				if e, ok := tb.Get(p.Proto, p.Number); !ok || e != got {
					t.Errorf("Get %d/%d = %+v %v, Answered says %+v", p.Number, p.Proto, e, ok, got)
				}
			}
			if _, ok := tb.Get(sdk.ProtoSCTP, 1); ok {
				t.Error("Get of a port never recorded says answered")
			}
		})
	}
}

// BenchmarkCollapseAllAnswered is the clean host's -p- picture: every TCP
// port answered, ten open.
func BenchmarkCollapseAllAnswered(b *testing.B) {
	all := make([]uint16, 0, 65535)
	for p := 1; p <= 65535; p++ {
		all = append(all, uint16(p))
	}
	scanned := []Scanned{{Proto: sdk.ProtoTCP, Ports: all, Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}}}
	for b.Loop() {
		tb := NewTable(false)
		for _, p := range all {
			v := sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}
			if p%6000 == 0 {
				v = sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}
			}
			tb.Record(sdk.ProtoTCP, p, v, 64)
		}
		Collapse(tb, scanned, View{})
	}
}
