package pktcount

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct {
		name string
		c    Counts
		want string
	}{
		{"bytes", Counts{1, 44, 2, 84}, "Raw packets sent: 1 (44B) | Rcvd: 2 (84B)"},
		{"kilobytes", Counts{1030, 45320, 1028, 999}, "Raw packets sent: 1030 (45.320KB) | Rcvd: 1028 (999B)"},
		{"megabytes", Counts{131072, 5767168, 65536, 1000000}, "Raw packets sent: 131072 (5.767MB) | Rcvd: 65536 (1.000MB)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.String(); got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}

func TestCounting(t *testing.T) {
	before := Now()
	Sent(2, 88)
	Received(1, 40)
	Received(1, 44)
	got := Now()
	if d := (Counts{got.SentPackets - before.SentPackets, got.SentBytes - before.SentBytes,
		got.RcvdPackets - before.RcvdPackets, got.RcvdBytes - before.RcvdBytes}); d != (Counts{2, 88, 2, 84}) {
		t.Errorf("counted %+v, want 2 sent (88 B) and 2 received (84 B)", d)
	}
}
