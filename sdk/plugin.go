package sdk

import (
	"context"
	"encoding/json"
)

// ProtocolVersion is the version of the plugin protocol this SDK speaks. A
// core and a plugin that speak different versions refuse each other at the
// handshake with an error that names both.
const ProtocolVersion = 1

// Kind is what a plugin does. Each kind is one gRPC service besides Plugin.
type Kind string

const (
	KindProbe   Kind = "probe"
	KindService Kind = "service"
	KindOS      Kind = "os"
	KindOutput  Kind = "output"
)

// Info is a plugin's identity and the schema of its settings.
type Info struct {
	ID          string // namespaced: "probe.tcp_connect", "output.xml", "vendor.thing"
	Kind        Kind
	Version     string
	Description string
	Privileges  []string // "raw-socket" for plugins whose work needs root
	Config      []ConfigField
}

// ConfigField is one setting a plugin accepts in its profile block.
type ConfigField struct {
	Name        string
	Type        string // "string", "number", "bool", "list(string)"
	Required    bool
	Description string
	Default     any // nil for none; must be JSON-encodable
}

// Settings is a plugin's configuration as the core hands it over: a JSON
// object already checked against the plugin's schema.
type Settings json.RawMessage

// Decode unmarshals the settings into v (a pointer to a struct with json
// tags). Empty settings leave v untouched.
func (s Settings) Decode(v any) error {
	if len(s) == 0 {
		return nil
	}
	return json.Unmarshal(s, v)
}

// Diagnostic is a problem a plugin found in its settings.
type Diagnostic struct {
	Severity  string // "error" or "warning"
	Summary   string
	Detail    string
	Attribute string
}

// Plugin is what every plugin implements besides the interface of its kind.
type Plugin interface {
	Info(ctx context.Context) (Info, error)
	Configure(ctx context.Context, settings Settings) ([]Diagnostic, error)
}

// ProbeType describes a scan technique. The core sends, receives and
// classifies; the plugin only declares what to send and what replies mean.
type ProbeType interface {
	Plugin
	Describe(ctx context.Context) (ProbeSpec, error)
}

// Output renders a scan in one format. It returns the bytes to append to its
// destination; the core owns files, stdout and flushing.
type Output interface {
	Plugin
	Start(ctx context.Context, dest OutputDest, scan ScanStart) ([]byte, error)
	Host(ctx context.Context, host Host) ([]byte, error)
	End(ctx context.Context, end ScanEnd) ([]byte, error)
}

// OutputDest tells an output where its bytes go, for formats whose text
// depends on it (a stylesheet path, say).
type OutputDest struct {
	Path   string // "-" for standard output
	Append bool
}

// ServiceMatcher names the services behind responses. The core owns the
// connections; the matcher offers probes and matches responses in batches.
type ServiceMatcher interface {
	Plugin
	Catalogue(ctx context.Context) (ServiceCatalogue, error)
	Match(ctx context.Context, items []MatchItem) ([]MatchResult, error)
}

// OSDetector declares the probes it needs and scores a host's replies.
type OSDetector interface {
	Plugin
	Probes(ctx context.Context) ([]PacketTemplate, error)
	Score(ctx context.Context, sample OSSample) (OSResult, error)
}
