package profile

import (
	"reflect"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Profile is the resolved description of one scan. The zero value (plus
// targets) is a plain `scanfw TARGET` run: the core picks the default probe,
// the default ports and prints normal output to stdout.
//
// Optional values that have a meaningful zero (a TTL of 0, a source port of
// 0, a retry count of 0) are pointers so that "not given" stays distinct from
// "given as zero".
type Profile struct {
	Targets      []string // hosts, networks and ranges in Nmap syntax
	Exclude      []string // --exclude
	TargetFiles  []string // -iL
	ExcludeFiles []string // --excludefile

	Ports        string // -p, Nmap port syntax ("" means the default selection)
	ExcludePorts string // --exclude-ports
	TopPorts     int    // --top-ports (0: not given)
	Fast         bool   // -F: the 100 most frequent ports
	Sequential   bool   // -r: do not randomise port order
	// Unprivileged acts as a user without raw sockets even as root
	// (--unprivileged): connect scans and connect discovery only.
	Unprivileged bool
	// RandomizeHosts shuffles each discovery batch of targets (--randomize-hosts).
	RandomizeHosts bool

	// Scans lists the probe plugins to run. Empty means the core's default
	// (a connect scan without privileges, a SYN scan with them).
	Scans     []PluginUse
	Timing    Timing
	Discovery Discovery
	DNS       DNS
	Version   Version

	// Outputs lists the output plugins. The core prints the interactive
	// normal output to stdout unless one of these writes to "-".
	Outputs    []OutputUse
	Plugins    []PluginSource
	PluginDirs []string

	Verbosity  int
	Debugging  int
	Reason     bool // --reason
	OpenOnly   bool // --open
	DataDir    string
	NoNmapData bool // do not read Nmap's data files even when installed

	// Raw-path options: recorded now, honoured by the raw probe engine.
	IPv6       bool
	Interface  string // -e
	SourceAddr string // -S
	SourcePort *int   // -g
	TTL        *int   // --ttl
	DataLength int    // --data-length

	// Ranges maps an attribute path ("timing.min_rate", "ports") to where a
	// profile file set it, so checks made after decoding can still point at
	// the source. Empty for profiles built from flags.
	Ranges map[string]hcl.Range
}

// PluginUse selects one plugin by its namespaced ID and carries the settings
// the profile gave it. The plugin supplies the schema; see CheckSettings.
type PluginUse struct {
	ID       string
	Settings map[string]cty.Value

	DeclRange     hcl.Range            // the block header, for diagnostics
	SettingRanges map[string]hcl.Range // each setting's attribute
}

// OutputUse is an output plugin with the destination every output has.
type OutputUse struct {
	PluginUse
	Path   string // "-" means stdout
	Append bool   // append to Path instead of truncating it
}

// PluginSource names a third-party plugin executable and the checksum it must
// have before the core starts it.
type PluginSource struct {
	ID     string
	Source string // path of the executable
	SHA256 string // lower-case hex

	DeclRange hcl.Range
}

// Discovery selects how hosts are found before the port scan.
type Discovery struct {
	Skip     bool // -Pn: treat every target as up
	PingOnly bool // -sn: discovery only, no port scan
	ListOnly bool // -sL: list the targets, send nothing

	// Probe selections; "" means not requested. Port lists use Nmap syntax.
	TCPSyn        string // -PS
	TCPAck        string // -PA
	UDP           string // -PU
	SCTPInit      string // -PY
	IPProto       string // -PO
	ICMPEcho      bool   // -PE
	ICMPTimestamp bool   // -PP
	ICMPMask      bool   // -PM
	DisableARP    bool   // --disable-arp-ping
}

// DNS selects reverse name resolution.
type DNS struct {
	Never   bool     // -n
	Always  bool     // -R
	System  bool     // --system-dns
	Servers []string // --dns-servers
}

// Version records service/version detection (-sV).
type Version struct {
	Enabled   bool
	Intensity *int // 0..9; nil means Nmap's default of 7
}

// DefaultVersionIntensity is what -sV uses without --version-intensity.
const DefaultVersionIntensity = 7

// Timing holds a template plus explicit overrides. Every override is applied
// after the template (see Resolve), whatever order the user wrote them in, as
// Nmap does with its "delayed options".
type Timing struct {
	Template *int // 0..5; nil means 3 (normal)

	MinRTTTimeout     *time.Duration
	MaxRTTTimeout     *time.Duration
	InitialRTTTimeout *time.Duration
	MaxRetries        *int
	ScanDelay         *time.Duration
	MaxScanDelay      *time.Duration
	HostTimeout       *time.Duration // 0 means none
	MinRate           *float64       // packets per second
	MaxRate           *float64
	MinParallelism    *int
	MaxParallelism    *int
	MinHostgroup      *int
	MaxHostgroup      *int
	// DefeatRSTRateLimit is --defeat-rst-ratelimit (implied by --open, as
	// in Nmap): a RST that answers a retransmission is treated as a
	// rate-limited answer, so a target's RST rate limit neither cuts the
	// window nor raises the retry cap; closed ports may then show as
	// filtered.
	DefeatRSTRateLimit bool
}

// Find returns the scan with the given ID, or nil.
func (p *Profile) Find(id string) *PluginUse {
	for i := range p.Scans {
		if p.Scans[i].ID == id {
			return &p.Scans[i]
		}
	}
	return nil
}

// Output returns the output with the given ID, or nil.
func (p *Profile) Output(id string) *OutputUse {
	for i := range p.Outputs {
		if p.Outputs[i].ID == id {
			return &p.Outputs[i]
		}
	}
	return nil
}

// rangeOf returns where a profile file set the attribute at path, if it did.
func (p *Profile) rangeOf(path string) *hcl.Range {
	if r, ok := p.Ranges[path]; ok {
		return &r
	}
	return nil
}

// Equal reports whether two profiles describe the same scan. Source ranges
// are ignored, settings are compared as cty values, and nil and empty
// collections are the same.
func (p *Profile) Equal(q *Profile) bool {
	if p == nil || q == nil {
		return p == q
	}
	a, b := p.comparable(), q.comparable()
	if len(a.Scans) != len(b.Scans) || len(a.Outputs) != len(b.Outputs) {
		return false
	}
	for i := range a.Scans {
		if !settingsEqual(a.Scans[i].Settings, b.Scans[i].Settings) {
			return false
		}
		a.Scans[i].Settings, b.Scans[i].Settings = nil, nil
	}
	for i := range a.Outputs {
		if !settingsEqual(a.Outputs[i].Settings, b.Outputs[i].Settings) {
			return false
		}
		a.Outputs[i].Settings, b.Outputs[i].Settings = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// comparable returns a copy without source ranges and with empty slices
// made nil. Settings maps are shared with p; Equal replaces them.
func (p *Profile) comparable() Profile {
	c := *p
	c.Ranges = nil
	c.Targets = nilIfEmpty(c.Targets)
	c.Exclude = nilIfEmpty(c.Exclude)
	c.TargetFiles = nilIfEmpty(c.TargetFiles)
	c.ExcludeFiles = nilIfEmpty(c.ExcludeFiles)
	c.PluginDirs = nilIfEmpty(c.PluginDirs)
	c.DNS.Servers = nilIfEmpty(c.DNS.Servers)
	c.Scans = nil
	for _, s := range p.Scans {
		s.DeclRange, s.SettingRanges = hcl.Range{}, nil
		c.Scans = append(c.Scans, s)
	}
	c.Outputs = nil
	for _, o := range p.Outputs {
		o.DeclRange, o.SettingRanges = hcl.Range{}, nil
		c.Outputs = append(c.Outputs, o)
	}
	c.Plugins = nil
	for _, s := range p.Plugins {
		s.DeclRange = hcl.Range{}
		c.Plugins = append(c.Plugins, s)
	}
	return c
}

func settingsEqual(a, b map[string]cty.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !va.RawEquals(vb) {
			return false
		}
	}
	return true
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
