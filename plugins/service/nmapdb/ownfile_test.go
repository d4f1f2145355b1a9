package nmapdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

// ownFile is the project's probe file; tests read it from disk because a
// plugin may not import the data package that embeds it.
const ownFile = "../../../data/scanfw-service-probes"

// TestOwnFileLabBanners matches bytes captured from real Debian daemons
// (testdata/banners/<daemon>.<probe>, see data/README.md) against the
// project's own probe file alone.
func TestOwnFileLabBanners(t *testing.T) {
	t.Parallel()
	own, err := os.ReadFile(ownFile)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Builtin: own, NmapFile: filepath.Join(t.TempDir(), "absent")})
	diags, err := m.Configure(context.Background(), sdk.Settings(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("own file: %s", d.Detail)
	}
	tests := []struct {
		file, probe     string
		proto           sdk.Proto
		tunnel          string
		name, product   string
		version, tunOut string
	}{
		{"openssh.NULL", "NULL", sdk.ProtoTCP, "", "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u10", ""},
		{"vsftpd.NULL", "NULL", sdk.ProtoTCP, "", "ftp", "vsftpd", "3.0.3", ""},
		{"exim4.NULL", "NULL", sdk.ProtoTCP, "", "smtp", "Exim smtpd", "4.96", ""},
		{"nginx.HTTPGet", "HTTPGet", sdk.ProtoTCP, "", "http", "nginx", "1.22.1", ""},
		{"nginx-tls.TLSClientHello", "TLSClientHello", sdk.ProtoTCP, "", "ssl", "TLS", "", ""},
		{"nginx-tls.HTTPGet", "HTTPGet", sdk.ProtoTCP, "ssl", "http", "nginx", "1.22.1", "ssl"},
		{"redis.RedisInfo", "RedisInfo", sdk.ProtoTCP, "", "redis", "Redis key-value store", "7.0.15", ""},
		{"memcached.MemcachedVersion", "MemcachedVersion", sdk.ProtoTCP, "", "memcached", "Memcached", "1.6.18", ""},
		{"postgresql.PostgresStartup", "PostgresStartup", sdk.ProtoTCP, "", "postgresql", "PostgreSQL DB", "", ""},
		{"dnsmasq.DNSVersionBind", "DNSVersionBind", sdk.ProtoUDP, "", "domain", "dnsmasq", "2.90", ""},
		{"netsnmp.SNMPv1Public", "SNMPv1Public", sdk.ProtoUDP, "", "snmp", "net-snmp", "", ""},
		{"chrony.NTPClient", "NTPClient", sdk.ProtoUDP, "", "ntp", "NTP server", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			resp, err := os.ReadFile(filepath.Join("testdata", "banners", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Match(context.Background(), []sdk.MatchItem{{Proto: tc.proto, Probe: tc.probe, Response: resp, Tunnel: tc.tunnel}})
			if err != nil {
				t.Fatal(err)
			}
			s := res[0].Service
			if !res[0].Hard || s.Name != tc.name || s.Product != tc.product || s.Version != tc.version || s.Tunnel != tc.tunOut {
				t.Errorf("got hard=%v %+v (%s); want %s / %s / %s", res[0].Hard, s, res[0].Rule, tc.name, tc.product, tc.version)
			}
		})
	}
}
