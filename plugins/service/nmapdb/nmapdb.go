// Package nmapdb is the service.nmapdb plugin: it reads probe files in
// Nmap's nmap-service-probes format, offers their probes to the core as a
// catalogue, and names the service, product and version behind responses
// the core collected. It does no network I/O.
//
// Files are loaded in order and merged by (protocol, probe name): the first
// file that defines a probe gives its payload and settings, and every
// file's rules for it are appended in file order. By default Nmap's
// installed file is used alone, so that with Nmap installed the answers are
// Nmap's; without it (or with no_nmap_data) the project's own file
// (embedded, passed in Options.Builtin) serves. The files setting can merge
// both.
//
// A response is tested against the probe's own rules in file order, then
// each fallback probe's rules, then (TCP) the NULL probe's rules. The first
// hard match wins; a softmatch (with its templates expanded, as Nmap
// reports them) is kept only if no hard match follows.
package nmapdb

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/scanfw/scanfw/plugins/service/nmapdb/bytere"
	"github.com/scanfw/scanfw/plugins/service/nmapdb/probefile"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "service.nmapdb"

// Version is the plugin's own version.
const Version = "0.1.0"

// BuiltinFile is the name that stands for Options.Builtin in the files
// setting and in rule locations.
const BuiltinFile = "scanfw-service-probes"

// NmapFile is where Debian and most distributions install Nmap's probes.
const NmapFile = "/usr/share/nmap/nmap-service-probes"

// MaxResponse bounds the bytes matched per response. Nmap stops reading at
// 4096 bytes plus one read; a larger response is matched on its head so a
// hostile peer cannot make every regex scan megabytes.
const MaxResponse = 64 << 10

// Defaults of probe settings a file leaves out, from Nmap.
const (
	defaultRarity     = 5
	defaultTotalWait  = 5000 * time.Millisecond
	defaultTCPWrapped = 2000 * time.Millisecond
	defaultMatchMS    = 200
)

// Options are what the binary hands the plugin at construction.
type Options struct {
	// Builtin is the content of the project's own probe file; cmd/scanfw
	// passes data.ServiceProbes (a plugin may not import the data package).
	Builtin []byte
	// NmapFile overrides NmapFile, for tests.
	NmapFile string
}

// Settings of the plugin's profile block.
type Settings struct {
	// Files are probe files to load in order; "scanfw-service-probes"
	// names the embedded file. Empty: Nmap's installed file when present
	// (unless no_nmap_data), else the embedded file.
	Files []string `json:"files"`
	// NoNmapData leaves Nmap's installed file out of the default list.
	NoNmapData bool `json:"no_nmap_data"`
	// MatchTimeoutMS bounds one regex on one response; a regex that runs
	// out counts as no match. Default 200.
	MatchTimeoutMS int `json:"match_timeout_ms"`
}

// Matcher is the plugin.
type Matcher struct {
	opts Options

	mu sync.Mutex
	db *database
}

// New returns the plugin. It loads its files on Configure, or on first use
// with default settings.
func New(opts Options) *Matcher {
	if opts.NmapFile == "" {
		opts.NmapFile = NmapFile
	}
	return &Matcher{opts: opts}
}

func (m *Matcher) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindService,
		Version:     Version,
		Description: "service and version detection from nmap-service-probes files (the project's own, and Nmap's when installed)",
		Config: []sdk.ConfigField{
			{Name: "files", Type: "list(string)", Description: `probe files in order; "` + BuiltinFile + `" is the embedded file (default: Nmap's installed file when present, else the embedded one)`},
			{Name: "no_nmap_data", Type: "bool", Description: "do not load Nmap's installed nmap-service-probes by default", Default: false},
			{Name: "match_timeout_ms", Type: "number", Description: "time limit of one regex on one response, in milliseconds", Default: defaultMatchMS},
		},
	}, nil
}

// Configure loads the files. A file that cannot be read is an error; bad
// lines and regexes that do not compile are warnings naming file:line, and
// only those rules are lost.
func (m *Matcher) Configure(_ context.Context, raw sdk.Settings) ([]sdk.Diagnostic, error) {
	var s Settings
	if err := raw.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s settings: %w", ID, err)
	}
	db, diags, err := m.load(s)
	if err != nil {
		return diags, err
	}
	m.mu.Lock()
	m.db = db
	m.mu.Unlock()
	return diags, nil
}

func (m *Matcher) database() (*database, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.db == nil {
		db, _, err := m.load(Settings{})
		if err != nil {
			return nil, err
		}
		m.db = db
	}
	return m.db, nil
}

func (m *Matcher) load(s Settings) (*database, []sdk.Diagnostic, error) {
	files := s.Files
	if len(files) == 0 {
		// Nmap's file alone when installed: merged with the embedded
		// one, a probe of ours listed for a port would run in Nmap's
		// first pass and could answer before Nmap's own probes do, so
		// the answers would stop being Nmap's. Both together is a
		// files setting away.
		if _, err := os.Stat(m.opts.NmapFile); err == nil && !s.NoNmapData {
			files = append(files, m.opts.NmapFile)
		} else if len(m.opts.Builtin) > 0 {
			files = append(files, BuiltinFile)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%s: no probe files: none configured, no embedded file, %s absent", ID, m.opts.NmapFile)
	}
	timeout := time.Duration(s.MatchTimeoutMS) * time.Millisecond
	if s.MatchTimeoutMS <= 0 {
		timeout = defaultMatchMS * time.Millisecond
	}
	var parsed []*probefile.File
	var diags []sdk.Diagnostic
	for _, name := range files {
		data := m.opts.Builtin
		if name != BuiltinFile {
			var err error
			if data, err = os.ReadFile(name); err != nil {
				return nil, diags, fmt.Errorf("%s: read probe file: %w", ID, err)
			}
		}
		f, errs := probefile.Parse(name, data)
		for _, e := range errs {
			diags = append(diags, warning(e, "files"))
		}
		parsed = append(parsed, f)
	}
	db, errs := build(parsed, timeout)
	for _, e := range errs {
		diags = append(diags, warning(e, "files"))
	}
	return db, diags, nil
}

func warning(err error, attr string) sdk.Diagnostic {
	return sdk.Diagnostic{Severity: "warning", Summary: "probe file line skipped", Detail: err.Error(), Attribute: attr}
}

type probeKey struct {
	proto string
	name  string
}

type probe struct {
	*probefile.Probe
	rules    []*rule
	chain    []*probe // itself, fallbacks, NULL (TCP)
	services []string
}

type rule struct {
	*probefile.Rule
	re *bytere.Regexp
}

type database struct {
	probes  []*probe
	byKey   map[probeKey]*probe
	exclude string
}

// build merges parsed files and compiles every regex, in parallel: about
// 12,000 patterns take a fraction of a second on two cores.
func build(files []*probefile.File, timeout time.Duration) (*database, []error) {
	db := &database{byKey: map[probeKey]*probe{}}
	var excludes []string
	var all []*rule
	var errs []error
	for _, f := range files {
		if f.Exclude != "" {
			excludes = append(excludes, f.Exclude)
		}
		for _, fp := range f.Probes {
			k := probeKey{fp.Proto, fp.Name}
			p := db.byKey[k]
			if p == nil {
				p = &probe{Probe: fp}
				db.byKey[k] = p
				db.probes = append(db.probes, p)
			} else if string(p.Payload) != string(fp.Payload) {
				errs = append(errs, fmt.Errorf("%s:%d: probe %s %s has another payload in %s:%d; keeping the first, adding its rules",
					fp.File, fp.Line, fp.Proto, fp.Name, p.File, p.Line))
			}
			for _, fr := range fp.Rules {
				r := &rule{Rule: fr}
				p.rules = append(p.rules, r)
				all = append(all, r)
			}
		}
	}
	db.exclude = strings.Join(excludes, ",")
	errs = append(errs, compileAll(all, timeout)...)
	for _, p := range db.probes {
		kept := p.rules[:0]
		seen := map[string]bool{}
		for _, r := range p.rules {
			if r.re == nil {
				continue
			}
			kept = append(kept, r)
			if !seen[r.Service] {
				seen[r.Service] = true
				p.services = append(p.services, r.Service)
			}
		}
		p.rules = kept
	}
	for _, p := range db.probes {
		p.chain = db.chain(p)
	}
	return db, errs
}

func compileAll(rules []*rule, timeout time.Duration) []error {
	errs := make([]error, len(rules))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(rules); i += workers {
				r := rules[i]
				re, err := bytere.Compile(r.Pattern, r.CaseInsensitive, r.DotAll, timeout)
				if err != nil {
					errs[i] = fmt.Errorf("%s:%d: regex: %w", r.File, r.Line, err)
					continue
				}
				r.re = re
			}
		}()
	}
	wg.Wait()
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// chain is the order of probes whose rules a response to p is tested
// against: p, its fallbacks (same protocol first, then any), NULL for TCP.
func (db *database) chain(p *probe) []*probe {
	chain := []*probe{p}
	add := func(q *probe) {
		for _, c := range chain {
			if c == q {
				return
			}
		}
		chain = append(chain, q)
	}
	for _, name := range p.Fallback {
		if q := db.byKey[probeKey{p.Proto, name}]; q != nil {
			add(q)
			continue
		}
		for _, q := range db.probes {
			if q.Name == name {
				add(q)
				break
			}
		}
	}
	if p.Proto == "TCP" {
		if q := db.byKey[probeKey{"TCP", "NULL"}]; q != nil {
			add(q)
		}
	}
	return chain
}

// Catalogue lists every probe with the data the core needs to select them.
func (m *Matcher) Catalogue(context.Context) (sdk.ServiceCatalogue, error) {
	db, err := m.database()
	if err != nil {
		return sdk.ServiceCatalogue{}, err
	}
	cat := sdk.ServiceCatalogue{ExcludedPorts: db.exclude}
	for _, p := range db.probes {
		sp := sdk.ServiceProbe{
			Name:       p.Name,
			Proto:      protoOf(p.Proto),
			Payload:    p.Payload,
			Ports:      p.Ports,
			SSLPorts:   p.SSLPorts,
			Rarity:     p.Rarity,
			TotalWait:  time.Duration(p.TotalWaitMS) * time.Millisecond,
			TCPWrapped: time.Duration(p.TCPWrappedMS) * time.Millisecond,
			Fallback:   p.Fallback,
			NoPayload:  p.NoPayload,
			Services:   p.services,
		}
		if sp.Rarity == 0 {
			sp.Rarity = defaultRarity
		}
		if sp.TotalWait == 0 {
			sp.TotalWait = defaultTotalWait
		}
		if sp.TCPWrapped == 0 {
			sp.TCPWrapped = defaultTCPWrapped
		}
		cat.Probes = append(cat.Probes, sp)
	}
	return cat, nil
}

func protoOf(s string) sdk.Proto {
	if s == "UDP" {
		return sdk.ProtoUDP
	}
	return sdk.ProtoTCP
}

func protoName(p sdk.Proto) string {
	if p == sdk.ProtoUDP {
		return "UDP"
	}
	return "TCP"
}

// Match answers each item, in parallel across items. An item naming an
// unknown probe gets an empty result (no match).
func (m *Matcher) Match(ctx context.Context, items []sdk.MatchItem) ([]sdk.MatchResult, error) {
	db, err := m.database()
	if err != nil {
		return nil, err
	}
	results := make([]sdk.MatchResult, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = db.match(ctx, items[i])
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

func (db *database) match(ctx context.Context, it sdk.MatchItem) sdk.MatchResult {
	res := sdk.MatchResult{ID: it.ID}
	p := db.byKey[probeKey{protoName(it.Proto), it.Probe}]
	if p == nil || len(it.Response) == 0 {
		return res
	}
	resp := it.Response
	if len(resp) > MaxResponse {
		resp = resp[:MaxResponse]
	}
	subj := bytere.NewSubject(resp)
	var soft *rule
	var softSvc sdk.Service
	for _, q := range p.chain {
		for _, r := range q.rules {
			if ctx.Err() != nil {
				return res
			}
			if soft != nil && r.Soft {
				continue // a second softmatch changes nothing
			}
			spans, err := r.re.Match(subj)
			if err != nil || spans == nil {
				continue // a timeout is no match, as PCRE's match limit is in Nmap
			}
			if r.Soft {
				// Nmap reports a softmatch's templates too (PostgreSQL's
				// "9.6.0 or later" comes from one), so expand them now.
				soft, softSvc = r, service(r, subj, spans, it.Tunnel)
				continue
			}
			res.Hard = true
			res.Service = service(r, subj, spans, it.Tunnel)
			res.Rule = fmt.Sprintf("%s:%d", r.File, r.Line)
			return res
		}
	}
	if soft != nil {
		res.Soft = true
		res.Service = softSvc
		res.Rule = fmt.Sprintf("%s:%d", soft.File, soft.Line)
	}
	return res
}

// service builds the result of a rule. A template whose substitution fails
// leaves its field blank, as in Nmap.
func service(r *rule, subj bytere.Subject, spans []bytere.Span, tunnel string) sdk.Service {
	s := sdk.Service{Name: r.Service, Tunnel: tunnel, Method: "probed", Conf: 10}
	if name, ok := strings.CutPrefix(s.Name, "ssl/"); ok {
		s.Name, s.Tunnel = name, "ssl"
	}
	field := func(tmpl string, size int) string {
		if tmpl == "" {
			return ""
		}
		v, err := expand(tmpl, subj, spans, false)
		if err != nil {
			return ""
		}
		return clean(v, size)
	}
	s.Product = field(r.Product, maxProduct)
	s.Version = field(r.Version, maxProduct)
	s.ExtraInfo = field(r.Info, maxInfo)
	s.Hostname = field(r.Hostname, maxProduct)
	s.OSType = field(r.OSType, maxOSType)
	s.DeviceType = field(r.DeviceType, maxOSType)
	// One CPE per part (a, h, o), a later one of the same part replacing
	// the earlier, printed in that order as Nmap does.
	var parts [3]string
	for _, tmpl := range r.CPE {
		v, err := expand(tmpl, subj, spans, true)
		if err != nil {
			continue
		}
		if v = clean("cpe:/"+v, maxProduct); v != "" {
			parts[strings.IndexByte("aho", tmpl[0])] = v
		}
	}
	for _, v := range parts {
		if v != "" {
			s.CPE = append(s.CPE, v)
		}
	}
	return s
}

var _ sdk.ServiceMatcher = (*Matcher)(nil)
