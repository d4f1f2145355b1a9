package sdk

import (
	"net/netip"
	"time"
)

// PortState is a port's state in Nmap's vocabulary. The zero value means no
// answer was recorded; the scan's default for silence is applied at output time.
type PortState uint8

const (
	StateUnknown PortState = iota
	StateOpen
	StateClosed
	StateFiltered
	StateUnfiltered
	StateOpenFiltered
	StateClosedFiltered
)

var stateNames = [...]string{"unknown", "open", "closed", "filtered", "unfiltered", "open|filtered", "closed|filtered"}

// String returns the name Nmap prints for the state.
func (s PortState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ParsePortState is the inverse of String.
func ParsePortState(s string) (PortState, bool) {
	for i, n := range stateNames {
		if n == s {
			return PortState(i), true
		}
	}
	return StateUnknown, false
}

// Proto is a transport protocol that has ports (or, for IP protocol scans, the
// protocol number itself).
type Proto uint8

const (
	ProtoTCP Proto = iota + 1
	ProtoUDP
	ProtoSCTP
	ProtoIP
)

// String returns the name Nmap uses in output ("tcp", "udp", "sctp", "ip").
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoSCTP:
		return "sctp"
	case ProtoIP:
		return "ip"
	}
	return "unknown"
}

// Port is one port of one host with the evidence behind its state.
type Port struct {
	Proto     Proto
	Number    uint16
	State     PortState
	Reason    string // Nmap's reason name: "syn-ack", "conn-refused", "no-response", ...
	ReasonTTL int
	Service   *Service // nil when nothing is known beyond the port number
}

// Service is what is known about the service on a port. Its strings cross
// the plugin boundary as UTF-8: bytes that are not UTF-8 arrive as '.'. Method is "table"
// when the name only comes from the port-number table, "probed" when a
// service probe named it.
type Service struct {
	Name        string
	Product     string
	Version     string
	ExtraInfo   string
	Hostname    string
	OSType      string
	DeviceType  string
	Tunnel      string // "ssl" when the service was found inside TLS
	Method      string // "table" or "probed"
	Conf        int    // 0-10
	CPE         []string
	Fingerprint string // Nmap-style SF-Port fingerprint of an unrecognised service
}

// ExtraPorts is a run of ports collapsed into one line ("Not shown: 997
// closed tcp ports (conn-refused)") because they share a state. The core
// decides what is collapsed, so every output format agrees.
type ExtraPorts struct {
	State   PortState
	Count   int
	Reasons []ExtraReason
}

// ExtraReason counts the collapsed ports of one protocol that share a reason.
type ExtraReason struct {
	Reason string
	Count  int
	Proto  Proto
	Ports  string // Nmap range list, "1-21,23-79"
}

// Hostname is a name of a host: "user" when given on the command line, "PTR"
// when found by reverse DNS.
type Hostname struct {
	Name string
	Type string
}

// HostStatus says whether a host is up and why the scanner believes it.
type HostStatus struct {
	State     string // "up", "down", "unknown", "skipped"
	Reason    string // "user-set", "echo-reply", "syn-ack", "localhost-response", ...
	ReasonTTL int
}

// Host is everything the scan found out about one target address. Outputs
// receive a Host once, when the scan of it is finished.
type Host struct {
	Addr       netip.Addr
	MAC        string
	MACVendor  string
	Hostnames  []Hostname
	Status     HostStatus
	Ports      []Port       // ports shown one by one, sorted by protocol then number
	ExtraPorts []ExtraPorts // ports collapsed by state
	Start, End time.Time
	TimedOut   bool
	// Timing estimates for the host, as Nmap's <times srtt rttvar to>.
	SRTT, RTTVar, Timeout time.Duration
}

// ScanInfo describes one scan technique of the run (XML <scaninfo>).
type ScanInfo struct {
	Type        string // Nmap's scan type name: "connect", "syn", "udp", ...
	Protocol    Proto
	NumServices int
	Services    string // Nmap range list of the ports scanned with this technique
}

// ScanStart opens a scan for the outputs.
type ScanStart struct {
	Scanner   string // "scanfw"
	Version   string
	Args      string // the command line, as typed
	Start     time.Time
	ScanInfo  []ScanInfo
	Verbose   int
	Debugging int
	// Display options that change the layout of human-readable formats.
	Reason   bool
	OpenOnly bool
	// ServiceScan says version detection (-sV) runs, which changes the
	// SERVICE and VERSION columns of human-readable formats.
	ServiceScan bool
	// DataDir is where data files were read from ("" for built-in data).
	DataDir string
	// TimingReport is -d's block of timing values, as Nmap prints it after
	// its first line ("" below -d).
	TimingReport string
	// DataFiles are the Nmap-format data files the core read, full paths.
	DataFiles []string
}

// ScanEnd closes a scan. Exit is "success" or "error"; an interrupted or
// failed scan still ends so that every output can close its file properly.
type ScanEnd struct {
	End        time.Time
	Elapsed    time.Duration
	HostsUp    int
	HostsDown  int
	HostsTotal int
	Exit       string
	ErrorMsg   string
}
