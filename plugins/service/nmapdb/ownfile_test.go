package nmapdb

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	m := ownMatcher(t)
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
		// Captured from Debian 12 daemons run by hand on 127.0.0.x.
		{"rsyncd.NULL", "NULL", sdk.ProtoTCP, "", "rsync", "rsync", "", ""},
		{"nats-server.NULL", "NULL", sdk.ProtoTCP, "", "nats", "NATS server", "2.9.10", ""},
		{"python-http.server.HTTPGet", "HTTPGet", sdk.ProtoTCP, "", "http", "Python http.server", "3.11.7", ""},
		{"ngircd.IRCRegister", "IRCRegister", sdk.ProtoTCP, "", "irc", "ngircd", "26.1", ""},
		{"tigervnc.NULL", "NULL", sdk.ProtoTCP, "", "vnc", "VNC", "", ""},
		{"mosquitto.MQTTConnect", "MQTTConnect", sdk.ProtoTCP, "", "mqtt", "MQTT broker", "", ""},
		{"dovecot.imap.NULL", "NULL", sdk.ProtoTCP, "", "imap", "Dovecot imapd", "", ""},
		{"dovecot.pop3.NULL", "NULL", sdk.ProtoTCP, "", "pop3", "Dovecot pop3d", "", ""},
		{"mariadb.NULL", "NULL", sdk.ProtoTCP, "", "mysql", "MariaDB", "10.11.19", ""},
		{"squid.HTTPGet", "HTTPGet", sdk.ProtoTCP, "", "http-proxy", "Squid http proxy", "5.7", ""},
		{"slapd.LDAPBind", "LDAPBind", sdk.ProtoTCP, "", "ldap", "LDAP server", "", ""},
		{"prosody.XMPPClientStream", "XMPPClientStream", sdk.ProtoTCP, "", "xmpp-client", "Prosody XMPP server", "", ""},
		{"git-daemon.GitUploadPack", "GitUploadPack", sdk.ProtoTCP, "", "git", "git daemon", "2.39.5", ""},
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

func ownMatcher(t *testing.T) *Matcher {
	t.Helper()
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
	return m
}

// pad returns s followed by NULs up to n bytes: the fixed-width string
// fields of binary protocols.
func pad(s string, n int) string { return s + strings.Repeat("\x00", n-len(s)) }

// TestOwnFileSpecReplies covers services with no daemon in Debian here (or
// one too heavy to run): each reply is built by the test from the
// protocol's specification, so these rules are checked against the
// protocol, not against a real implementation.
func TestOwnFileSpecReplies(t *testing.T) {
	t.Parallel()
	m := ownMatcher(t)
	http := func(status, headers, body string) string {
		return "HTTP/1.1 " + status + "\r\nDate: Sun, 29 Nov 2026 12:00:00 GMT\r\n" + headers + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	tests := []struct {
		name, probe   string
		proto         sdk.Proto
		resp          string
		svc, product  string
		version, info string
	}{
		{"TDS prelogin answer (MS-TDS 2.2.6.5)", "TDSPrelogin", sdk.ProtoTCP,
			"\x04\x01\x00\x25\x00\x00\x01\x00" + "\x00\x00\x1a\x00\x06" + "\x01\x00\x20\x00\x01" + "\x02\x00\x21\x00\x01" + "\x03\x00\x22\x00\x00" + "\x04\x00\x22\x00\x01" + "\xff" +
				"\x0f\x00\x07\xd0\x00\x00" + "\x00" + "\x00" + "\x00",
			"ms-sql-s", "Microsoft SQL Server", "15.0.2000", ""},
		{"TNS listener version answer", "OracleTNSVersion", sdk.ProtoTCP,
			"\x00\x50\x00\x00\x04\x00\x00\x00\x00\x46(DESCRIPTION=(TMP=)(VSNNUM=186646784)(ERR=0)(ALIAS=LISTENER))",
			"oracle-tns", "Oracle TNS listener", "", "VSNNUM 186646784; error 0"},
		{"portmapper NULL reply (RFC 5531)", "RPCPortmapNull", sdk.ProtoTCP,
			"\x80\x00\x00\x18SCFW\x00\x00\x00\x01" + strings.Repeat("\x00", 16),
			"rpcbind", "rpcbind", "", "RPC #100000"},
		{"RPC program unavailable", "RPCPortmapNull", sdk.ProtoTCP,
			"\x80\x00\x00\x18SCFW\x00\x00\x00\x01" + strings.Repeat("\x00", 12) + "\x00\x00\x00\x01",
			"rpc", "ONC RPC service", "", ""},
		{"EPMD names (Erlang distribution protocol)", "EPMDNames", sdk.ProtoTCP,
			"\x00\x00\x11\x11name rabbit at port 25672\n",
			"epmd", "Erlang Port Mapper Daemon", "", "node rabbit on port 25672"},
		{"ZooKeeper stat", "ZooKeeperStat", sdk.ProtoTCP,
			"Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\nClients:\n",
			"zookeeper", "Zookeeper", "3.8.0", ""},
		{"ZooKeeper four-letter words off", "ZooKeeperStat", sdk.ProtoTCP,
			"stat is not executed because it is not in the whitelist.\n",
			"zookeeper", "Zookeeper", "", "four-letter words disabled"},
		{"SOCKS5 no auth (RFC 1928)", "SOCKS5NoAuth", sdk.ProtoTCP, "\x05\x00", "socks5", "SOCKS5 proxy", "", "no authentication required"},
		{"SOCKS5 wants a password", "SOCKS5NoAuth", sdk.ProtoTCP, "\x05\x02", "socks5", "SOCKS5 proxy", "", "username and password required"},
		{"RTSP OPTIONS (RFC 2326)", "RTSPOptions", sdk.ProtoTCP,
			"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Wowza Streaming Engine/4.8.5\r\nPublic: DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, OPTIONS\r\n\r\n",
			"rtsp", "Wowza Streaming Engine", "4.8.5", ""},
		{"SIP OPTIONS over TCP (RFC 3261)", "SIPOptions", sdk.ProtoTCP,
			"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP scanfw.invalid;branch=z9hG4bK-scanfw\r\nCall-ID: scanfw@scanfw.invalid\r\nCSeq: 1 OPTIONS\r\nServer: Asterisk PBX 20.5.0\r\nContent-Length: 0\r\n\r\n",
			"sip", "Asterisk", "20.5.0", ""},
		{"SIP OPTIONS over UDP", "SIPOptionsUDP", sdk.ProtoUDP,
			"SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP scanfw.invalid;branch=z9hG4bK-scanfw\r\nUser-Agent: FreeSWITCH-mod_sofia/1.10.9\r\nContent-Length: 0\r\n\r\n",
			"sip", "FreeSWITCH-mod_sofia/1.10.9", "", ""},
		{"PPTP start reply (RFC 2637)", "PPTPStart", sdk.ProtoTCP,
			"\x00\x9c\x00\x01\x1a\x2b\x3c\x4d\x00\x02\x00\x00\x01\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01" + pad("vpn1", 64) + pad("linux", 64),
			"pptp", "PPTP server", "", "vendor: linux"},
		{"JRMP ProtocolAck", "JavaRMI", sdk.ProtoTCP, "\x4e\x00\x09127.0.0.1\x00\x00\xc3\x50", "java-rmi", "Java RMI", "", "client seen as 127.0.0.1"},
		{"AJP CPong", "AJPCPing", sdk.ProtoTCP, "AB\x00\x01\x09", "ajp13", "AJP 1.3 connector", "", ""},
		{"Modbus device identification", "ModbusDeviceID", sdk.ProtoTCP,
			"SC\x00\x00\x00\x1c\x00\x2b\x0e\x01\x01\x00\x00\x03\x00\x07Schneid\x01\x08BMX P342\x02\x04v2.9",
			"modbus", "Modbus TCP", "", "Schneid BMX P342 v2.9"},
		{"X11 setup refused (X11 protocol, connection setup)", "X11Setup", sdk.ProtoTCP,
			"\x00\x16\x0b\x00\x00\x00\x06\x00No protocol specified\n\x00\x00",
			"X11", "X11 server", "", "access denied"},
		{"INN banner (RFC 3977 greeting)", "NULL", sdk.ProtoTCP,
			"200 news.example.org InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
			"nntp", "INN", "2.7.1", ""},
		{"BGP OPEN (RFC 4271)", "NULL", sdk.ProtoTCP,
			strings.Repeat("\xff", 16) + "\x00\x1d\x01\x04\xfd\xe8\x00\xb4\xc6\x12\x00\x01\x00",
			"bgp", "BGP", "", "version 4; AS 65000"},
		{"SSDP answer (UPnP Device Architecture 1.1)", "SSDPSearch", sdk.ProtoUDP,
			"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1810\r\nDATE: Sun, 29 Nov 2026 12:00:00 GMT\r\nST: upnp:rootdevice\r\nUSN: uuid:4d696e69-444c-164e-9d41-000000000000::upnp:rootdevice\r\nEXT:\r\nSERVER: Debian 12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0\r\nLOCATION: http://198.18.0.9:8200/rootDesc.xml\r\nContent-Length: 0\r\n\r\n",
			"upnp", "MiniDLNA", "1.3.0", "Debian 12 DLNADOC/1.50; UPnP 1.0"},
		{"NBSTAT answer (RFC 1002 4.2.18)", "NBNSStatus", sdk.ProtoUDP,
			"SC\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\x20CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01\x00\x00\x00\x00\x00\x41\x01" + pad("FILESRV", 15) + "\x00\x04\x00",
			"netbios-ns", "NetBIOS name service", "", ""},
		{"IKEv1 main mode answer (RFC 2409)", "IKEMainMode", sdk.ProtoUDP,
			"SCANFW!!\x11\x22\x33\x44\x55\x66\x77\x88\x01\x10\x02\x00\x00\x00\x00\x00\x00\x00\x00\x50",
			"isakmp", "IKE responder", "", "IKEv1 main mode proposal accepted"},
		{"IKEv2 answer", "IKEMainMode", sdk.ProtoUDP,
			"SCANFW!!\x11\x22\x33\x44\x55\x66\x77\x88\x29\x20\x22\x20\x00\x00\x00\x00\x00\x00\x00\x24",
			"isakmp", "IKE responder", "", "IKEv2"},
		{"Docker API", "HTTPGet", sdk.ProtoTCP,
			http("404 Not Found", "Api-Version: 1.43\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/24.0.5 (linux)\r\n", `{"message":"page not found"}`),
			"docker", "Docker", "24.0.5", "API; linux"},
		{"CUPS", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "Content-Language: en_US\r\nContent-Type: text/html; charset=utf-8\r\nServer: CUPS/2.4 IPP/2.1\r\n", "<html></html>"),
			"ipp", "CUPS", "2.4", "IPP 2.1"},
		{"Elasticsearch root", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "X-elastic-product: Elasticsearch\r\ncontent-type: application/json\r\n", `{
  "name" : "node-1",
  "cluster_name" : "lab",
  "cluster_uuid" : "n2Jq",
  "version" : {
    "number" : "8.11.1",
    "build_flavor" : "default"
  },
  "tagline" : "You Know, for Search"
}
`),
			"http", "Elasticsearch REST API", "8.11.1", "cluster lab"},
		{"Tomcat error page", "HTTPGet", sdk.ProtoTCP,
			http("404 ", "Content-Type: text/html;charset=utf-8\r\nContent-Language: en\r\n", `<!doctype html><html lang="en"><head><title>HTTP Status 404</title></head><body><h1>HTTP Status 404</h1><hr class="line" /><h3>Apache Tomcat/9.0.70</h3></body></html>`),
			"http", "Apache Tomcat", "9.0.70", ""},
		{"Werkzeug", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "Server: Werkzeug/2.2.2 Python/3.11.2\r\nContent-Type: text/html\r\n", "hi"),
			"http", "Werkzeug httpd", "2.2.2", "Python 3.11.2"},
		{"Gunicorn", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "Server: gunicorn\r\nConnection: close\r\n", "hi"),
			"http", "Gunicorn", "", ""},
		{"Jetty", "HTTPGet", sdk.ProtoTCP,
			http("404 Not Found", "Cache-Control: must-revalidate,no-cache,no-store\r\nServer: Jetty(9.4.51.v20230217)\r\n", ""),
			"http", "Jetty", "9.4.51.v20230217", ""},
		{"Express", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "X-Powered-By: Express\r\nContent-Type: text/html; charset=utf-8\r\n", "hi"),
			"http", "Node.js Express framework", "", ""},
		{"CouchDB", "HTTPGet", sdk.ProtoTCP,
			http("200 OK", "Cache-Control: must-revalidate\r\nContent-Type: application/json\r\nServer: CouchDB/3.3.2 (Erlang OTP/24)\r\n", `{"couchdb":"Welcome","version":"3.3.2"}`),
			"http", "CouchDB httpd", "3.3.2", "Erlang OTP 24"},
		{"Kubernetes API, anonymous", "HTTPGet", sdk.ProtoTCP,
			http("403 Forbidden", "Content-Type: application/json\r\n", `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/\"","reason":"Forbidden","details":{},"code":403}`),
			"http", "Kubernetes API server", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := m.Match(context.Background(), []sdk.MatchItem{{Proto: tc.proto, Probe: tc.probe, Response: []byte(tc.resp)}})
			if err != nil {
				t.Fatal(err)
			}
			s := res[0].Service
			if !res[0].Hard || s.Name != tc.svc || s.Product != tc.product || s.Version != tc.version || s.ExtraInfo != tc.info {
				t.Errorf("got hard=%v %+v (%s); want %s / %s / %s / %s", res[0].Hard, s, res[0].Rule, tc.svc, tc.product, tc.version, tc.info)
			}
		})
	}
}
