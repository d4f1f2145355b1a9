package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/scanfw/scanfw/core/nmapargs"
	"github.com/scanfw/scanfw/core/packettrace"
	"github.com/scanfw/scanfw/core/pktcount"
	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/core/ports"
	"github.com/scanfw/scanfw/core/portstate"
	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/core/services"
	"github.com/scanfw/scanfw/core/targets"
	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/data"
	"github.com/scanfw/scanfw/sdk"
)

// usageError is bad input found before the scan starts (exit status 2).
// diags, when set, point into the profile file.
type usageError struct {
	msg   string
	diags hcl.Diagnostics
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func scanCommand(args []string, stdout, stderr io.Writer) int {
	inv, err := nmapargs.Parse(args)
	if err != nil {
		return reportUsage(stderr, err)
	}
	ck, inv, err := loadCheckpoint(inv)
	if err != nil {
		return reportUsage(stderr, err)
	}
	if inv.Help {
		io.WriteString(stdout, nmapargs.Usage())
		return exitOK
	}
	if inv.ShowVersion {
		fmt.Fprintf(stdout, "scanfw version %s (plugin protocol v%d)\n", Version, sdk.ProtocolVersion)
		return exitOK
	}
	p := inv.Profile
	if inv.PrintProfile {
		stdout.Write(p.HCL())
		return exitOK
	}
	level := hclog.Warn
	switch {
	case p.Debugging >= 2:
		level = hclog.Trace
	case p.Debugging == 1:
		level = hclog.Debug
	}
	term := newTerminal(inv, stdout, stderr)
	defer term.Close()
	stdout, stderr = term.Stdout(), term.Stderr()
	log := hclog.New(&hclog.LoggerOptions{Name: "scanfw", Output: stderr, Level: level})

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	host := pluginhost.New(log)
	defer host.Close()

	s, err := prepare(ctx, inv, host, log, stdout, stderr)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			if len(ue.diags) > 0 {
				profile.WriteDiagnostics(stderr, ue.diags, profileFiles(inv.ProfilePath))
				return exitUsage
			}
			fmt.Fprintf(stderr, "scanfw: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "scanfw: %v\n", err)
		return exitError
	}
	defer s.close()
	hookTrace(inv, s, stdout)
	if sendsRaw(s.plan) {
		term.ShowPacketCounts(func() string { return pktcount.Now().String() })
	}
	verbosityImplies(p, s)

	go func() {
		select {
		case sig := <-sigs:
			cancel(fmt.Errorf("interrupted by signal %v", sig))
		case err := <-host.Died():
			cancel(err)
		case <-ctx.Done():
		}
	}()

	term.SetScope(scope(s, s.targetExprs))
	s.plan.Watch = term
	go term.Run(ctx)
	var sink scan.Sink = term.Sink(s.fanout)
	if sink, err = trackScan(ctx, inv, ck, s, sink); err != nil {
		fmt.Fprintf(stderr, "scanfw: %v\n", err)
		return exitError
	}
	_, err = scan.Run(ctx, s.plan, sink)
	if err != nil {
		fmt.Fprintf(stderr, "scanfw: scan stopped: %v\n", err)
		return exitError
	}
	return exitOK
}

func reportUsage(stderr io.Writer, err error) int {
	var ue *nmapargs.UsageError
	if errors.As(err, &ue) && len(ue.Diags) > 0 {
		profile.WriteDiagnostics(stderr, ue.Diags, ue.Files)
		return exitUsage
	}
	fmt.Fprintf(stderr, "scanfw: %v\nSee 'scanfw --help' for the options.\n", err)
	return exitUsage
}

type session struct {
	plan    scan.Plan
	fanout  *scan.Fanout
	closers []io.Closer

	targetExprs []targets.Expr // for the progress line's host count
}

func (s *session) close() {
	for _, c := range s.closers {
		c.Close()
	}
}

// prepare turns the invocation into a plan: it loads data, selects ports,
// sets up the target stream, and starts and configures every plugin, so
// that all bad input is reported before a packet leaves.
func prepare(ctx context.Context, inv *nmapargs.Invocation, host *pluginhost.Host, log hclog.Logger, stdout, stderr io.Writer) (*session, error) {
	p := inv.Profile
	if err := refuseUnbuilt(p); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find its own executable: %w", err)
	}
	resolver := &pluginResolver{self: self, profile: p, log: log}

	scans := p.Scans
	portScan := !p.Discovery.PingOnly && !p.Discovery.ListOnly
	if len(scans) == 0 && portScan {
		scans = []profile.PluginUse{{ID: defaultScan(p, stderr)}}
	}
	warmPlugins(ctx, host, resolver, scans, p)
	db, err := loadServices(p, log)
	if err != nil {
		return nil, err
	}
	warmPingPlugins(ctx, host, resolver, p, db)
	var techs []scan.Technique
	var protos []ports.Proto
	for _, use := range scans {
		use = withDataSettings(p, use)
		pl, err := startPlugin(ctx, host, resolver, use, sdk.KindProbe)
		if err != nil {
			return nil, err
		}
		spec, err := pl.Client.Describe(ctx)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: describe: %w", use.ID, err)
		}
		techs = append(techs, scan.Technique{PluginID: use.ID, Spec: spec})
		protos = append(protos, ports.Proto(spec.Proto))
	}

	if len(techs) > 0 {
		list, err := selectPorts(p, protos, db)
		if err != nil {
			return nil, err
		}
		for i := range techs {
			techs[i].Ports = list.Get(ports.Proto(techs[i].Spec.Proto))
		}
	}
	names, err := nameResolver(p, log, stderr)
	if err != nil {
		return nil, err
	}
	pingList, err := pingPorts(p, db)
	if err != nil {
		return nil, err
	}

	next, exprs, err := targetStream(p)
	if err != nil {
		return nil, err
	}

	s := &session{fanout: &scan.Fanout{}, targetExprs: exprs}
	for _, o := range outputUses(p) {
		pl, err := startPlugin(ctx, host, resolver, o.PluginUse, sdk.KindOutput)
		if err != nil {
			s.close()
			return nil, err
		}
		// Resuming continues the files (resume.Continue cuts them back).
		w, err := openDest(o.Path, o.Append || inv.Resume != "", stdout)
		if err != nil {
			s.close()
			return nil, usagef("output %s: %v", o.ID, err)
		}
		if c, ok := w.(io.Closer); ok && w != stdout {
			s.closers = append(s.closers, c)
		}
		s.fanout.Outputs = append(s.fanout.Outputs, scan.OutputSink{ID: o.ID, Impl: pl.Client, Dest: sdk.OutputDest{Path: o.Path, Append: o.Append}, W: w})
	}

	start := sdk.ScanStart{
		Scanner: "scanfw", Version: Version, Args: inv.CommandLine, Start: time.Now(),
		Verbose: p.Verbosity, Debugging: p.Debugging, Reason: p.Reason, OpenOnly: p.OpenOnly,
		ServiceScan: p.Version.Enabled, DataFiles: nmapDataFiles(p, techs),
	}
	for _, t := range techs {
		start.ScanInfo = append(start.ScanInfo, sdk.ScanInfo{Type: t.Spec.ScanType, Protocol: t.Spec.Proto, NumServices: len(t.Ports), Services: ports.Ranges(t.Ports)})
	}
	r := p.Timing.Resolve()
	if p.Debugging >= 1 {
		start.TimingReport = timingReport(r)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "WARNING: %s\n", w)
	}
	ping, err := rawPing(ctx, p, db, timingConfig(r), func(ctx context.Context, id string) (sdk.ProbeSpec, error) {
		pl, err := startPlugin(ctx, host, resolver, profile.PluginUse{ID: id}, sdk.KindProbe)
		if err != nil {
			return sdk.ProbeSpec{}, err
		}
		return pl.Client.Describe(ctx)
	})
	if err != nil {
		return nil, err
	}
	s.plan = scan.Plan{
		RawPing:       ping,
		Start:         start,
		Targets:       next,
		Techniques:    techs,
		Timing:        timingConfig(r),
		SkipDiscovery: p.Discovery.Skip,
		PingOnly:      p.Discovery.PingOnly,
		ListOnly:      p.Discovery.ListOnly,
		PingPorts:     pingList,
		Names:         names,
		NamesAll:      p.DNS.Always,
		Shuffle:       hostShuffler(p),
		Privileged:    privileged(p),
		View:          portstate.View{Verbosity: p.Verbosity, Debugging: p.Debugging, OpenOnly: p.OpenOnly},
		ServiceName: func(pr sdk.Proto, port uint16) string {
			return db.Name(ports.Proto(pr), port)
		},
		Log: log,
	}
	protoNames := protocolNames(nmapDataDir(p))
	s.plan.ServiceName = withProtocolNames(protoNames, s.plan.ServiceName)
	packettrace.SetProtocolNames(protoNames) // --packet-trace names them as the service column does
	s.plan.MaxUDPScanDelay = r.MaxUDPScanDelay
	if p.Timing.MaxHostgroup != nil {
		s.plan.MaxGroup = *p.Timing.MaxHostgroup
	}
	if p.Timing.MinHostgroup != nil {
		s.plan.MinGroup = *p.Timing.MinHostgroup
	}
	if s.plan.Raw, err = rawOptions(p, techs); err != nil {
		s.close()
		return nil, err
	}
	if s.plan.Services, err = servicePhase(ctx, host, resolver, p, r, s.plan.ServiceName, log); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// refuseUnbuilt rejects what a profile or the flags ask for but this build
// cannot do yet. Silently ignoring an option would report a scan that did
// not happen.
func refuseUnbuilt(p *profile.Profile) error {
	d := p.Discovery
	checks := []struct {
		on   bool
		what string
	}{
		// Unprivileged, -PS is a connect() ping, as Nmap's; the other
		// probes need raw sockets here.
		{!privileged(p) && (d.TCPAck != "" || d.UDP != "" || d.ICMPEcho || d.ICMPTimestamp || d.ICMPMask),
			"host discovery probes other than -PS without privileges (-PA/-PU/-PE/-PP/-PM)"},
		{!privileged(p) && (d.SCTPInit != "" || d.IPProto != ""), "SCTP and IP protocol pings (-PY/-PO) without privileges"},
	}
	for _, c := range checks {
		if c.on {
			return usagef("%s is not supported yet by this build", c.what)
		}
	}
	return nil
}

// defaultScan is Nmap's choice: a SYN scan with privileges, a connect scan
// without (or with --unprivileged). It says which one and why, once.
func defaultScan(p *profile.Profile, stderr io.Writer) string {
	switch {
	case privileged(p) && builtin("probe.tcp_syn") != nil:
		fmt.Fprintln(stderr, "scanfw: no scan type given; running as root, so a SYN scan (-sS)")
		return "probe.tcp_syn"
	case privileged(p):
		fmt.Fprintln(stderr, "scanfw: running as root, but this build has no raw SYN scan: using a connect scan (-sT)")
	default:
		fmt.Fprintln(stderr, "scanfw: no scan type given; not privileged, so a connect scan (-sT), which needs no raw sockets")
	}
	return "probe.tcp_connect"
}

// outputUses are the profile's outputs, plus normal output on stdout when
// none writes there (Nmap always prints its report).
func outputUses(p *profile.Profile) []profile.OutputUse {
	outs := p.Outputs
	if !writesStdout(outs) {
		outs = append([]profile.OutputUse{{PluginUse: profile.PluginUse{ID: "output.normal"}, Path: "-"}}, outs...)
	}
	return outs
}

func writesStdout(outs []profile.OutputUse) bool {
	for _, o := range outs {
		if o.Path == "-" {
			return true
		}
	}
	return false
}

func openDest(path string, appendTo bool, stdout io.Writer) (io.Writer, error) {
	if path == "-" || path == "" {
		return stdout, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return os.OpenFile(path, flags, 0o644)
}

func loadServices(p *profile.Profile, log hclog.Logger) (*services.DB, error) {
	src := services.Source{Name: "scanfw-services (built in)", Data: data.Services}
	if dir := nmapDataDir(p); dir != "" {
		path := filepath.Join(dir, "nmap-services")
		if b, err := os.ReadFile(path); err == nil {
			src = services.Source{Name: path, Data: b}
		} else if p.DataDir != "" {
			return nil, usagef("--datadir %s: %v", p.DataDir, err)
		}
	}
	db, err := services.LoadSources(src)
	if err != nil {
		// Bad lines are reported; the good ones still serve.
		log.Warn("services data has bad lines", "error", err)
	}
	if db == nil {
		return nil, err
	}
	return db, nil
}

func selectPorts(p *profile.Profile, protos []ports.Proto, db *services.DB) (ports.List, error) {
	o := ports.Options{Top: p.TopPorts, Fast: p.Fast, Scanned: protos, Catalog: db}
	if p.Ports != "" {
		spec, err := ports.ParseSpec(p.Ports)
		if err != nil {
			return ports.List{}, usagef("-p %s: %v", p.Ports, err)
		}
		o.Ports = spec
	}
	if p.ExcludePorts != "" {
		spec, err := ports.ParseSpec(p.ExcludePorts)
		if err != nil {
			return ports.List{}, usagef("--exclude-ports %s: %v", p.ExcludePorts, err)
		}
		o.Exclude = spec
	}
	list, warns, err := ports.Select(o)
	if err != nil {
		return ports.List{}, usagef("%v", err)
	}
	for _, w := range warns {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	if list.Len() == 0 {
		return list, usagef("no ports to scan")
	}
	if !p.Sequential {
		list = list.Shuffled(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
	}
	return list, nil
}

func targetStream(p *profile.Profile) (func(context.Context) (targets.Target, error), []targets.Expr, error) {
	te, err := targets.ParseList(p.Targets)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	for _, f := range p.TargetFiles {
		more, err := targets.ReadListFile(f, os.Stdin)
		if err != nil {
			return nil, nil, usagef("-iL: %v", err)
		}
		te = append(te, more...)
	}
	var xe []targets.Expr
	for _, x := range p.Exclude {
		more, err := targets.ParseExclude(x)
		if err != nil {
			return nil, nil, usagef("--exclude: %v", err)
		}
		xe = append(xe, more...)
	}
	for _, f := range p.ExcludeFiles {
		more, err := targets.ReadListFile(f, os.Stdin)
		if err != nil {
			return nil, nil, usagef("--excludefile: %v", err)
		}
		xe = append(xe, more...)
	}
	if len(te) == 0 {
		return nil, nil, usagef("no targets were specified; give addresses, networks or names (e.g. 127.0.0.1, 198.18.1.0/24)")
	}
	opt := targets.Options{Family: 4, Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}}
	if p.IPv6 {
		opt.Family = 6
	}
	return targets.NewIterator(te, xe, opt).Next, te, nil
}

func timingConfig(r profile.Resolved) ultrascan.Config {
	return ultrascan.Config{
		TimingLevel:    r.Level,
		InitialRTT:     r.InitialRTTTimeout,
		MinRTT:         r.MinRTTTimeout,
		MaxRTT:         r.MaxRTTTimeout,
		MaxRetries:     r.MaxRetries,
		ScanDelay:      r.ScanDelay,
		MaxScanDelay:   r.MaxTCPScanDelay, // the only technique so far is TCP
		MinRate:        r.MinRate,
		MaxRate:        r.MaxRate,
		MinParallelism: r.MinParallelism,
		MaxParallelism: r.MaxParallelism,
		HostTimeout:    r.HostTimeout,
	}
}

// pluginResolver finds where a plugin ID comes from: a plugin block of the
// profile first (the user named it), then the built-ins, then the plugin
// directories.
type pluginResolver struct {
	self       string
	profile    *profile.Profile
	log        hclog.Logger
	discovered []pluginhost.Source
	scanned    bool
}

func (r *pluginResolver) source(id string) (pluginhost.Source, error) {
	for _, ps := range r.profile.Plugins {
		if ps.ID == id {
			return pluginhost.Source{ID: id, Path: ps.Source, SHA256: ps.SHA256}, nil
		}
	}
	if builtin(id) != nil {
		return builtinSource(r.self, id), nil
	}
	dirs := pluginhost.Dirs(r.profile.PluginDirs)
	if !r.scanned {
		var errs []error
		r.discovered, errs = pluginhost.Discover(dirs)
		for _, e := range errs {
			r.log.Warn("plugin directory", "error", e)
		}
		r.scanned = true
	}
	for _, s := range r.discovered {
		if s.ID == id {
			return s, nil
		}
	}
	return pluginhost.Source{}, usagef("plugin %s is not available: it is not built in, not named in a plugin block, and not in the plugin directories (%s)", id, strings.Join(dirs, ", "))
}

// isBuiltin says whether id resolves to a built-in plugin: one no plugin
// block of the profile overrides.
func (r *pluginResolver) isBuiltin(id string) bool {
	for _, ps := range r.profile.Plugins {
		if ps.ID == id {
			return false
		}
	}
	return builtin(id) != nil
}

// startPlugin starts the plugin for use, checks its kind and settings and
// configures it.
func startPlugin(ctx context.Context, host *pluginhost.Host, r *pluginResolver, use profile.PluginUse, kind sdk.Kind) (*pluginhost.Plugin, error) {
	src, err := r.source(use.ID)
	if err != nil {
		return nil, err
	}
	pl, err := host.Start(ctx, src)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if pl.Info.Kind != kind {
		return nil, usagef("plugin %s is a %s plugin, but is used as a %s", use.ID, pl.Info.Kind, kind)
	}
	fields := make([]profile.Field, 0, len(pl.Info.Config))
	for _, f := range pl.Info.Config {
		fields = append(fields, profile.Field{Name: f.Name, Type: f.Type, Required: f.Required})
	}
	values, diags := profile.DecodeSettings(use, fields)
	if diags.HasErrors() {
		return nil, &usageError{msg: diags.Error(), diags: diags}
	}
	settings, err := settingsJSON(values)
	if err != nil {
		return nil, usagef("plugin %s: settings: %v", use.ID, err)
	}
	pdiags, err := pl.Client.Configure(ctx, settings)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: configure: %w", use.ID, err)
	}
	var msgs []string
	for _, d := range pdiags {
		line := fmt.Sprintf("plugin %s: %s", use.ID, d.Summary)
		if d.Attribute != "" {
			if rng, ok := use.SettingRanges[d.Attribute]; ok {
				line = fmt.Sprintf("%s: %s", rng.String(), line)
			}
		}
		if d.Detail != "" {
			line += ": " + d.Detail
		}
		if d.Severity == "warning" {
			r.log.Warn(line)
			continue
		}
		msgs = append(msgs, line)
	}
	if len(msgs) > 0 {
		return nil, &usageError{msg: strings.Join(msgs, "\n")}
	}
	return pl, nil
}

func settingsJSON(s map[string]cty.Value) (sdk.Settings, error) {
	if len(s) == 0 {
		return nil, nil
	}
	v := cty.ObjectVal(s)
	b, err := ctyjson.Marshal(v, v.Type())
	return sdk.Settings(b), err
}

// profileFiles parses the profile again so diagnostics found after
// loading it (plugin settings checked against the plugin's schema) can be
// printed with their source lines.
func profileFiles(path string) map[string]*hcl.File {
	if path == "" {
		return nil
	}
	p := hclparse.NewParser()
	p.ParseHCLFile(path)
	return p.Files()
}
