// Package xml is the output plugin "output.xml": Nmap's XML format (-oX),
// xmloutputversion 1.05, valid against Nmap's nmap.dtd.
//
// The document is written in three parts as the scan goes (prolog,
// <nmaprun>, <scaninfo>, <verbose>, <debugging> at Start; one <host> per
// Host; <runstats> and </nmaprun> at End), with Nmap's own line breaks, so a
// file cut short by an interrupted scan still holds every finished host and
// tools that stream Nmap XML read ours the same way.
//
// Compatibility choices:
//   - The root is <nmaprun scanner="nmap" ...>. Nmap's DTD allows no other
//     value, and parsers use the attribute to tell Nmap's full format from
//     masscan's reduced one ("masscan"); ours is the full format. The
//     scanner names itself in the comment before the root, in version and in
//     the runstats summary.
//   - The stylesheet processing instruction points at
//     file:///usr/share/nmap/nmap.xsl, where distributions install Nmap's
//     stylesheet; settings change or drop it.
//   - Strings from the network (service banners, hostnames) are escaped for
//     attributes, and bytes XML 1.0 cannot hold at all (control characters,
//     invalid UTF-8) are written as the text \xNN, so the file stays
//     well-formed whatever a target sends.
package xml

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaptext"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "output.xml"

// Version is the plugin's version.
const Version = "0.1.0"

// DefaultStylesheet is the href of the stylesheet processing instruction.
const DefaultStylesheet = "file:///usr/share/nmap/nmap.xsl"

// OutputVersion is the Nmap XML output version this plugin writes.
const OutputVersion = "1.05"

// Settings configures the plugin.
type Settings struct {
	// Stylesheet is the href of the <?xml-stylesheet?> instruction; Nmap's
	// --stylesheet. "https://nmap.org/svn/docs/nmap.xsl" is --webxml.
	Stylesheet string `json:"stylesheet"`
	// NoStylesheet leaves the instruction out; Nmap's --no-stylesheet.
	NoStylesheet bool `json:"no_stylesheet"`
}

// Writer renders a scan as Nmap XML. Use New.
type Writer struct {
	mu       sync.Mutex
	settings Settings
	scan     sdk.ScanStart
}

// New returns the XML output plugin with the default stylesheet.
func New() sdk.Output { return &Writer{settings: Settings{Stylesheet: DefaultStylesheet}} }

// Info describes the plugin and its settings.
func (w *Writer) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindOutput,
		Version:     Version,
		Description: "Nmap-compatible XML output (-oX), xmloutputversion " + OutputVersion + ", valid against nmap.dtd",
		Config: []sdk.ConfigField{
			{Name: "stylesheet", Type: "string", Description: "href of the xml-stylesheet processing instruction (Nmap's --stylesheet)", Default: DefaultStylesheet},
			{Name: "no_stylesheet", Type: "bool", Description: "leave the xml-stylesheet processing instruction out (Nmap's --no-stylesheet)", Default: false},
		},
	}, nil
}

// Configure reads the settings. An href that would end the processing
// instruction early is refused.
func (w *Writer) Configure(_ context.Context, raw sdk.Settings) ([]sdk.Diagnostic, error) {
	s := Settings{Stylesheet: DefaultStylesheet}
	if err := raw.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode %s settings: %w", ID, err)
	}
	if strings.Contains(s.Stylesheet, "?>") {
		return []sdk.Diagnostic{{Severity: "error", Summary: "invalid stylesheet", Detail: "the href may not contain \"?>\"", Attribute: "stylesheet"}}, nil
	}
	if s.Stylesheet == "" {
		s.NoStylesheet = true
	}
	w.mu.Lock()
	w.settings = s
	w.mu.Unlock()
	return nil, nil
}

// Start writes the prolog and the opening of <nmaprun>.
func (w *Writer) Start(_ context.Context, _ sdk.OutputDest, scan sdk.ScanStart) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scan = scan
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n")
	if !w.settings.NoStylesheet {
		fmt.Fprintf(&b, "<?xml-stylesheet href=\"%s\" type=\"text/xsl\"?>\n", attr(w.settings.Stylesheet))
	}
	fmt.Fprintf(&b, "<!-- %s %s scan initiated %s as: %s -->\n",
		comment(nmaptext.Scanner(scan)), comment(scan.Version), nmaptext.Ctime(scan.Start), comment(scan.Args))
	fmt.Fprintf(&b, "<nmaprun scanner=\"nmap\" args=\"%s\" start=\"%d\" startstr=\"%s\" version=\"%s\" xmloutputversion=\"%s\">\n",
		dashes(attr(scan.Args)), scan.Start.Unix(), nmaptext.Ctime(scan.Start), attr(scan.Version), OutputVersion)
	for _, si := range scan.ScanInfo {
		fmt.Fprintf(&b, "<scaninfo type=\"%s\" protocol=\"%s\" numservices=\"%d\" services=\"%s\"/>\n",
			attr(si.Type), si.Protocol, si.NumServices, attr(si.Services))
	}
	fmt.Fprintf(&b, "<verbose level=\"%d\"/>\n<debugging level=\"%d\"/>\n", scan.Verbose, scan.Debugging)
	return []byte(b.String()), nil
}

// Host writes one <host> element, or nothing for a host Nmap would not show.
func (w *Writer) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !nmaptext.HostShown(w.scan, h) {
		return nil, nil
	}
	var b strings.Builder
	up := h.Status.State == "up"
	b.WriteString("<host")
	if up && !h.Start.IsZero() {
		fmt.Fprintf(&b, " starttime=\"%d\" endtime=\"%d\"", h.Start.Unix(), h.End.Unix())
	}
	if h.TimedOut {
		b.WriteString(" timedout=\"true\"")
	}
	state := h.Status.State
	if state == "" {
		state = "unknown"
	}
	fmt.Fprintf(&b, "><status state=\"%s\" reason=\"%s\" reason_ttl=\"%d\"/>\n", attr(state), attr(h.Status.Reason), h.Status.ReasonTTL)
	addrType := "ipv4"
	if h.Addr.Is6() && !h.Addr.Is4In6() {
		addrType = "ipv6"
	}
	fmt.Fprintf(&b, "<address addr=\"%s\" addrtype=\"%s\"/>\n", h.Addr, addrType)
	if h.MAC != "" {
		fmt.Fprintf(&b, "<address addr=\"%s\" addrtype=\"mac\"", attr(h.MAC))
		if h.MACVendor != "" {
			fmt.Fprintf(&b, " vendor=\"%s\"", attr(h.MACVendor))
		}
		b.WriteString("/>\n")
	}
	// Nmap always writes the hostnames of a host that is up, and those of
	// another host (down, or listed by -sL) only when it has some.
	if up || len(h.Hostnames) > 0 {
		b.WriteString("<hostnames>\n")
		for _, n := range h.Hostnames {
			typ := n.Type
			if typ != "user" && typ != "PTR" {
				typ = "PTR"
			}
			fmt.Fprintf(&b, "<hostname name=\"%s\" type=\"%s\"/>\n", attr(n.Name), typ)
		}
		b.WriteString("</hostnames>\n")
	}
	if !up {
		b.WriteString("</host>\n")
		return []byte(b.String()), nil
	}
	if len(w.scan.ScanInfo) > 0 {
		ports(&b, h)
	}
	if h.SRTT != 0 || h.RTTVar != 0 || h.Timeout != 0 {
		fmt.Fprintf(&b, "<times srtt=\"%d\" rttvar=\"%d\" to=\"%d\"/>\n", h.SRTT.Microseconds(), h.RTTVar.Microseconds(), h.Timeout.Microseconds())
	}
	b.WriteString("</host>\n")
	return []byte(b.String()), nil
}

// extraProto is the proto attribute of <extrareasons>: Nmap 7.93 names
// the IP protocol scan's "n/a" there (its port-to-protocol table has no
// name for IPPROTO_IP), though <port> and <scaninfo> say "ip".
func extraProto(p sdk.Proto) string {
	if p == sdk.ProtoIP {
		return "n/a"
	}
	return p.String()
}

func ports(b *strings.Builder, h sdk.Host) {
	b.WriteString("<ports>")
	for _, e := range h.ExtraPorts {
		fmt.Fprintf(b, "<extraports state=\"%s\" count=\"%d\">\n", e.State, e.Count)
		for _, r := range e.Reasons {
			fmt.Fprintf(b, "<extrareasons reason=\"%s\" count=\"%d\" proto=\"%s\" ports=\"%s\"/>\n", attr(r.Reason), r.Count, extraProto(r.Proto), attr(r.Ports))
		}
		b.WriteString("</extraports>\n")
	}
	for _, p := range h.Ports {
		fmt.Fprintf(b, "<port protocol=\"%s\" portid=\"%d\"><state state=\"%s\" reason=\"%s\" reason_ttl=\"%d\"/>", p.Proto, p.Number, p.State, attr(p.Reason), p.ReasonTTL)
		service(b, p.Service)
		b.WriteString("</port>\n")
	}
	b.WriteString("</ports>\n")
}

// service writes <service> with Nmap's attribute order. Values the DTD
// enumerates (method, conf, tunnel) are kept inside their sets.
func service(b *strings.Builder, s *sdk.Service) {
	if s == nil || s.Name == "" && s.Product == "" {
		return
	}
	name := s.Name
	if name == "" {
		name = "unknown"
	}
	fmt.Fprintf(b, "<service name=\"%s\"", attr(name))
	for _, a := range []struct{ k, v string }{
		{"product", s.Product}, {"version", s.Version}, {"extrainfo", s.ExtraInfo},
	} {
		if a.v != "" {
			fmt.Fprintf(b, " %s=\"%s\"", a.k, attr(a.v))
		}
	}
	if s.Tunnel == "ssl" {
		b.WriteString(" tunnel=\"ssl\"")
	}
	for _, a := range []struct{ k, v string }{
		{"hostname", s.Hostname}, {"ostype", s.OSType}, {"devicetype", s.DeviceType}, {"servicefp", strings.ReplaceAll(s.Fingerprint, "\nSF:", "")},
	} {
		if a.v != "" {
			fmt.Fprintf(b, " %s=\"%s\"", a.k, attr(a.v))
		}
	}
	// The fingerprint arrives wrapped for the normal output; Nmap's XML
	// holds it on one line.
	method := "table"
	if s.Method == "probed" {
		method = "probed"
	}
	fmt.Fprintf(b, " method=\"%s\" conf=\"%d\"", method, min(max(s.Conf, 0), 10))
	if len(s.CPE) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for _, c := range s.CPE {
		fmt.Fprintf(b, "<cpe>%s</cpe>", attr(c))
	}
	b.WriteString("</service>")
}

// End writes <runstats> and closes the document.
func (w *Writer) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	exit := "success"
	if e.Exit == "error" {
		exit = "error"
	}
	ctime := nmaptext.Ctime(e.End)
	summary := fmt.Sprintf("%s done at %s; %s", nmaptext.Scanner(w.scan), ctime, nmaptext.DoneSummary(e))
	var b strings.Builder
	fmt.Fprintf(&b, "<runstats><finished time=\"%d\" timestr=\"%s\" summary=\"%s\" elapsed=\"%s\" exit=\"%s\"",
		e.End.Unix(), ctime, attr(summary), elapsed(e.Elapsed), exit)
	if exit == "error" {
		fmt.Fprintf(&b, " errormsg=\"%s\"", attr(e.ErrorMsg))
	}
	fmt.Fprintf(&b, "/><hosts up=\"%d\" down=\"%d\" total=\"%d\"/>\n</runstats>\n</nmaprun>\n", e.HostsUp, e.HostsDown, e.HostsTotal)
	return []byte(b.String()), nil
}

func elapsed(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) }

// attr escapes s for an attribute value or text. Tabs and line breaks
// become character references so attribute normalisation keeps them;
// characters XML 1.0 cannot carry even as references become \xNN.
func attr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\x%02X", s[i])
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\t':
			b.WriteString("&#x9;")
		case r == '\n':
			b.WriteString("&#xa;")
		case r == '\r':
			b.WriteString("&#xd;")
		case !xmlChar(r):
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, "\\x%02X", c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// xmlChar reports whether r is allowed in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// dashes breaks up "--", as Nmap does in its comment and args, so the text
// can sit inside an XML comment ("-&#45;").
func dashes(s string) string { return strings.ReplaceAll(s, "--", "-&#45;") }

// comment makes s safe inside "<!-- s -->": escaped like an attribute (as
// Nmap does) and without "--". The space before "-->" keeps a trailing "-"
// legal.
func comment(s string) string { return dashes(attr(s)) }

var _ sdk.Output = (*Writer)(nil)
