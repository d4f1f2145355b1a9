package rawscan

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

func synSpec() sdk.ProbeSpec {
	return sdk.ProbeSpec{ScanType: "syn", Proto: sdk.ProtoTCP, Transport: sdk.TransportRawIP,
		Templates: []sdk.PacketTemplate{synTemplate()}, Rules: synRules(),
		Silence: sdk.Verdict{State: sdk.StateFiltered, Reason: "no-response"}}
}

// TestRunLoopback SYN-scans real listeners on 127.0.0.1 and ::1: the raw
// IP path on lo gets its answers, open and closed ports come out right
// with the reply's TTL, and each host is delivered once.
func TestRunLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw sockets need root")
	}
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
			if err != nil {
				t.Skip(err)
			}
			defer ln.Close()
			open := uint16(ln.Addr().(*net.TCPAddr).Port)
			// A port that was just listening and is now closed.
			ln2, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
			if err != nil {
				t.Fatal(err)
			}
			closed := uint16(ln2.Addr().(*net.TCPAddr).Port)
			ln2.Close()
			cfg := ultrascan.DefaultConfig()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			a := netip.MustParseAddr(addr)
			var got []HostResult
			fds := openFDs(t)
			err = Run(ctx, cfg, synSpec(), Options{}, []netip.Addr{a, a}, []uint16{open, closed}, func(r HostResult) { got = append(got, r) })
			if err != nil {
				t.Fatal(err)
			}
			// The sockets close in the background once the last host is
			// complete, but before Run returns.
			if n := openFDs(t); n != fds {
				t.Errorf("%d files open after Run, %d before", n, fds)
			}
			if len(got) != 2 {
				t.Fatalf("%d hosts delivered, want 2", len(got))
			}
			// The address is given twice: each copy gets the replies.
			for _, r := range got {
				if r.Addr != a {
					t.Errorf("addr %v", r.Addr)
				}
				want := map[uint16]string{open: "open/syn-ack", closed: "closed/reset"}
				for p, w := range want {
					e, ok := r.Table.Get(sdk.ProtoTCP, p)
					if !ok || e.State.String()+"/"+e.Reason != w || e.ReasonTTL != 64 {
						t.Errorf("host %d port %d: %+v (answered %v), want %s ttl 64", r.Host, p, e, ok, w)
					}
				}
			}
		})
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestRunRefusesOtherTransports(t *testing.T) {
	t.Parallel()
	spec := synSpec()
	spec.Transport = sdk.TransportConnect
	err := Run(context.Background(), ultrascan.DefaultConfig(), spec, Options{}, nil, nil, func(HostResult) {})
	if err == nil {
		t.Error("ran a connect spec")
	}
}
