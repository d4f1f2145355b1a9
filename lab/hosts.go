package lab

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/scanfw/scanfw/lab/sctpresponder"
)

// Technique names a way of probing a port; a port's expected state depends on it
// (a port behind a silent drop is "filtered" to a connect scan and "open|filtered" to
// a UDP scan). Later scan types add their own techniques to the facts.
type Technique string

const (
	// Connect is a full TCP connect() scan (nmap -sT).
	Connect Technique = "connect"
	// UDP is a UDP scan (nmap -sU) with the default, mostly empty, payloads.
	UDP Technique = "udp"
	// SCTPInit and SCTPCookie are the SCTP INIT and COOKIE-ECHO scans
	// (nmap -sY, -sZ).
	SCTPInit   Technique = "sctpinit"
	SCTPCookie Technique = "sctpcookieecho"
)

// State is a port state as Nmap names it in its XML output.
type State string

const (
	Open           State = "open"
	Closed         State = "closed"
	Filtered       State = "filtered"
	OpenFiltered   State = "open|filtered"
	ClosedFiltered State = "closed|filtered"
)

// PortFact is what the lab guarantees about one port of one host.
type PortFact struct {
	Proto string // "tcp", "udp" or "sctp"
	Port  uint16
	// Expect is the state each technique must report. A technique missing here has
	// no expectation yet (the port is not meant for it).
	Expect map[Technique]State
	// Why says how the state is produced (a listener, an nft rule, the kernel).
	Why string
	// Service is Nmap's service name for the port (nmap-services), Product what a
	// version scan should name; Package the Debian package whose daemon answers, so
	// a version test can ask PackageVersion for the exact version installed.
	Service, Product, Package string
	// HidesVersion says the daemon does not tell its version on the wire
	// (a version scan can only infer one from details, as Nmap does for
	// PostgreSQL).
	HidesVersion bool
}

// PackageVersion returns the installed Debian version of the daemon behind the
// port (for example "1:9.2p1-2+deb12u7"), read with dpkg-query at call time
// because it is a fact of the machine, not of the source tree.
func (p PortFact) PackageVersion() (string, error) {
	if p.Package == "" {
		return "", fmt.Errorf("port %d/%s has no package", p.Port, p.Proto)
	}
	return PackageVersion(p.Package)
}

// PackageVersion returns the installed version of a Debian package.
func PackageVersion(pkg string) (string, error) {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "", fmt.Errorf("dpkg-query %s: %w", pkg, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Host is one lab host: a network namespace joined to the root namespace (where
// the scanner runs) by a veth pair whose root side holds Gateway.
type Host struct {
	Name string // short name used on the command line: svc, fw, farm, wan
	NS   string // network namespace name
	// Prefix is the host's IPv4 /24; Gateway its root-namespace side (.1).
	Prefix  netip.Prefix
	Gateway netip.Addr
	V4      netip.Addr // the host's (first) IPv4 address
	// Prefix6, Gateway6 and V6 are the IPv6 counterparts; V6 is invalid for an
	// IPv4-only host.
	Prefix6  netip.Prefix
	Gateway6 netip.Addr
	V6       netip.Addr
	// Live lists every address the host answers on when it holds more than one
	// (the farm); the rest of Prefix is absent (no ARP reply).
	Live []netip.Addr
	// Ports are the facts tests assert; every port not listed is in state Default.
	Ports   []PortFact
	Default State
}

// Addrs returns every address the host answers on: Live, or V4 and V6.
func (h *Host) Addrs() []netip.Addr {
	if len(h.Live) > 0 {
		return h.Live
	}
	out := []netip.Addr{h.V4}
	if h.V6.IsValid() {
		out = append(out, h.V6)
	}
	return out
}

// PortList returns the ports of proto as an nmap -p list ("21,22,80").
func (h *Host) PortList(proto string) string {
	var parts []string
	for _, p := range h.Ports {
		if p.Proto == proto {
			parts = append(parts, fmt.Sprint(p.Port))
		}
	}
	return strings.Join(parts, ",")
}

// Expected returns the state technique t must see on proto/port of this host.
func (h *Host) Expected(t Technique, proto string, port uint16) (State, bool) {
	for _, p := range h.Ports {
		if p.Proto == proto && p.Port == port {
			s, ok := p.Expect[t]
			return s, ok
		}
	}
	return h.Default, h.Default != ""
}

// Port returns the fact for proto/port.
func (h *Host) Port(proto string, port uint16) (PortFact, bool) {
	for _, p := range h.Ports {
		if p.Proto == proto && p.Port == port {
			return p, true
		}
	}
	return PortFact{}, false
}

// Zone is the DNS zone the svc host's dnsmasq answers for, and nothing else.
const Zone = "lab.scanfw.test"

// FQDN returns the host's name in the lab zone.
func (h *Host) FQDN() string { return h.Name + "." + Zone }

// Prefixes the lab owns. Everything in them that no host holds is routed into the
// sink namespace; Guard refuses any target outside them.
var (
	LabPrefix4 = netip.MustParsePrefix("198.18.0.0/15")
	LabPrefix6 = netip.MustParsePrefix("2001:db8::/32")
)

// The sink's link: the root side and the sink namespace's address, used as the
// next hop of the covering routes.
var (
	sinkRoot4 = netip.MustParseAddr("198.19.255.1")
	sinkNS4   = netip.MustParseAddr("198.19.255.2")
	sinkRoot6 = netip.MustParseAddr("2001:db8:ffff::1")
	sinkNS6   = netip.MustParseAddr("2001:db8:ffff::2")
)

func tcp(port uint16, connect State, why string) PortFact {
	return PortFact{Proto: "tcp", Port: port, Expect: map[Technique]State{Connect: connect}, Why: why}
}

func udp(port uint16, st State, why string) PortFact {
	return PortFact{Proto: "udp", Port: port, Expect: map[Technique]State{UDP: st}, Why: why}
}

func daemon(proto string, port uint16, service, product, pkg string) PortFact {
	f := PortFact{Proto: proto, Port: port, Service: service, Product: product, Package: pkg,
		Why: pkg + " listening"}
	if proto == "tcp" {
		f.Expect = map[Technique]State{Connect: Open}
	} else {
		// A UDP service answers the probe nmap sends only if nmap has a payload for
		// that port (DNS, SNMP, NTP all have one), so open is what a UDP scan sees.
		f.Expect = map[Technique]State{UDP: Open}
	}
	return f
}

func hidesVersion(f PortFact) PortFact {
	f.HidesVersion = true
	return f
}

func host(name string, n int, v6 bool) *Host {
	h := &Host{
		Name:    name,
		NS:      "scanfw-" + name,
		Prefix:  netip.MustParsePrefix(fmt.Sprintf("198.18.%d.0/24", n)),
		Gateway: netip.MustParseAddr(fmt.Sprintf("198.18.%d.1", n)),
		V4:      netip.MustParseAddr(fmt.Sprintf("198.18.%d.2", n)),
		Default: Closed,
	}
	if v6 {
		h.Prefix6 = netip.MustParsePrefix(fmt.Sprintf("2001:db8:%d::/64", n))
		h.Gateway6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::1", n))
		h.V6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::2", n))
	}
	return h
}

// SVC runs real Debian daemons on their usual ports, dual-stacked.
var SVC = func() *Host {
	h := host("svc", 1, true)
	h.Ports = []PortFact{
		daemon("tcp", 21, "ftp", "vsftpd", "vsftpd"),
		daemon("tcp", 22, "ssh", "OpenSSH", "openssh-server"),
		daemon("tcp", 25, "smtp", "Exim smtpd", "exim4-daemon-light"),
		daemon("tcp", 53, "domain", "dnsmasq", "dnsmasq-base"),
		daemon("tcp", 80, "http", "nginx", "nginx-light"),
		daemon("tcp", 443, "https", "nginx", "nginx-light"),
		hidesVersion(daemon("tcp", 5432, "postgresql", "PostgreSQL DB", "postgresql")),
		daemon("tcp", 6379, "redis", "Redis key-value store", "redis-server"),
		daemon("tcp", 11211, "memcache", "Memcached", "memcached"),
		tcp(113, Closed, "no listener: kernel RST"),
		daemon("udp", 53, "domain", "dnsmasq", "dnsmasq-base"),
		daemon("udp", 123, "ntp", "NTP", "chrony"),
		daemon("udp", 161, "snmp", "net-snmp", "snmpd"),
	}
	return h
}()

// Ports of the fw host, named so tests and the nft rules agree.
const (
	FWTCPOpen       = 80   // scanfw-labd accepts and closes
	FWTCPHold       = 8080 // scanfw-labd accepts and holds the connection
	FWTCPClosed     = 113  // no listener, the kernel answers RST
	FWTCPReset      = 1000 // nft: reject with tcp reset (a listener exists behind it)
	FWTCPDrop       = 2000 // nft: drop
	FWTCPProhibited = 3000 // nft: reject with icmp(v6) admin-prohibited
	FWUDPEcho       = 7    // scanfw-labd echoes
	FWUDPSilent     = 9    // scanfw-labd reads and never answers
	FWUDPClosed     = 4000 // no listener, ICMP port unreachable
	FWUDPDrop       = 2000
	FWUDPProhibited = 3000
	// IP protocols (-sO): GRE dropped (open|filtered), ESP rejected with
	// admin-prohibited (filtered); others answer protocol unreachable.
	FWProtoDrop       = 47
	FWProtoProhibited = 50
)

// Hostile service ports of the fw host: what a scanner's service detection
// must survive without stalling, crashing or growing without bound.
const (
	FWHostileHuge    = 9001
	FWHostileEndless = 9002
	FWHostileReDoS   = 9003
	FWHostileGarbage = 9004
	FWHostileReset   = 9005
)

// FWHostilePorts lists them.
var FWHostilePorts = []uint16{FWHostileHuge, FWHostileEndless, FWHostileReDoS, FWHostileGarbage, FWHostileReset}

// FW shows every port state a scanner must tell apart, on IPv4 and IPv6.
var FW = func() *Host {
	h := host("fw", 2, true)
	h.Ports = []PortFact{
		tcp(FWTCPOpen, Open, "scanfw-labd accepts and closes"),
		tcp(FWTCPHold, Open, "scanfw-labd accepts and holds"),
		tcp(FWTCPClosed, Closed, "no listener: kernel RST"),
		tcp(FWTCPReset, Closed, "nft reject with tcp reset (a listener sits behind it)"),
		tcp(FWTCPDrop, Filtered, "nft drop"),
		tcp(FWTCPProhibited, Filtered, "nft reject with icmp admin-prohibited"),
		udp(FWUDPEcho, Open, "scanfw-labd echoes"),
		udp(FWUDPSilent, OpenFiltered, "scanfw-labd never answers"),
		udp(FWUDPClosed, Closed, "no listener: ICMP port unreachable"),
		udp(FWUDPDrop, OpenFiltered, "nft drop"),
		udp(FWUDPProhibited, Filtered, "nft reject with icmp admin-prohibited"),
		tcp(FWHostileHuge, Open, "scanfw-labd: a 1 MiB banner"),
		tcp(FWHostileEndless, Open, "scanfw-labd: a banner that never ends"),
		tcp(FWHostileReDoS, Open, "scanfw-labd: a banner against backtracking regexes"),
		tcp(FWHostileGarbage, Open, "scanfw-labd: 8 KiB of random binary"),
		tcp(FWHostileReset, Open, "scanfw-labd: accepts, then resets"),
		sctp(FWSCTPOpen, Open, OpenFiltered, "scanfw-sctp: INIT-ACK; drops the COOKIE-ECHO"),
		sctp(FWSCTPOpen2, Open, OpenFiltered, "scanfw-sctp: INIT-ACK; drops the COOKIE-ECHO"),
		sctp(FWSCTPClosed, Closed, Closed, "scanfw-sctp: ABORT"),
		sctp(FWSCTPDrop, Filtered, OpenFiltered, "scanfw-sctp never answers"),
		sctp(FWSCTPProhibited, Filtered, Filtered, "nft reject with icmp admin-prohibited"),
	}
	return h
}()

// SCTP ports of the fw host. The kernel has no SCTP, so a user-space
// responder (lab/sctpresponder) answers for it; every port it does not
// name is closed.
const (
	FWSCTPOpen       = 80
	FWSCTPOpen2      = 2905 // m3ua
	FWSCTPClosed     = 113
	FWSCTPDrop       = 2000
	FWSCTPProhibited = 3000 // nft: reject with icmp(v6) admin-prohibited
)

// fwSCTP is what the fw host's SCTP responder does.
var fwSCTP = sctpresponder.Config{Open: []uint16{FWSCTPOpen, FWSCTPOpen2}, Drop: []uint16{FWSCTPDrop}}

func sctp(port uint16, init, cookie State, why string) PortFact {
	return PortFact{Proto: "sctp", Port: port, Expect: map[Technique]State{SCTPInit: init, SCTPCookie: cookie}, Why: why}
}

// FarmOpenPorts are open on every live farm address.
var FarmOpenPorts = []uint16{22, 80, 443}

// Farm is a /24 with some tens of live addresses (.10-.49) and the rest absent.
var Farm = func() *Host {
	h := host("farm", 3, false)
	h.V4 = netip.MustParseAddr("198.18.3.10")
	for i := 10; i < 50; i++ {
		h.Live = append(h.Live, netip.MustParseAddr(fmt.Sprintf("198.18.3.%d", i)))
	}
	for _, p := range FarmOpenPorts {
		h.Ports = append(h.Ports, tcp(p, Open, "scanfw-labd on 0.0.0.0"))
	}
	h.Ports = append(h.Ports, tcp(113, Closed, "no listener: kernel RST"))
	return h
}()

// WANOpenPorts are open on the wan host.
var WANOpenPorts = []uint16{22, 80, 443}

// WAN sits behind the impairment relay namespace (scanfw-wanrelay); see Impairment.
var WAN = func() *Host {
	h := host("wan", 4, false)
	for _, p := range WANOpenPorts {
		h.Ports = append(h.Ports, tcp(p, Open, "scanfw-labd behind the relay"))
	}
	h.Ports = append(h.Ports, tcp(113, Closed, "no listener: kernel RST"))
	return h
}()

// Impairment is what the wan relay applies, per direction (a: root side, b: wan side).
type Impairment struct {
	DelayAB, DelayBA string // Go durations
	Jitter           string
	LossAB, LossBA   float64
	Seed             int64
}

// WANImpairment is the relay's default setting.
var WANImpairment = Impairment{DelayAB: "50ms", DelayBA: "50ms", Jitter: "10ms", LossAB: 0.03, LossBA: 0.03, Seed: 1}

// All lists every host in the order Up brings them up.
var All = []*Host{SVC, FW, Farm, WAN}

// ByName finds a host by its short name.
func ByName(name string) (*Host, error) {
	for _, h := range All {
		if h.Name == name {
			return h, nil
		}
	}
	return nil, fmt.Errorf("no lab host %q", name)
}

// Namespace names the lab owns besides the hosts' own.
const (
	SinkNS     = "scanfw-sink"
	WANRelayNS = "scanfw-wanrelay"
)
