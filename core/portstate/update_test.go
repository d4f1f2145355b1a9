package portstate

import (
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

func TestUpdate(t *testing.T) {
	t.Parallel()
	const (
		unk = sdk.StateUnknown
		o   = sdk.StateOpen
		c   = sdk.StateClosed
		f   = sdk.StateFiltered
		u   = sdk.StateUnfiltered
		of  = sdk.StateOpenFiltered
		cf  = sdk.StateClosedFiltered
	)
	all := []sdk.PortState{o, c, f, u, of, cf}
	type row struct {
		name   string
		cur    sdk.PortState
		noresp bool
		want   func(p sdk.PortState) sdk.PortState
	}
	keep := func(s sdk.PortState) func(sdk.PortState) sdk.PortState {
		return func(sdk.PortState) sdk.PortState { return s }
	}
	accept := func(p sdk.PortState) sdk.PortState { return p }
	rows := []row{
		{"new port accepts anything", unk, false, accept},
		{"new port accepts anything, noresp-open", unk, true, accept},
		{"open is sticky", o, false, keep(o)},
		{"open yields in noresp-open scans", o, true, accept},
		{"closed never becomes filtered, else accepts", c, false, func(p sdk.PortState) sdk.PortState {
			if p == f {
				return c
			}
			return p
		}},
		{"closed is final in noresp-open scans", c, true, keep(c)},
		{"filtered accepts anything", f, false, accept},
		{"filtered rejects open in noresp-open scans", f, true, func(p sdk.PortState) sdk.PortState {
			if p == o {
				return f
			}
			return p
		}},
		{"unfiltered accepts only open or closed", u, false, func(p sdk.PortState) sdk.PortState {
			if p == o || p == c {
				return p
			}
			return u
		}},
		{"unfiltered accepts only open or closed, noresp-open", u, true, func(p sdk.PortState) sdk.PortState {
			if p == o || p == c {
				return p
			}
			return u
		}},
		{"open|filtered accepts anything", of, false, accept},
		{"open|filtered accepts anything, noresp-open", of, true, accept},
		{"closed|filtered accepts anything", cf, false, accept},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range all {
				if got, want := Update(r.cur, p, r.noresp), r.want(p); got != want {
					t.Errorf("Update(%v, %v, %v) = %v, want %v", r.cur, p, r.noresp, got, want)
				}
			}
			if got := Update(r.cur, unk, r.noresp); got != r.cur {
				t.Errorf("a reply without verdict changed %v to %v", r.cur, got)
			}
		})
	}
}
