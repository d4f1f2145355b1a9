package profile

import (
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// HCL returns the canonical text of the profile: only values that differ
// from the defaults, in a fixed order, so two equal profiles print the same
// and Parse(p.HCL()) gives back an equal profile. This is --print-profile.
func (p *Profile) HCL() []byte {
	f := hclwrite.NewEmptyFile()
	root := f.Body()

	setStrings(root, "targets", p.Targets)
	setStrings(root, "exclude", p.Exclude)
	setStrings(root, "target_files", p.TargetFiles)
	setStrings(root, "exclude_files", p.ExcludeFiles)
	setString(root, "ports", p.Ports)
	setString(root, "exclude_ports", p.ExcludePorts)
	setInt(root, "top_ports", p.TopPorts)
	setBool(root, "fast", p.Fast)
	setBool(root, "sequential", p.Sequential)
	setBool(root, "randomize_hosts", p.RandomizeHosts)
	setBool(root, "unprivileged", p.Unprivileged)
	setInt(root, "verbosity", p.Verbosity)
	setInt(root, "debugging", p.Debugging)
	setBool(root, "reason", p.Reason)
	setBool(root, "open_only", p.OpenOnly)
	setString(root, "data_dir", p.DataDir)
	setBool(root, "no_nmap_data", p.NoNmapData)
	setStrings(root, "plugin_dirs", p.PluginDirs)
	setBool(root, "ipv6", p.IPv6)
	setString(root, "interface", p.Interface)
	setString(root, "source_address", p.SourceAddr)
	setOptInt(root, "source_port", p.SourcePort)
	setOptInt(root, "ttl", p.TTL)
	setInt(root, "data_length", p.DataLength)

	t := p.Timing
	block(root, "timing", nil, func(b *hclwrite.Body) {
		setOptInt(b, "template", t.Template)
		setDuration(b, "min_rtt_timeout", t.MinRTTTimeout)
		setDuration(b, "max_rtt_timeout", t.MaxRTTTimeout)
		setDuration(b, "initial_rtt_timeout", t.InitialRTTTimeout)
		setOptInt(b, "max_retries", t.MaxRetries)
		setDuration(b, "scan_delay", t.ScanDelay)
		setDuration(b, "max_scan_delay", t.MaxScanDelay)
		setDuration(b, "host_timeout", t.HostTimeout)
		setRate(b, "min_rate", t.MinRate)
		setRate(b, "max_rate", t.MaxRate)
		setOptInt(b, "min_parallelism", t.MinParallelism)
		setOptInt(b, "max_parallelism", t.MaxParallelism)
		setOptInt(b, "min_hostgroup", t.MinHostgroup)
		setOptInt(b, "max_hostgroup", t.MaxHostgroup)
		setBool(b, "defeat_rst_ratelimit", t.DefeatRSTRateLimit)
	})
	x := p.Discovery
	block(root, "discovery", nil, func(b *hclwrite.Body) {
		setBool(b, "skip", x.Skip)
		setBool(b, "ping_only", x.PingOnly)
		setBool(b, "list_only", x.ListOnly)
		setString(b, "tcp_syn", x.TCPSyn)
		setString(b, "tcp_ack", x.TCPAck)
		setString(b, "udp", x.UDP)
		setString(b, "sctp_init", x.SCTPInit)
		setString(b, "ip_proto", x.IPProto)
		setBool(b, "icmp_echo", x.ICMPEcho)
		setBool(b, "icmp_timestamp", x.ICMPTimestamp)
		setBool(b, "icmp_mask", x.ICMPMask)
		setBool(b, "disable_arp", x.DisableARP)
	})
	block(root, "dns", nil, func(b *hclwrite.Body) {
		setBool(b, "never", p.DNS.Never)
		setBool(b, "always", p.DNS.Always)
		setBool(b, "system", p.DNS.System)
		setStrings(b, "servers", p.DNS.Servers)
	})
	block(root, "version", nil, func(b *hclwrite.Body) {
		setBool(b, "enabled", p.Version.Enabled)
		setOptInt(b, "intensity", p.Version.Intensity)
	})
	for _, s := range p.Scans {
		block(root, "probe", []string{s.ID}, func(b *hclwrite.Body) { setSettings(b, s.Settings) })
	}
	for _, o := range p.Outputs {
		block(root, "output", []string{o.ID}, func(b *hclwrite.Body) {
			b.SetAttributeValue("path", cty.StringVal(o.Path))
			setBool(b, "append", o.Append)
			setSettings(b, o.Settings)
		})
	}
	for _, s := range p.Plugins {
		block(root, "plugin", []string{s.ID}, func(b *hclwrite.Body) {
			b.SetAttributeValue("source", cty.StringVal(s.Source))
			b.SetAttributeValue("sha256", cty.StringVal(s.SHA256))
		})
	}
	return hclwrite.Format(f.Bytes())
}

// block appends a block when it has a label or fill gives it content, with
// a blank line before it to keep the text readable.
func block(root *hclwrite.Body, typ string, labels []string, fill func(*hclwrite.Body)) {
	b := hclwrite.NewBlock(typ, labels)
	fill(b.Body())
	if labels == nil && len(b.Body().Attributes()) == 0 {
		return
	}
	if len(root.Attributes()) > 0 || len(root.Blocks()) > 0 {
		root.AppendNewline()
	}
	root.AppendBlock(b)
}

func setSettings(b *hclwrite.Body, s map[string]cty.Value) {
	for _, k := range slices.Sorted(maps.Keys(s)) {
		b.SetAttributeValue(k, s[k])
	}
}

func setString(b *hclwrite.Body, name, v string) {
	if v != "" {
		b.SetAttributeValue(name, cty.StringVal(v))
	}
}

func setStrings(b *hclwrite.Body, name string, v []string) {
	if len(v) == 0 {
		return
	}
	vals := make([]cty.Value, len(v))
	for i, s := range v {
		vals[i] = cty.StringVal(s)
	}
	b.SetAttributeValue(name, cty.ListVal(vals))
}

func setBool(b *hclwrite.Body, name string, v bool) {
	if v {
		b.SetAttributeValue(name, cty.True)
	}
}

func setInt(b *hclwrite.Body, name string, v int) {
	if v != 0 {
		b.SetAttributeValue(name, cty.NumberIntVal(int64(v)))
	}
}

func setOptInt(b *hclwrite.Body, name string, v *int) {
	if v != nil {
		b.SetAttributeValue(name, cty.NumberIntVal(int64(*v)))
	}
}

func setRate(b *hclwrite.Body, name string, v *float64) {
	if v != nil {
		b.SetAttributeValue(name, cty.NumberFloatVal(*v))
	}
}

func setDuration(b *hclwrite.Body, name string, v *time.Duration) {
	if v != nil {
		b.SetAttributeValue(name, cty.StringVal(FormatDuration(*v)))
	}
}
