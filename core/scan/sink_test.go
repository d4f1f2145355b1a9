package scan

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

// hostLines is an output that writes one line per host it is handed.
type hostLines struct{ sdk.Plugin }

func (hostLines) Start(context.Context, sdk.OutputDest, sdk.ScanStart) ([]byte, error) {
	return nil, nil
}
func (hostLines) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	return []byte(h.Addr.String() + " " + h.Status.State + "\n"), nil
}
func (hostLines) End(context.Context, sdk.ScanEnd) ([]byte, error) { return nil, nil }

func TestFanoutDownHostsOnlyVerbose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		verbose int
		want    string
	}{
		{"quiet: up hosts only", 0, "198.18.3.10 up\n"},
		{"-v: down hosts too", 1, "198.18.3.10 up\n198.18.16.1 down\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			f := &Fanout{Outputs: []OutputSink{{ID: "lines", Impl: hostLines{}, W: &buf}}}
			ctx := context.Background()
			if err := f.Start(ctx, sdk.ScanStart{Verbose: tc.verbose}); err != nil {
				t.Fatal(err)
			}
			for _, h := range []sdk.Host{
				{Addr: netip.MustParseAddr("198.18.3.10"), Status: sdk.HostStatus{State: "up"}},
				{Addr: netip.MustParseAddr("198.18.16.1"), Status: sdk.HostStatus{State: "down"}},
			} {
				if err := f.Host(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("output got %q, want %q", got, tc.want)
			}
		})
	}
}
