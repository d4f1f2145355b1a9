package nmapargs

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestProbeFlagSettings checks that --scanflags and --defeat-icmp-ratelimit
// land as settings of the probe block that reads them.
func TestProbeFlagSettings(t *testing.T) {
	t.Parallel()
	type set struct{ id, key, value string }
	tests := []struct {
		name string
		args []string
		ids  []string
		want []set
	}{
		{"scanflags alone is a SYN-style scan", []string{"--scanflags", "URGPSHFIN", "h"},
			[]string{"probe.tcp_syn"}, []set{{"probe.tcp_syn", "flags", "URGPSHFIN"}}},
		{"scanflags as a number", []string{"--scanflags=18", "h"},
			[]string{"probe.tcp_syn"}, []set{{"probe.tcp_syn", "flags", "18"}}},
		{"scanflags with a base scan type", []string{"-sF", "--scanflags", "synfin", "h"},
			[]string{"probe.tcp_fin"}, []set{{"probe.tcp_fin", "flags", "synfin"}}},
		{"scanflags before the scan type", []string{"--scanflags", "ACK", "-sW", "h"},
			[]string{"probe.tcp_window"}, []set{{"probe.tcp_window", "flags", "ACK"}}},
		{"scanflags goes to the TCP scan beside UDP", []string{"-sU", "-sA", "--scanflags", "ACKFIN", "h"},
			[]string{"probe.udp", "probe.tcp_ack"}, []set{{"probe.tcp_ack", "flags", "ACKFIN"}}},
		{"defeat-icmp-ratelimit on the UDP scan", []string{"-sU", "--defeat-icmp-ratelimit", "h"},
			[]string{"probe.udp"}, []set{{"probe.udp", "defeat_icmp_ratelimit", "true"}}},
		{"defeat-icmp-ratelimit without UDP is ignored", []string{"-sS", "--defeat-icmp-ratelimit", "h"},
			[]string{"probe.tcp_syn"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Parse(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			p := inv.Profile
			var ids []string
			n := 0
			for _, s := range p.Scans {
				ids = append(ids, s.ID)
				n += len(s.Settings)
			}
			if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
				t.Fatalf("scans %v, want %v", ids, tc.ids)
			}
			if n != len(tc.want) {
				t.Errorf("%d settings, want %d: %+v", n, len(tc.want), p.Scans)
			}
			for _, w := range tc.want {
				u := p.Find(w.id)
				if u == nil {
					t.Fatalf("no %s block", w.id)
				}
				v, ok := u.Settings[w.key]
				if !ok {
					t.Fatalf("%s has no %s setting", w.id, w.key)
				}
				got := ""
				switch v.Type() {
				case cty.String:
					got = v.AsString()
				case cty.Bool:
					got = "false"
					if v.True() {
						got = "true"
					}
				}
				if got != w.value {
					t.Errorf("%s.%s = %q, want %q", w.id, w.key, got, w.value)
				}
			}
		})
	}
}

func TestProbeFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"scanflags on a connect scan", []string{"-sT", "--scanflags", "SYN", "h"}, "--scanflags sets the flags of a raw TCP scan"},
		{"scanflags on UDP only", []string{"-sU", "--scanflags", "SYN", "h"}, "--scanflags sets the flags of a raw TCP scan"},
		{"scanflags needs a value", []string{"h", "--scanflags"}, "--scanflags"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
