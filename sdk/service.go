package sdk

import (
	"net/netip"
	"time"
)

// ServiceCatalogue is the set of service probes a matcher offers.
type ServiceCatalogue struct {
	Probes        []ServiceProbe
	ExcludedPorts string // ports never probed (Nmap's Exclude directive)
}

// ServiceProbe is one probe of a matcher's catalogue, with the selection
// data the core needs to pick probes as Nmap does.
type ServiceProbe struct {
	Name       string
	Proto      Proto
	Payload    []byte
	Ports      string
	SSLPorts   string
	Rarity     int
	TotalWait  time.Duration
	TCPWrapped time.Duration
	Fallback   []string
	NoPayload  bool
	Services   []string // names its rules can produce, for softmatch narrowing
}

// MatchItem is one response to match.
type MatchItem struct {
	ID       uint64
	Proto    Proto
	Port     uint16
	Probe    string
	Response []byte
	Tunnel   string
}

// MatchResult answers one MatchItem by ID.
type MatchResult struct {
	ID      uint64
	Hard    bool
	Soft    bool
	Service Service
	Rule    string
}

// OSSample is what an OS detector scores: the replies to its probes.
type OSSample struct {
	Addr          netip.Addr
	Replies       []OSReply
	OpenTCPPort   uint16
	ClosedTCPPort uint16
	ClosedUDPPort uint16
}

// OSReply is one captured reply to an OS probe.
type OSReply struct {
	Probe    string
	Packet   []byte
	Sent     time.Time
	Received time.Time
}

// OSResult is a fingerprint and its ranked matches.
type OSResult struct {
	Fingerprint string
	Matches     []OSMatch
}

// OSMatch is one candidate operating system.
type OSMatch struct {
	Name     string
	Accuracy int
	Line     int
	Classes  []OSClass
}

// OSClass is a classification of an OSMatch.
type OSClass struct {
	Type, Vendor, Family, Generation string
	Accuracy                         int
	CPE                              []string
}
