package portstate

import (
	"reflect"
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

func span(lo, hi uint16) []uint16 {
	var out []uint16
	for p := lo; p <= hi; p++ {
		out = append(out, p)
	}
	return out
}

// host80 answers 1-80 over TCP: 22 and 80 open, the rest refused; 81-100 are
// silent and so filtered by the connect scan's silence verdict.
func host80() *Table {
	t := NewTable(false)
	for p := uint16(1); p <= 80; p++ {
		v := sdk.Verdict{State: sdk.StateClosed, Reason: "conn-refused"}
		if p == 22 || p == 80 {
			v = sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}
		}
		t.Record(sdk.ProtoTCP, p, v, 0)
	}
	return t
}

var connectSilence = sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}

func TestCollapse(t *testing.T) {
	t.Parallel()
	tcp100 := []Scanned{{Proto: sdk.ProtoTCP, Ports: span(1, 100), Silence: connectSilence}}
	open := func(n uint16) sdk.Port {
		return sdk.Port{Proto: sdk.ProtoTCP, Number: n, State: sdk.StateOpen, Reason: "syn-ack"}
	}
	filtered := func(lo, hi uint16) []sdk.Port {
		var out []sdk.Port
		for p := lo; p <= hi; p++ {
			out = append(out, sdk.Port{Proto: sdk.ProtoTCP, Number: p, State: sdk.StateFiltered, Reason: "no-response"})
		}
		return out
	}
	closed78 := sdk.ExtraPorts{State: sdk.StateClosed, Count: 78, Reasons: []sdk.ExtraReason{
		{Reason: "conn-refused", Count: 78, Proto: sdk.ProtoTCP, Ports: "1-21,23-79"},
	}}
	tests := []struct {
		name      string
		table     *Table
		scanned   []Scanned
		view      View
		wantShown []sdk.Port
		wantExtra []sdk.ExtraPorts
	}{
		{
			name:  "verbosity 0 collapses the 78 closed, shows 20 filtered",
			table: host80(), scanned: tcp100,
			wantShown: append([]sdk.Port{open(22), open(80)}, filtered(81, 100)...),
			wantExtra: []sdk.ExtraPorts{closed78},
		},
		{
			name:  "verbosity 3 raises the limit to 100",
			table: host80(), scanned: tcp100, view: View{Verbosity: 3},
			wantShown: func() []sdk.Port {
				var out []sdk.Port
				for p := uint16(1); p <= 80; p++ {
					if p == 22 || p == 80 {
						out = append(out, open(p))
					} else {
						out = append(out, sdk.Port{Proto: sdk.ProtoTCP, Number: p, State: sdk.StateClosed, Reason: "conn-refused"})
					}
				}
				return append(out, filtered(81, 100)...)
			}(),
		},
		{
			name:  "--open hides every state that cannot be open",
			table: host80(), scanned: tcp100, view: View{OpenOnly: true},
			wantShown: []sdk.Port{open(22), open(80)},
			wantExtra: []sdk.ExtraPorts{closed78, {State: sdk.StateFiltered, Count: 20, Reasons: []sdk.ExtraReason{
				{Reason: "no-response", Count: 20, Proto: sdk.ProtoTCP, Ports: "81-100"},
			}}},
		},
		{
			name:    "nothing answered: all silent ports collapsed",
			scanned: []Scanned{{Proto: sdk.ProtoTCP, Ports: span(1, 1000), Silence: connectSilence}},
			wantExtra: []sdk.ExtraPorts{{State: sdk.StateFiltered, Count: 1000, Reasons: []sdk.ExtraReason{
				{Reason: "no-response", Count: 1000, Proto: sdk.ProtoTCP, Ports: "1-1000"},
			}}},
		},
		{
			name: "reasons per protocol, most common first",
			table: func() *Table {
				t := NewTable(false)
				for p := uint16(1); p <= 40; p++ {
					t.Record(sdk.ProtoUDP, p, sdk.Verdict{State: sdk.StateClosed, Reason: "port-unreach"}, 64)
				}
				for p := uint16(1); p <= 30; p++ {
					t.Record(sdk.ProtoTCP, p, sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}, 64)
				}
				return t
			}(),
			scanned: []Scanned{
				{Proto: sdk.ProtoTCP, Ports: span(1, 30), Silence: connectSilence},
				{Proto: sdk.ProtoUDP, Ports: span(1, 40), Silence: sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"}},
			},
			wantExtra: []sdk.ExtraPorts{{State: sdk.StateClosed, Count: 70, Reasons: []sdk.ExtraReason{
				{Reason: "port-unreach", Count: 40, Proto: sdk.ProtoUDP, Ports: "1-40"},
				{Reason: "reset", Count: 30, Proto: sdk.ProtoTCP, Ports: "1-30"},
			}}},
		},
		{
			name:    "open|filtered is never collapsed at -vvv",
			scanned: []Scanned{{Proto: sdk.ProtoUDP, Ports: span(1, 500), Silence: sdk.Verdict{State: sdk.StateOpenFiltered, Reason: "no-response"}}},
			view:    View{Verbosity: 3},
			wantShown: func() []sdk.Port {
				var out []sdk.Port
				for p := uint16(1); p <= 500; p++ {
					out = append(out, sdk.Port{Proto: sdk.ProtoUDP, Number: p, State: sdk.StateOpenFiltered, Reason: "no-response"})
				}
				return out
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shown, extra := Collapse(tc.table, tc.scanned, tc.view)
			if !reflect.DeepEqual(shown, tc.wantShown) {
				t.Errorf("shown:\n got %v\nwant %v", shown, tc.wantShown)
			}
			if !reflect.DeepEqual(extra, tc.wantExtra) {
				t.Errorf("extra:\n got %+v\nwant %+v", extra, tc.wantExtra)
			}
		})
	}
}

func TestIsIgnoredLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		count int
		view  View
		want  bool
	}{
		{"25 shown at v0", 25, View{}, false},
		{"26 collapsed at v0", 26, View{}, true},
		{"50 shown at v1", 50, View{Verbosity: 1}, false},
		{"51 collapsed at v1", 51, View{Verbosity: 1}, true},
		{"debugging grows the limit by 20x", 525, View{Debugging: 1}, false},
		{"ip-proto grows it by 5x", 151, View{Debugging: 1, IPProto: true}, true},
		{"-ddd shows everything", 1 << 16, View{Debugging: 3}, false},
		{"--open collapses even one", 1, View{OpenOnly: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := isIgnored(sdk.StateClosed, tc.count, tc.view); got != tc.want {
				t.Errorf("isIgnored(closed, %d, %+v) = %v, want %v", tc.count, tc.view, got, tc.want)
			}
		})
	}
}

func TestRecordKeepsReasonWithState(t *testing.T) {
	t.Parallel()
	tb := NewTable(false)
	tb.Record(sdk.ProtoTCP, 80, sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}, 50)
	if got := tb.Record(sdk.ProtoTCP, 80, sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}, 60); got != sdk.StateOpen {
		t.Fatalf("open port became %v", got)
	}
	if e, _ := tb.Get(sdk.ProtoTCP, 80); e.Reason != "syn-ack" || e.ReasonTTL != 50 {
		t.Errorf("entry = %+v, want the syn-ack evidence kept", e)
	}
	tb.Record(sdk.ProtoTCP, 81, sdk.Verdict{}, 0)
	if tb.Len() != 1 {
		t.Errorf("a verdict without state was stored: %v", tb.Answered())
	}
}
