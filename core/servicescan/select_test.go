package servicescan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

func TestOrder(t *testing.T) {
	t.Parallel()
	tcp := func(name, ports, ssl string, rarity int, services ...string) sdk.ServiceProbe {
		return sdk.ServiceProbe{Name: name, Proto: sdk.ProtoTCP, Payload: []byte(name), Ports: ports, SSLPorts: ssl, Rarity: rarity, Services: services}
	}
	cat, err := NewCatalogue(sdk.ServiceCatalogue{
		ExcludedPorts: "T:9100-9107",
		Probes: []sdk.ServiceProbe{
			{Name: "NULL", Proto: sdk.ProtoTCP},
			tcp("Lines", "21,5432", "990", 1, "ftp", "lines"),
			tcp("Get", "80-85,5432", "443", 1, "http"),
			tcp("Rare", "", "", 8, "http", "rare"),
			tcp("Listed", "5432", "", 9, "postgresql"),
			tcp("Mid", "", "", 5, "smtp"),
			{Name: "DNS", Proto: sdk.ProtoUDP, Payload: []byte("x"), Ports: "53", Rarity: 1},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		proto     sdk.Proto
		port      uint16
		ssl       bool
		intensity int
		soft      string
		want      []string
	}{
		{"listed first, then by rarity", sdk.ProtoTCP, 5432, false, 7, "", []string{"Lines", "Get", "Listed", "Mid"}},
		{"listed probes ignore rarity", sdk.ProtoTCP, 5432, false, 0, "", []string{"Lines", "Get", "Listed"}},
		{"intensity 9 takes everything", sdk.ProtoTCP, 1, false, 9, "", []string{"Lines", "Get", "Rare", "Listed", "Mid"}},
		{"light", sdk.ProtoTCP, 1, false, 2, "", []string{"Lines", "Get"}},
		{"inside TLS sslports count", sdk.ProtoTCP, 443, true, 2, "", []string{"Get", "Lines"}},
		{"outside TLS sslports do not", sdk.ProtoTCP, 443, false, 2, "", []string{"Lines", "Get"}},
		{"softmatch narrows the second pass", sdk.ProtoTCP, 21, false, 9, "http", []string{"Lines", "Get", "Rare"}},
		{"softmatch keeps the rarity limit", sdk.ProtoTCP, 21, false, 7, "http", []string{"Lines", "Get"}},
		{"udp", sdk.ProtoUDP, 53, false, 7, "", []string{"DNS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range cat.Order(tt.proto, tt.port, tt.ssl, tt.intensity, tt.soft) {
				got = append(got, p.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
	if cat.Null() == nil || cat.Null().Name != "NULL" {
		t.Errorf("NULL probe not found")
	}
	if !cat.Excluded(sdk.ProtoTCP, 9100) || cat.Excluded(sdk.ProtoUDP, 9100) || cat.Excluded(sdk.ProtoTCP, 9108) {
		t.Errorf("Exclude T:9100-9107 misapplied")
	}
}

func TestNewCatalogueRejectsBadPorts(t *testing.T) {
	t.Parallel()
	_, err := NewCatalogue(sdk.ServiceCatalogue{Probes: []sdk.ServiceProbe{{Name: "X", Proto: sdk.ProtoTCP, Payload: []byte("x"), Ports: "80-70"}}})
	if err == nil {
		t.Fatal("a reversed range was accepted")
	}
}

func TestFingerprintEscapesAndWraps(t *testing.T) {
	t.Parallel()
	s := newScanner(t, &prefixMatcher{}, nil)
	p := &sdk.Port{Proto: sdk.ProtoTCP, Number: 7}
	r := &portResult{fp: []fpEntry{{"NULL", []byte("a.b\x00\x001\r\n \xff" + string(make([]byte, 100)))}}}
	fp := s.fingerprint(p, r)
	want := `SF-Port7-TCP:V=test%I=7%D=11/14%Time=6553F100%P=test%r(NULL,6E,"a\.b\0\x001\r\n\x20\xff\0\0`
	if got := strings.ReplaceAll(fp, "\nSF:", "")[:len(want)]; got != want {
		t.Errorf("fingerprint starts %q, want %q", got, want)
	}
	for i, line := range splitLines(fp) {
		if i > 0 && line[:3] != "SF:" {
			t.Errorf("line %d %q lacks the SF: prefix", i, line)
		}
		if len(line) > 78 {
			t.Errorf("line %d is %d long", i, len(line))
		}
	}
	if fp[len(fp)-1] != ';' {
		t.Errorf("fingerprint does not end with ';'")
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
