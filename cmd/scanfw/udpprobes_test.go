package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/scanfw/scanfw/core/servicescan"
	"github.com/scanfw/scanfw/data"
	"github.com/scanfw/scanfw/plugins/service/nmapdb"
	"github.com/scanfw/scanfw/sdk"
)

// TestOwnUDPProbesOffered checks, with the embedded probe file alone, that
// the core's probe selection offers each UDP probe first on its own port, so
// -sV serves UDP ports as soon as a UDP scan reports them open.
func TestOwnUDPProbesOffered(t *testing.T) {
	t.Parallel()
	m := nmapdb.New(nmapdb.Options{Builtin: data.ServiceProbes, NmapFile: filepath.Join(t.TempDir(), "absent")})
	diags, err := m.Configure(context.Background(), sdk.Settings(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("embedded probe file: %s", d.Detail)
	}
	sc, err := m.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := servicescan.NewCatalogue(sc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		port  uint16
		probe string
	}{
		{53, "DNSVersionBind"},
		{123, "NTPClient"},
		{137, "NBNSStatus"},
		{161, "SNMPv1Public"},
		{500, "IKEMainMode"},
		{1900, "SSDPSearch"},
		{5060, "SIPOptionsUDP"},
	}
	for _, tc := range tests {
		order := cat.Order(sdk.ProtoUDP, tc.port, false, 7, "")
		if len(order) == 0 || order[0].Name != tc.probe {
			var names []string
			for _, p := range order {
				names = append(names, p.Name)
			}
			t.Errorf("udp/%d: probes %v, want %s first", tc.port, names, tc.probe)
		}
		for _, p := range order {
			if p.Proto != sdk.ProtoUDP {
				t.Errorf("udp/%d: offered %s probe %s", tc.port, p.Proto, p.Name)
			}
		}
	}
}
