package sdk

// Transport is how a probe type's probes travel.
type Transport uint8

const (
	TransportUnspecified Transport = iota
	TransportConnect               // the OS's stream connect()
	TransportDatagram              // the OS's datagram sockets
	TransportRawIP                 // raw IP packets built from templates
	TransportEthernet              // Ethernet frames built from templates
)

// Connect outcomes a ReplyMatch of kind MatchConnect can name. The core maps
// errno values onto these so that plugins need no platform knowledge.
const (
	ConnectConnected       = "connected"
	ConnectRefused         = "refused"
	ConnectHostUnreachable = "host-unreachable"
	ConnectNetUnreachable  = "net-unreachable"
	ConnectProhibited      = "prohibited" // EACCES, EPERM: a local firewall said no
	ConnectHostDown        = "host-down"
)

// ProbeSpec is everything the core needs to run a scan technique at full
// speed without calling the plugin per packet.
type ProbeSpec struct {
	ScanType  string // Nmap's scaninfo type: "connect", "syn", "udp", ...
	Proto     Proto
	Transport Transport
	NeedsRoot bool
	Templates []PacketTemplate
	Rules     []ReplyRule
	// Silence is what a port that never answers is reported as.
	Silence Verdict
	// SilenceMeansOpen marks Nmap's "noresp-open" techniques (FIN, NULL,
	// Xmas, Maimon, UDP, IP protocol), which change the port-state rules.
	SilenceMeansOpen bool
	// WantsClassify sends replies that match no rule to the plugin.
	WantsClassify bool
}

// Verdict is what a reply means for a port. An empty State means the reply
// is ignored.
type Verdict struct {
	State  PortState
	Reason string
	// Host is what the reply says about the host, for the ping probe types
	// of host discovery (-PE, -PS, -PY, ...); port scans leave it unset.
	Host HostVerdict
}

// MatchKind says which field of a ReplyMatch applies.
type MatchKind uint8

const (
	MatchUnspecified MatchKind = iota
	MatchConnect
	MatchTCP
	MatchICMP
	MatchUDP
	MatchSCTP
	MatchIP
)

// ReplyMatch selects replies. Numeric fields use -1 for "any". A MatchIP
// rule (any packet of the probed protocol, IP protocol scan) may name an
// ICMP type and code to select ICMP messages among such answers.
type ReplyMatch struct {
	Kind           MatchKind
	ConnectOutcome string
	TCPFlagsMask   uint8
	TCPFlags       uint8
	TCPWindow      int // -1 any, 0 zero, 1 non-zero
	ICMPType       int
	ICMPCode       int
	ICMPv6         bool
	FromTarget     int // -1 any, 0 from elsewhere, 1 from the target
	SCTPChunk      uint8
}

// ReplyRule maps matching replies to a verdict. Rules are tried in order and
// the first match wins.
type ReplyRule struct {
	Match   ReplyMatch
	Verdict Verdict
}

// SlotKind is what the core writes into a template slot per packet.
type SlotKind uint8

const (
	SlotUnspecified SlotKind = iota
	SlotDstPort
	SlotSrcPort
	SlotCookie
	SlotChecksum
)

// Slot is a field of a template the core fills for each packet.
type Slot struct {
	Kind   SlotKind
	Offset int
	Width  int
}

// PacketTemplate is a probe packet with slots. Layer4 holds the transport
// header and payload; the core builds the IP header.
type PacketTemplate struct {
	Name       string
	IPProtocol uint8
	Layer4     []byte
	Slots      []Slot
	// Ports limits the template to these destination ports; empty means
	// every port no other template names. When several templates name a
	// port, each try sends all of them (UDP payloads).
	Ports []PortRange
}

// PortRange is an inclusive range of port numbers.
type PortRange struct{ Lo, Hi uint16 }
