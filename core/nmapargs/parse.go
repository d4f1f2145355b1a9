// Package nmapargs turns an Nmap-style command line into a scan profile.
//
// Flags are a short way to write a profile: Parse loads the --profile file
// if one is named, then applies every flag onto it in order, so a flag
// overrides the value it names and leaves the rest of the profile alone.
// In detail:
//
//   - scalar values (ports, -T, --max-retries, -e ...) replace the profile's;
//   - timing overrides stay overrides: "-T4" on top of a profile that sets
//     max_retries keeps that max_retries, as Nmap applies explicit timing
//     options after the template whatever their order;
//   - targets, --exclude, -iL and --excludefile given as flags replace the
//     profile's list of the same kind;
//   - -s scan types given as flags replace the profile's probe list, keeping
//     the settings of a probe block with the same ID;
//   - -o outputs replace the profile's output of the same ID (its settings
//     kept) or are added; --append-output applies to every output;
//   - -v and -d add to the profile's level, -v<n> and -d<n> set it;
//   - --plugin-dir and --plugin add to the profile's.
package nmapargs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/scanfw/scanfw/core/profile"
)

// Invocation is what the command line asks for.
type Invocation struct {
	// Profile is the scan: the --profile file with the flags applied.
	Profile *profile.Profile
	// ProfilePath is the --profile argument, "" if none.
	ProfilePath string

	PrintProfile bool // --print-profile: print Profile.HCL() and exit
	Help         bool // -h, --help, or no arguments at all
	ShowVersion  bool // -V, --version

	// StatsEvery is --stats-every: how often to print a progress line (0:
	// never). It changes what the terminal shows, not the scan, so it is not
	// part of the profile.
	StatsEvery time.Duration
	// PacketTrace is --packet-trace: print every probe sent and packet
	// received. Like StatsEvery it is what the terminal shows, not the scan.
	PacketTrace bool

	// Resume is --resume: the checkpoint (or an output file beside which it
	// lies) of an interrupted scan to continue.
	Resume string

	// Args are the arguments as given (without the program name) and
	// CommandLine is them joined after "scanfw", as Nmap records its command
	// line in XML "args" and the normal output header.
	Args        []string
	CommandLine string
}

// UsageError is a command line that cannot be run. The caller prints it and
// exits with status 2. When the --profile file is at fault, Diags holds the
// diagnostics and Files the sources for profile.WriteDiagnostics.
type UsageError struct {
	Msg   string
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *UsageError) Error() string { return e.Msg }

// item is one option occurrence found by the first pass.
type item struct {
	opt  *option
	name string // as the user wrote it, for messages
	val  string
}

// state is what applying the items builds up.
type state struct {
	p   *profile.Profile
	inv *Invocation

	scans                      []string
	outputs                    []profile.OutputUse
	targetFiles                []string
	exclude, excludeFiles      []string
	appendOutput               bool
	portsFlag, fastFlag        bool
	pingOnlyFlag, listOnlyFlag bool
	pingSeen                   map[byte]bool
	probe                      probeFlags
}

func (st *state) addScan(id string) {
	if !slices.Contains(st.scans, id) {
		st.scans = append(st.scans, id)
	}
}

// output records an -o option; a later one for the same format wins, as in
// Nmap.
func (st *state) output(id, path string) {
	for i := range st.outputs {
		if st.outputs[i].ID == id {
			st.outputs[i].Path = path
			return
		}
	}
	st.outputs = append(st.outputs, profile.OutputUse{PluginUse: profile.PluginUse{ID: id}, Path: path})
}

// Parse reads a command line (without the program name). Any error is a
// *UsageError.
func Parse(args []string) (*Invocation, error) {
	inv := &Invocation{
		Args:        slices.Clone(args),
		CommandLine: strings.Join(append([]string{"scanfw"}, args...), " "),
		Help:        len(args) == 0,
	}
	items, targets, err := tokenize(args)
	if err != nil {
		return nil, err
	}

	p := &profile.Profile{}
	for _, it := range items {
		if it.opt.long != nil && it.opt.long[0] == "profile" {
			if inv.ProfilePath != "" {
				return nil, usagef("option --profile may be given only once")
			}
			inv.ProfilePath = it.val
		}
	}
	if inv.ProfilePath != "" {
		l := profile.NewLoader()
		loaded, diags := l.Load(inv.ProfilePath)
		if diags.HasErrors() {
			return nil, &UsageError{Msg: fmt.Sprintf("invalid profile %s: %s", inv.ProfilePath, firstError(diags)), Diags: diags, Files: l.Files()}
		}
		p = loaded
	}

	st := &state{p: p, inv: inv, pingSeen: map[byte]bool{}}
	for _, it := range items {
		if err := it.opt.apply(st, it.name, it.val); err != nil {
			return nil, err
		}
	}
	if err := st.finish(targets); err != nil {
		return nil, err
	}
	inv.Profile = p
	return inv, nil
}

// finish merges what only makes sense once every flag has been seen.
func (st *state) finish(targets []string) error {
	p := st.p
	if st.portsFlag && st.fastFlag {
		return usagef("-F (fast scan) and -p (explicit ports) cannot be used together; see --top-ports to scan the most frequent ports of a range")
	}
	var tcp, sctp []string
	for _, id := range st.scans {
		if tcpScan[id] {
			tcp = append(tcp, flagOf(id))
		}
		if sctpScan[id] {
			sctp = append(sctp, flagOf(id))
		}
	}
	if len(tcp) > 1 {
		return usagef("only one TCP scan type may be given, got %s", strings.Join(tcp, " and "))
	}
	if len(sctp) > 1 {
		return usagef("only one SCTP scan type may be given, got %s", strings.Join(sctp, " and "))
	}
	if len(st.scans) > 0 && (st.pingOnlyFlag || st.listOnlyFlag) {
		return usagef("-sn and -sL skip the port scan, so they cannot be combined with %s", flagOf(st.scans[0]))
	}

	if len(st.scans) > 0 {
		scans := make([]profile.PluginUse, 0, len(st.scans))
		for _, id := range st.scans {
			if prev := p.Find(id); prev != nil {
				scans = append(scans, *prev)
			} else {
				scans = append(scans, profile.PluginUse{ID: id})
			}
		}
		p.Scans = scans
		p.Discovery.PingOnly, p.Discovery.ListOnly = false, false
	} else if st.pingOnlyFlag || st.listOnlyFlag {
		p.Scans = nil
	}
	if err := st.probe.apply(p, !p.Discovery.PingOnly && !p.Discovery.ListOnly); err != nil {
		return err
	}

	for _, o := range st.outputs {
		if prev := p.Output(o.ID); prev != nil {
			prev.Path = o.Path
		} else {
			p.Outputs = append(p.Outputs, o)
		}
	}
	if st.appendOutput {
		for i := range p.Outputs {
			p.Outputs[i].Append = true
		}
	}
	stdout := 0
	for _, o := range p.Outputs {
		if o.Path == "-" {
			stdout++
		}
	}
	if stdout > 1 {
		return usagef("only one output may go to stdout (-)")
	}

	if len(targets) > 0 {
		p.Targets = targets
	}
	if len(st.targetFiles) > 0 {
		p.TargetFiles = st.targetFiles
	}
	if len(st.exclude) > 0 {
		p.Exclude = st.exclude
	}
	if len(st.excludeFiles) > 0 {
		p.ExcludeFiles = st.excludeFiles
	}
	if diags := p.Validate(); diags.HasErrors() {
		return usagef("%s", firstError(diags))
	}
	return nil
}

func flagOf(id string) string {
	for c, pid := range probeForScanLetter {
		if pid == id {
			return "-s" + string(c)
		}
	}
	return id
}

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Subject != nil {
				return fmt.Sprintf("%s:%d,%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
			}
			return fmt.Sprintf("%s: %s", d.Summary, d.Detail)
		}
	}
	return diags.Error()
}

// tokenize is the syntax-only first pass: it finds every option and its
// argument, and the targets, without applying anything. That lets --profile
// be loaded first wherever it appears.
func tokenize(args []string) ([]item, []string, error) {
	var items []item
	var targets []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return items, append(targets, args[i+1:]...), nil
		case len(a) < 2 || a[0] != '-':
			targets = append(targets, a)
			continue
		}
		next := func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", usagef("option %s needs an argument", name)
			}
			i++
			return args[i], nil
		}

		if long, dashes, val, hasVal := splitLong(a); long != "" {
			opt, err := findLong(long, dashes)
			if err != nil {
				return nil, nil, err
			}
			if opt != nil {
				name := dashes + long
				if opt.later {
					return nil, nil, usagef("option %s is not supported yet", name)
				}
				switch {
				case opt.arg == noArg && hasVal:
					return nil, nil, usagef("option %s takes no argument", name)
				case opt.arg == requiredArg && !hasVal:
					v, err := next(name)
					if err != nil {
						return nil, nil, err
					}
					val = v
				}
				items = append(items, item{opt: opt, name: name, val: val})
				continue
			}
		}

		// Short options, possibly clustered (-nF) or with an attached value.
		rest := a[1:]
		for rest != "" {
			c := rest[0]
			name := "-" + string(c)
			opt := findShort(c)
			if opt == nil {
				return nil, nil, unknown(a)
			}
			if opt.later {
				return nil, nil, usagef("option %s is not supported yet", name)
			}
			val := rest[1:]
			switch opt.arg {
			case noArg:
				rest = rest[1:]
				val = ""
			case optionalArg:
				rest = ""
			case requiredArg:
				rest = ""
				if val == "" {
					v, err := next(name)
					if err != nil {
						return nil, nil, err
					}
					val = v
				}
			}
			items = append(items, item{opt: opt, name: name, val: val})
		}
	}
	return items, targets, nil
}

// splitLong returns the name of a possible long option: "--name[=v]"
// always, "-name" when name is longer than one letter.
func splitLong(a string) (name, dashes, val string, hasVal bool) {
	dashes = "-"
	body := a[1:]
	if strings.HasPrefix(a, "--") {
		dashes, body = "--", a[2:]
	}
	name, val, hasVal = strings.Cut(body, "=")
	if dashes == "-" && (len(name) < 2 || hasVal) {
		return "", "", "", false
	}
	return name, dashes, val, hasVal
}

// findLong matches a long name exactly, or (after "--") as the unique
// prefix of one. nil without error means "try it as short options".
func findLong(name, dashes string) (*option, error) {
	var prefixed []*option
	var names []string
	for _, o := range options {
		for _, l := range o.long {
			if l == name {
				return o, nil
			}
			if dashes == "--" && strings.HasPrefix(l, name) {
				prefixed = append(prefixed, o)
				names = append(names, "--"+l)
			}
		}
	}
	if dashes == "-" {
		return nil, nil
	}
	switch len(prefixed) {
	case 0:
		return nil, unknown(dashes + name)
	case 1:
		return prefixed[0], nil
	}
	return nil, usagef("option --%s is ambiguous: %s", name, strings.Join(names, ", "))
}

func findShort(c byte) *option {
	for _, o := range options {
		if o.short == c {
			return o
		}
	}
	return nil
}

// unknown builds "unknown option" with the closest known spelling.
func unknown(a string) error {
	var known []string
	for _, o := range options {
		if o.later {
			continue
		}
		for _, l := range o.long {
			known = append(known, "--"+l)
			if len(l) == 2 {
				known = append(known, "-"+l)
			}
		}
	}
	if s := profile.Suggest(a, known); s != "" && len(a) > 3 {
		return usagef("unknown option %s (did you mean %s?)", a, s)
	}
	return usagef("unknown option %s", a)
}

// IsUsage reports whether err is a *UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
