package nmapdb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// TestNmapData loads the installed Nmap file alone: no line or regex may be
// lost, start-up is timed, and a banner written here gets Nmap's answer
// for OpenSSH (product, version and CPE from the capture groups).
func TestNmapData(t *testing.T) {
	if _, err := os.Stat(NmapFile); err != nil {
		t.Skip("Nmap not installed")
	}
	m := New(Options{})
	start := time.Now()
	diags, err := m.Configure(context.Background(), sdk.Settings(`{"files": ["`+NmapFile+`"]}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded and compiled %s in %v", NmapFile, time.Since(start))
	for _, d := range diags {
		t.Error(d.Detail)
	}
	cat, _ := m.Catalogue(context.Background())
	if len(cat.Probes) < 100 || cat.ExcludedPorts == "" {
		t.Errorf("catalogue has %d probes, exclude %q", len(cat.Probes), cat.ExcludedPorts)
	}
	res, err := m.Match(context.Background(), []sdk.MatchItem{
		{ID: 1, Proto: sdk.ProtoTCP, Probe: "NULL", Response: []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")},
		{ID: 2, Proto: sdk.ProtoTCP, Probe: "GetRequest", Response: []byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	ssh := res[0].Service
	if !res[0].Hard || ssh.Name != "ssh" || ssh.Product != "OpenSSH" || ssh.Version != "9.2p1 Debian 2+deb12u3" || len(ssh.CPE) == 0 {
		t.Errorf("ssh: %+v (%s)", ssh, res[0].Rule)
	}
	web := res[1].Service
	if !res[1].Hard || web.Name != "http" || web.Product != "nginx" || web.Version != "1.22.1" {
		t.Errorf("http: %+v (%s)", web, res[1].Rule)
	}
}
