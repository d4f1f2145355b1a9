// Package discoverytest checks scanfw's host discovery, list scan, reverse
// DNS and IPv6 handling against Debian's nmap on the lab: the svc host's
// dnsmasq serves the PTR records, the farm /24 has live and absent
// addresses. The tests need root and the lab's packages.
package discoverytest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/lab"
	"github.com/scanfw/scanfw/lab/compare"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.SVC, lab.Farm)) }

// dnsArgs points both scanners at the lab's DNS server only, so no query
// leaves the lab.
func dnsArgs() []string { return []string{"--dns-servers", lab.SVC.V4.String()} }

// hostLine is what a test compares per host: status, reason and names.
func hostLine(h compare.Host) string {
	reason := h.Status.Reason
	if h.Status.State == "down" && reason == "host-unreach" {
		// An absent address on the link is host-unreach when the kernel's
		// ARP give-up (3 s) comes before the scanner's last probe times
		// out, no-response otherwise: a race in both scanners.
		reason = "no-response"
	}
	var names []string
	for _, n := range h.Hostnames {
		names = append(names, n.Type+"="+n.Name)
	}
	return fmt.Sprintf("%s %s/%s [%s]", h.Addr(), h.Status.State, reason, strings.Join(names, " "))
}

func hostLines(r *compare.Run) []string {
	var out []string
	for _, h := range r.Hosts {
		out = append(out, hostLine(h))
	}
	slices.Sort(out)
	return out
}

// both runs scanfw with ours and nmap with ref. Both run --unprivileged:
// as root nmap discovers local hosts by ARP and ND, which needs the raw
// path this package does not test; unprivileged both ping by connect().
func both(t *testing.T, ctx context.Context, bin string, ours, ref []string, targets ...string) (*compare.Run, *compare.Run) {
	t.Helper()
	ours = append([]string{"--unprivileged"}, ours...)
	ref = append([]string{"--unprivileged"}, ref...)
	o, err := compare.Scan(ctx, bin, ours, targets...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := compare.Nmap(ctx, ref, targets...)
	if err != nil {
		t.Fatal(err)
	}
	return o, n
}

func sameHosts(t *testing.T, ours, ref *compare.Run) {
	t.Helper()
	o, n := hostLines(ours), hostLines(ref)
	if !slices.Equal(o, n) {
		t.Errorf("hosts differ\nscanfw:\n  %s\nnmap:\n  %s", strings.Join(o, "\n  "), strings.Join(n, "\n  "))
	}
}

// TestListScanNamesFarm: -sL over the farm /24 lists all 256 addresses
// with the PTR names the lab DNS server gives, as nmap does.
func TestListScanNamesFarm(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-sL"}, dnsArgs()...)
	ours, ref := both(t, ctx, bin, args, args, lab.Farm.Prefix.String())
	sameHosts(t, ours, ref)
	named := 0
	for _, h := range ours.Hosts {
		if len(h.Hostnames) > 0 {
			named++
		}
	}
	if len(ours.Hosts) != 256 || named != len(lab.Farm.Live) {
		t.Errorf("%d hosts listed, %d named; want 256 and %d", len(ours.Hosts), named, len(lab.Farm.Live))
	}
}

// TestConnectScanReportsPTR: a connect scan of svc names it by its PTR
// record, over IPv4 and IPv6, as nmap does.
func TestConnectScanReportsPTR(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, a := range []netip.Addr{lab.SVC.V4, lab.SVC.V6} {
		t.Run(a.String(), func(t *testing.T) {
			args := append([]string{"-sT", "-p", lab.SVC.PortList("tcp")}, dnsArgs()...)
			if a.Is6() {
				args = append([]string{"-6"}, args...)
			}
			ours, ref := both(t, ctx, bin, args, args, a.String())
			sameHosts(t, ours, ref)
			if d := compare.Diff(ours, ref); len(d) > 0 {
				t.Error(compare.Format("scanfw", "nmap", d))
			}
			if len(ours.Hosts) != 1 || len(ours.Hosts[0].Hostnames) != 1 || ours.Hosts[0].Hostnames[0] != (compare.Hostname{Name: lab.SVC.FQDN(), Type: "PTR"}) {
				t.Errorf("hosts %+v, want %s named %s (PTR)", ours.Hosts, a, lab.SVC.FQDN())
			}
		})
	}
}

// TestPingSweepFarm: unprivileged discovery (connect to 80 and 443) over
// the farm /24 finds exactly the live addresses and the scanner's own
// address on the link (the gateway, which refuses), with nmap's reasons.
func TestPingSweepFarm(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"-sn", "-n", "-v"} // -v: down hosts too, with their reasons
	ours, ref := both(t, ctx, bin, args, args, lab.Farm.Prefix.String())
	sameHosts(t, ours, ref)
	var up []string
	for _, h := range ours.Hosts {
		if h.Status.State == "up" {
			up = append(up, h.Addr())
		}
	}
	want := []string{lab.Farm.Gateway.String()}
	for _, a := range lab.Farm.Live {
		want = append(want, a.String())
	}
	slices.Sort(up)
	slices.Sort(want)
	if !slices.Equal(up, want) {
		t.Errorf("up hosts %v, want the farm's live addresses %v", up, want)
	}
}

// TestPingPortsFarm: -PS with a port list pings those ports only; a
// closed port answers with a reset, which proves the host is there.
func TestPingPortsFarm(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	targets := []string{lab.Farm.Live[0].String(), lab.Farm.Live[1].String()}
	args := []string{"-sn", "-n", "-PS113"}
	ours, ref := both(t, ctx, bin, args, args, targets...)
	sameHosts(t, ours, ref)
	for _, h := range ours.Hosts {
		if h.Status.Reason != "conn-refused" {
			t.Errorf("%s: reason %q, want conn-refused from the closed port 113", h.Addr(), h.Status.Reason)
		}
	}
}

// TestIPv6ScanSVC: a connect scan of svc's IPv6 address with discovery
// agrees with nmap -6 -sT port for port and reports addrtype ipv6.
func TestIPv6ScanSVC(t *testing.T) {
	bin := compare.BuildScanfw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-6", "-sT", "-n", "-p", lab.SVC.PortList("tcp")}
	ours, ref := both(t, ctx, bin, args, args, lab.SVC.V6.String())
	if d := compare.Diff(ours, ref); len(d) > 0 {
		t.Error(compare.Format("scanfw", "nmap", d))
	}
	sameHosts(t, ours, ref)
	if len(ours.Hosts) != 1 || len(ours.Hosts[0].Addresses) == 0 || ours.Hosts[0].Addresses[0].AddrType != "ipv6" {
		t.Errorf("hosts %+v, want one with addrtype ipv6", ours.Hosts)
	}
}
