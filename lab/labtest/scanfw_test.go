package labtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

// TestScanfwConnectMatchesNmap scans each lab host with scanfw -sT and with Debian's
// nmap -sT, on the ports the description lists, and requires both to agree port for
// port and to match the description.
func TestScanfwConnectMatchesNmap(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	type target struct {
		host *lab.Host
		addr string
	}
	var targets []target
	for _, h := range lab.All {
		addrs := h.Addrs()
		if len(addrs) > 3 {
			addrs = addrs[:3] // the farm: a few live addresses are enough here
		}
		for _, a := range addrs {
			targets = append(targets, target{h, a.String()})
		}
	}
	for _, tg := range targets {
		t.Run(tg.host.Name+"/"+tg.addr, func(t *testing.T) {
			args := []string{"-sT", "-n", "-p", tg.host.PortList("tcp")}
			if strings.Contains(tg.addr, ":") {
				args = append([]string{"-6"}, args...)
			}
			ours, err := compare.Scan(ctx, bin, args, tg.addr)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := compare.Nmap(ctx, args, tg.addr)
			if err != nil {
				t.Fatal(err)
			}
			if d := compare.Diff(ours, ref); len(d) > 0 {
				t.Error(compare.Format("scanfw", "nmap", d))
			}
			assertStates(t, tg.host, lab.Connect, "tcp", mustAddr(t, tg.addr), ours)
		})
	}
}
