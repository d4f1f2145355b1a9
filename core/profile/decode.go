package profile

import (
	"fmt"
	"math/big"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Loader parses profile files. Keep one per run: its parser caches every
// file it read, which is what lets WriteDiagnostics show source snippets.
type Loader struct {
	parser *hclparse.Parser
}

// NewLoader returns a Loader with an empty file cache.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// Files returns the files read so far, keyed by name, for WriteDiagnostics.
func (l *Loader) Files() map[string]*hcl.File { return l.parser.Files() }

// Load reads and decodes the profile file at path.
func (l *Loader) Load(path string) (*Profile, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read profile",
			Detail:   fmt.Sprintf("read profile %s: %v", path, err),
		}}
	}
	return l.Parse(src, path)
}

// Parse decodes profile source; filename names it in diagnostics. The
// returned profile is nil only when the syntax itself is broken.
func (l *Loader) Parse(src []byte, filename string) (*Profile, hcl.Diagnostics) {
	f, diags := l.parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diags
	}
	d := &decoder{p: &Profile{Ranges: map[string]hcl.Range{}}}
	d.body(f.Body)
	diags = append(diags, d.diags...)
	diags = append(diags, d.p.Validate()...)
	if len(d.p.Ranges) == 0 {
		d.p.Ranges = nil
	}
	return d.p, diags
}

// Load reads a profile with a fresh Loader. Use a Loader directly to print
// the diagnostics with source snippets.
func Load(path string) (*Profile, hcl.Diagnostics) { return NewLoader().Load(path) }

// Parse decodes profile source with a fresh Loader.
func Parse(src []byte, filename string) (*Profile, hcl.Diagnostics) {
	return NewLoader().Parse(src, filename)
}

var rootSchema = &hcl.BodySchema{
	Attributes: attrs("targets", "exclude", "target_files", "exclude_files",
		"ports", "exclude_ports", "top_ports", "fast", "sequential", "randomize_hosts", "unprivileged",
		"verbosity", "debugging", "reason", "open_only", "data_dir", "no_nmap_data",
		"plugin_dirs", "ipv6", "interface", "source_address", "source_port", "ttl", "data_length"),
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "timing"}, {Type: "discovery"}, {Type: "dns"}, {Type: "version"},
		{Type: "probe", LabelNames: []string{"id"}},
		{Type: "output", LabelNames: []string{"id"}},
		{Type: "plugin", LabelNames: []string{"id"}},
	},
}

var timingSchema = &hcl.BodySchema{Attributes: attrs("template",
	"min_rtt_timeout", "max_rtt_timeout", "initial_rtt_timeout", "max_retries",
	"scan_delay", "max_scan_delay", "host_timeout", "min_rate", "max_rate",
	"min_parallelism", "max_parallelism", "min_hostgroup", "max_hostgroup",
	"defeat_rst_ratelimit")}

var discoverySchema = &hcl.BodySchema{Attributes: attrs("skip", "ping_only", "list_only",
	"tcp_syn", "tcp_ack", "udp", "sctp_init", "ip_proto",
	"icmp_echo", "icmp_timestamp", "icmp_mask", "disable_arp")}

var dnsSchema = &hcl.BodySchema{Attributes: attrs("never", "always", "system", "servers")}

var versionSchema = &hcl.BodySchema{Attributes: attrs("enabled", "intensity")}

var outputSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "path", Required: true}, {Name: "append"}}}

var pluginSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}, {Name: "sha256", Required: true}}}

func attrs(names ...string) []hcl.AttributeSchema {
	s := make([]hcl.AttributeSchema, len(names))
	for i, n := range names {
		s[i] = hcl.AttributeSchema{Name: n}
	}
	return s
}

// idPattern is the namespaced plugin ID syntax: "kind.name", lower case.
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

type decoder struct {
	p     *Profile
	diags hcl.Diagnostics
}

func (d *decoder) errorf(rng *hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng,
	})
}

func (d *decoder) body(b hcl.Body) {
	content, diags := b.Content(rootSchema)
	d.diags = append(d.diags, diags...)
	p := d.p
	a := content.Attributes
	d.strings(a, "targets", "", &p.Targets)
	d.strings(a, "exclude", "", &p.Exclude)
	d.strings(a, "target_files", "", &p.TargetFiles)
	d.strings(a, "exclude_files", "", &p.ExcludeFiles)
	d.portList(a, "ports", &p.Ports)
	d.portList(a, "exclude_ports", &p.ExcludePorts)
	d.integer(a, "top_ports", "", &p.TopPorts, 1, 65536)
	d.boolean(a, "fast", "", &p.Fast)
	d.boolean(a, "sequential", "", &p.Sequential)
	d.boolean(a, "randomize_hosts", "", &p.RandomizeHosts)
	d.boolean(a, "unprivileged", "", &p.Unprivileged)
	d.integer(a, "verbosity", "", &p.Verbosity, 0, 10)
	d.integer(a, "debugging", "", &p.Debugging, 0, 10)
	d.boolean(a, "reason", "", &p.Reason)
	d.boolean(a, "open_only", "", &p.OpenOnly)
	d.str(a, "data_dir", "", &p.DataDir)
	d.boolean(a, "no_nmap_data", "", &p.NoNmapData)
	d.strings(a, "plugin_dirs", "", &p.PluginDirs)
	d.boolean(a, "ipv6", "", &p.IPv6)
	d.str(a, "interface", "", &p.Interface)
	d.str(a, "source_address", "", &p.SourceAddr)
	d.optInt(a, "source_port", "", &p.SourcePort, 0, 65535)
	d.optInt(a, "ttl", "", &p.TTL, 0, 255)
	d.integer(a, "data_length", "", &p.DataLength, 0, MaxDataLength)

	seen := map[string]*hcl.Block{}
	for _, blk := range content.Blocks {
		key := blk.Type
		if len(blk.Labels) > 0 {
			key += " " + blk.Labels[0]
		}
		if prev, dup := seen[key]; dup {
			d.errorf(&blk.DefRange, "Duplicate block",
				"A %s block was already defined at %s; merge the two.", strings.Join(append([]string{blk.Type}, quote(blk.Labels)...), " "), prev.DefRange)
			continue
		}
		seen[key] = blk
		switch blk.Type {
		case "timing":
			d.timing(blk.Body)
		case "discovery":
			d.discovery(blk.Body)
		case "dns":
			d.dns(blk.Body)
		case "version":
			d.version(blk.Body)
		case "probe":
			if use, ok := d.pluginUse(blk, "probe"); ok {
				d.p.Scans = append(d.p.Scans, use)
			}
		case "output":
			d.output(blk)
		case "plugin":
			d.plugin(blk)
		}
	}
}

// MaxDataLength is the largest --data-length Nmap accepts.
const MaxDataLength = 1400

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func (d *decoder) timing(b hcl.Body) {
	content, diags := b.Content(timingSchema)
	d.diags = append(d.diags, diags...)
	a, t := content.Attributes, &d.p.Timing
	if attr, ok := a["template"]; ok {
		d.p.Ranges["timing.template"] = attr.Expr.Range()
		if v, ok := d.value(attr, cty.DynamicPseudoType); ok {
			level, err := templateValue(v)
			if err != nil {
				d.errorf(attr.Expr.Range().Ptr(), "Invalid timing template", "%v.", err)
			} else {
				t.Template = &level
			}
		}
	}
	d.duration(a, "min_rtt_timeout", &t.MinRTTTimeout, true)
	d.duration(a, "max_rtt_timeout", &t.MaxRTTTimeout, true)
	d.duration(a, "initial_rtt_timeout", &t.InitialRTTTimeout, true)
	d.optInt(a, "max_retries", "timing.", &t.MaxRetries, 0, 1<<20)
	d.duration(a, "scan_delay", &t.ScanDelay, false)
	d.duration(a, "max_scan_delay", &t.MaxScanDelay, false)
	d.duration(a, "host_timeout", &t.HostTimeout, false)
	d.rate(a, "min_rate", &t.MinRate)
	d.rate(a, "max_rate", &t.MaxRate)
	d.optInt(a, "min_parallelism", "timing.", &t.MinParallelism, 1, 1<<20)
	d.optInt(a, "max_parallelism", "timing.", &t.MaxParallelism, 1, 1<<20)
	d.optInt(a, "min_hostgroup", "timing.", &t.MinHostgroup, 1, 1<<24)
	d.optInt(a, "max_hostgroup", "timing.", &t.MaxHostgroup, 1, 1<<24)
	d.boolean(a, "defeat_rst_ratelimit", "timing.", &t.DefeatRSTRateLimit)
}

func templateValue(v cty.Value) (int, error) {
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact && i >= 0 && i <= 5 {
			return int(i), nil
		}
		return 0, fmt.Errorf("template must be 0..5, got %s", bf.Text('g', -1))
	case cty.String:
		return ParseTemplate(v.AsString())
	}
	return 0, fmt.Errorf("template must be a number 0..5 or a name, got %s", v.Type().FriendlyName())
}

func (d *decoder) discovery(b hcl.Body) {
	content, diags := b.Content(discoverySchema)
	d.diags = append(d.diags, diags...)
	a, x, pre := content.Attributes, &d.p.Discovery, "discovery."
	d.boolean(a, "skip", pre, &x.Skip)
	d.boolean(a, "ping_only", pre, &x.PingOnly)
	d.boolean(a, "list_only", pre, &x.ListOnly)
	d.str(a, "tcp_syn", pre, &x.TCPSyn)
	d.str(a, "tcp_ack", pre, &x.TCPAck)
	d.str(a, "udp", pre, &x.UDP)
	d.str(a, "sctp_init", pre, &x.SCTPInit)
	d.str(a, "ip_proto", pre, &x.IPProto)
	d.boolean(a, "icmp_echo", pre, &x.ICMPEcho)
	d.boolean(a, "icmp_timestamp", pre, &x.ICMPTimestamp)
	d.boolean(a, "icmp_mask", pre, &x.ICMPMask)
	d.boolean(a, "disable_arp", pre, &x.DisableARP)
}

func (d *decoder) dns(b hcl.Body) {
	content, diags := b.Content(dnsSchema)
	d.diags = append(d.diags, diags...)
	a, x, pre := content.Attributes, &d.p.DNS, "dns."
	d.boolean(a, "never", pre, &x.Never)
	d.boolean(a, "always", pre, &x.Always)
	d.boolean(a, "system", pre, &x.System)
	d.strings(a, "servers", pre, &x.Servers)
}

func (d *decoder) version(b hcl.Body) {
	content, diags := b.Content(versionSchema)
	d.diags = append(d.diags, diags...)
	a, x, pre := content.Attributes, &d.p.Version, "version."
	d.boolean(a, "enabled", pre, &x.Enabled)
	d.optInt(a, "intensity", pre, &x.Intensity, 0, 9)
}

// pluginUse checks a probe/output block's label and keeps every attribute
// left in body as a plugin setting, to be checked against the plugin's
// schema once the plugin has described itself.
func (d *decoder) pluginUse(blk *hcl.Block, kind string) (PluginUse, bool) {
	return d.pluginUseBody(blk, blk.Body, kind)
}

func (d *decoder) pluginUseBody(blk *hcl.Block, body hcl.Body, kind string) (PluginUse, bool) {
	id := blk.Labels[0]
	lr := blk.LabelRanges[0]
	if !checkID(d, id, kind, &lr) {
		return PluginUse{}, false
	}
	use := PluginUse{ID: id, DeclRange: blk.DefRange}
	attrs, diags := body.JustAttributes()
	d.diags = append(d.diags, diags...)
	for name, attr := range attrs {
		v, ok := d.value(attr, cty.DynamicPseudoType)
		if !ok {
			continue
		}
		if use.Settings == nil {
			use.Settings = map[string]cty.Value{}
			use.SettingRanges = map[string]hcl.Range{}
		}
		use.Settings[name] = v
		use.SettingRanges[name] = attr.Range
	}
	return use, true
}

func checkID(d *decoder, id, kind string, rng *hcl.Range) bool {
	if !idPattern.MatchString(id) {
		d.errorf(rng, "Invalid plugin ID", "%q is not a plugin ID; IDs look like %q (lower case, dot separated).", id, kind+".name")
		return false
	}
	if kind != "" && !strings.HasPrefix(id, kind+".") {
		d.errorf(rng, "Wrong kind of plugin", "A %s block needs a %s plugin; did you mean %q?", kind, kind, kind+"."+id[strings.LastIndexByte(id, '.')+1:])
		return false
	}
	return true
}

func (d *decoder) output(blk *hcl.Block) {
	content, rest, diags := blk.Body.PartialContent(outputSchema)
	d.diags = append(d.diags, diags...)
	use, ok := d.pluginUseBody(blk, rest, "output")
	if !ok {
		return
	}
	out := OutputUse{PluginUse: use}
	if attr, ok := content.Attributes["path"]; ok {
		if v, ok := d.value(attr, cty.String); ok {
			out.Path = v.AsString()
			if out.Path == "" {
				d.errorf(attr.Expr.Range().Ptr(), "Empty output path", `Give a file name, or "-" for stdout.`)
			}
		}
	}
	if attr, ok := content.Attributes["append"]; ok {
		if v, ok := d.value(attr, cty.Bool); ok {
			out.Append = v.True()
		}
	}
	d.p.Outputs = append(d.p.Outputs, out)
}

func (d *decoder) plugin(blk *hcl.Block) {
	content, diags := blk.Body.Content(pluginSchema)
	d.diags = append(d.diags, diags...)
	lr := blk.LabelRanges[0]
	if !checkID(d, blk.Labels[0], "", &lr) {
		return
	}
	src := PluginSource{ID: blk.Labels[0], DeclRange: blk.DefRange}
	if attr, ok := content.Attributes["source"]; ok {
		if v, ok := d.value(attr, cty.String); ok {
			src.Source = v.AsString()
		}
	}
	if attr, ok := content.Attributes["sha256"]; ok {
		if v, ok := d.value(attr, cty.String); ok {
			src.SHA256 = strings.ToLower(v.AsString())
			if !hexSHA256.MatchString(src.SHA256) {
				d.errorf(attr.Expr.Range().Ptr(), "Invalid checksum", "sha256 must be 64 hexadecimal digits (as printed by sha256sum).")
			}
		}
	}
	d.p.Plugins = append(d.p.Plugins, src)
}

// value evaluates a constant expression and converts it to ty.
func (d *decoder) value(attr *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, diags := attr.Expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		d.errorf(attr.Expr.Range().Ptr(), "Null value", "%s must have a value.", attr.Name)
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		d.errorf(attr.Expr.Range().Ptr(), "Unknown value", "%s must be a constant.", attr.Name)
		return cty.NilVal, false
	}
	if ty == cty.DynamicPseudoType {
		return v, true
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		d.errorf(attr.Expr.Range().Ptr(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s required.", attr.Name, ty.FriendlyName())
		return cty.NilVal, false
	}
	return cv, true
}

func (d *decoder) lookup(a hcl.Attributes, name, prefix string) *hcl.Attribute {
	attr, ok := a[name]
	if !ok {
		return nil
	}
	d.p.Ranges[prefix+name] = attr.Expr.Range()
	return attr
}

func (d *decoder) str(a hcl.Attributes, name, prefix string, dst *string) {
	if attr := d.lookup(a, name, prefix); attr != nil {
		if v, ok := d.value(attr, cty.String); ok {
			*dst = v.AsString()
		}
	}
}

func (d *decoder) boolean(a hcl.Attributes, name, prefix string, dst *bool) {
	if attr := d.lookup(a, name, prefix); attr != nil {
		if v, ok := d.value(attr, cty.Bool); ok {
			*dst = v.True()
		}
	}
}

func (d *decoder) strings(a hcl.Attributes, name, prefix string, dst *[]string) {
	attr := d.lookup(a, name, prefix)
	if attr == nil {
		return
	}
	v, ok := d.value(attr, cty.List(cty.String))
	if !ok {
		return
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			d.errorf(attr.Expr.Range().Ptr(), "Null value", "%s must not contain null.", name)
			return
		}
		out = append(out, e.AsString())
	}
	*dst = out
}

// portList accepts a port string or a list of port strings, joined by commas.
func (d *decoder) portList(a hcl.Attributes, name string, dst *string) {
	attr := d.lookup(a, name, "")
	if attr == nil {
		return
	}
	v, ok := d.value(attr, cty.DynamicPseudoType)
	if !ok {
		return
	}
	if sv, err := convert.Convert(v, cty.String); err == nil && v.Type().IsPrimitiveType() {
		*dst = sv.AsString()
		return
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		d.errorf(attr.Expr.Range().Ptr(), "Incorrect attribute value type",
			`%s must be a port string such as "22,80,1000-2000" or a list of them.`, name)
		return
	}
	var parts []string
	for _, e := range lv.AsValueSlice() {
		parts = append(parts, e.AsString())
	}
	*dst = strings.Join(parts, ",")
}

func (d *decoder) intValue(attr *hcl.Attribute, lo, hi int) (int, bool) {
	v, ok := d.value(attr, cty.Number)
	if !ok {
		return 0, false
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || i < int64(lo) || i > int64(hi) {
		d.errorf(attr.Expr.Range().Ptr(), "Value out of range",
			"%s must be a whole number from %d to %d.", attr.Name, lo, hi)
		return 0, false
	}
	return int(i), true
}

func (d *decoder) integer(a hcl.Attributes, name, prefix string, dst *int, lo, hi int) {
	if attr := d.lookup(a, name, prefix); attr != nil {
		if i, ok := d.intValue(attr, lo, hi); ok {
			*dst = i
		}
	}
}

func (d *decoder) optInt(a hcl.Attributes, name, prefix string, dst **int, lo, hi int) {
	if attr := d.lookup(a, name, prefix); attr != nil {
		if i, ok := d.intValue(attr, lo, hi); ok {
			*dst = &i
		}
	}
}

func (d *decoder) rate(a hcl.Attributes, name string, dst **float64) {
	attr := d.lookup(a, name, "timing.")
	if attr == nil {
		return
	}
	v, ok := d.value(attr, cty.Number)
	if !ok {
		return
	}
	f, _ := v.AsBigFloat().Float64()
	if f <= 0 {
		d.errorf(attr.Expr.Range().Ptr(), "Value out of range", "%s must be greater than 0 (packets per second).", name)
		return
	}
	*dst = &f
}

// duration accepts a string with an Nmap unit or a bare number of seconds.
func (d *decoder) duration(a hcl.Attributes, name string, dst **time.Duration, positive bool) {
	attr := d.lookup(a, name, "timing.")
	if attr == nil {
		return
	}
	v, ok := d.value(attr, cty.DynamicPseudoType)
	if !ok {
		return
	}
	var s string
	switch v.Type() {
	case cty.String:
		s = v.AsString()
	case cty.Number:
		s = v.AsBigFloat().Text('f', -1)
	default:
		d.errorf(attr.Expr.Range().Ptr(), "Incorrect attribute value type",
			`%s must be a time such as "500ms", "2s", "15m" or "1h" (a bare number is seconds).`, name)
		return
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.errorf(attr.Expr.Range().Ptr(), "Invalid time", "%s: %v.", name, err)
		return
	}
	if positive && dur == 0 {
		d.errorf(attr.Expr.Range().Ptr(), "Value out of range", "%s must be greater than zero.", name)
		return
	}
	*dst = &dur
}

// Validate checks the rules that span several fields. It points at the
// profile source when the values came from a file.
func (p *Profile) Validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	add := func(path, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: p.rangeOf(path)})
	}
	t := p.Timing
	if t.MinRate != nil && t.MaxRate != nil && *t.MinRate > *t.MaxRate {
		add("timing.min_rate", "Conflicting rates", fmt.Sprintf("min_rate (%g) must not exceed max_rate (%g).", *t.MinRate, *t.MaxRate))
	}
	if t.MinParallelism != nil && t.MaxParallelism != nil && *t.MinParallelism > *t.MaxParallelism {
		add("timing.min_parallelism", "Conflicting parallelism", fmt.Sprintf("min_parallelism (%d) must not exceed max_parallelism (%d).", *t.MinParallelism, *t.MaxParallelism))
	}
	if t.MinHostgroup != nil && t.MaxHostgroup != nil && *t.MinHostgroup > *t.MaxHostgroup {
		add("timing.min_hostgroup", "Conflicting host group sizes", fmt.Sprintf("min_hostgroup (%d) must not exceed max_hostgroup (%d).", *t.MinHostgroup, *t.MaxHostgroup))
	}
	if p.Fast && p.Ports != "" {
		add("fast", "Conflicting port selection", "fast (-F) and ports (-p) cannot be used together; use top_ports to scan the most frequent ports of a range.")
	}
	if p.DNS.Never && p.DNS.Always {
		add("dns.never", "Conflicting DNS settings", "never (-n) and always (-R) cannot both be set.")
	}
	if p.Discovery.PingOnly && len(p.Scans) > 0 {
		add("discovery.ping_only", "Conflicting scan settings", "ping_only (-sn) skips the port scan, so it cannot be used with probe blocks.")
	}
	if p.Discovery.ListOnly && len(p.Scans) > 0 {
		add("discovery.list_only", "Conflicting scan settings", "list_only (-sL) sends nothing, so it cannot be used with probe blocks.")
	}
	paths := map[string]string{}
	for _, o := range p.Outputs {
		if prev, dup := paths[o.Path]; dup && o.Path != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate output path",
				Detail: fmt.Sprintf("%s and %s both write to %q.", prev, o.ID, o.Path), Subject: nonZero(o.DeclRange)})
		}
		paths[o.Path] = o.ID
	}
	for i, s := range p.Scans {
		if slices.ContainsFunc(p.Scans[:i], func(x PluginUse) bool { return x.ID == s.ID }) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate probe",
				Detail: fmt.Sprintf("%s is selected twice.", s.ID), Subject: nonZero(s.DeclRange)})
		}
	}
	return diags
}

func nonZero(r hcl.Range) *hcl.Range {
	if r.Filename == "" && r.Start.Line == 0 {
		return nil
	}
	return &r
}
