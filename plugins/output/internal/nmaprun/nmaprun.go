// Package nmaprun runs the installed Nmap against loopback listeners that a
// test opens itself and turns Nmap's XML into the sdk types, so the output
// plugins can be checked line for line against real Nmap output of the same
// scan. It is test support: only _test.go files import it.
package nmaprun

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// Result is one Nmap run: its three files, its standard output and the scan
// rebuilt from its XML.
type Result struct {
	Normal, XML, Grepable, Stdout []byte
	Start                         sdk.ScanStart
	Hosts                         []sdk.Host
	End                           sdk.ScanEnd
}

// Require skips the test when Nmap is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap not installed")
	}
}

// Listen opens n TCP listeners on addr ("127.0.0.1" or "::1") at ports the
// kernel picks and closes them when the test ends.
func Listen(t testing.TB, addr string, n int) []uint16 {
	t.Helper()
	var ports []uint16
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		t.Cleanup(func() { l.Close() })
		ports = append(ports, uint16(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// ListenBanner opens n TCP listeners on addr like Listen; each sends
// banner(port) to every client and then holds the connection open until
// the client leaves or the test ends, as a service that speaks first does.
func ListenBanner(t testing.TB, addr string, n int, banner func(port uint16) []byte) []uint16 {
	t.Helper()
	var ports []uint16
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		t.Cleanup(func() { l.Close() })
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		msg := banner(port)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(30 * time.Second))
					if _, err := c.Write(msg); err != nil {
						return
					}
					buf := make([]byte, 4096)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
		ports = append(ports, port)
	}
	return ports
}

// ClosedPort returns a port on addr that had a listener a moment ago and has
// none now, so a connect is refused.
func ClosedPort(t testing.TB, addr string) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return p
}

// PortList joins ports into an Nmap -p argument.
func PortList(ports ...uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}

// Run runs nmap with args plus -oN/-oX/-oG into a temporary directory. The
// caller must only pass loopback targets.
func Run(t testing.TB, args ...string) Result {
	t.Helper()
	dir := t.TempDir()
	n, x, g := filepath.Join(dir, "n"), filepath.Join(dir, "x"), filepath.Join(dir, "g")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := append(append([]string{}, args...), "-oN", n, "-oX", x, "-oG", g)
	cmd := exec.CommandContext(ctx, "nmap", all...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %s: %v\n%s", strings.Join(all, " "), err, stderr.String())
	}
	var r Result
	r.Stdout = stdout.Bytes()
	for _, f := range []struct {
		path string
		dst  *[]byte
	}{{n, &r.Normal}, {x, &r.XML}, {g, &r.Grepable}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("read nmap output: %v", err)
		}
		*f.dst = b
	}
	var err error
	r.Start, r.Hosts, r.End, err = Parse(r.XML)
	if err != nil {
		t.Fatalf("parse nmap XML: %v\n%s", err, r.XML)
	}
	return r
}

type xNmaprun struct {
	Scanner  string `xml:"scanner,attr"`
	Args     string `xml:"args,attr"`
	Start    int64  `xml:"start,attr"`
	Version  string `xml:"version,attr"`
	ScanInfo []struct {
		Type        string `xml:"type,attr"`
		Protocol    string `xml:"protocol,attr"`
		NumServices int    `xml:"numservices,attr"`
		Services    string `xml:"services,attr"`
	} `xml:"scaninfo"`
	Verbose   xLevel  `xml:"verbose"`
	Debugging xLevel  `xml:"debugging"`
	Hosts     []xHost `xml:"host"`
	Finished  struct {
		Time     int64   `xml:"time,attr"`
		Elapsed  float64 `xml:"elapsed,attr"`
		Exit     string  `xml:"exit,attr"`
		ErrorMsg string  `xml:"errormsg,attr"`
	} `xml:"runstats>finished"`
	Counts struct {
		Up    int `xml:"up,attr"`
		Down  int `xml:"down,attr"`
		Total int `xml:"total,attr"`
	} `xml:"runstats>hosts"`
}

type xLevel struct {
	Level int `xml:"level,attr"`
}

type xHost struct {
	StartTime int64  `xml:"starttime,attr"`
	EndTime   int64  `xml:"endtime,attr"`
	TimedOut  string `xml:"timedout,attr"`
	Status    struct {
		State     string `xml:"state,attr"`
		Reason    string `xml:"reason,attr"`
		ReasonTTL int    `xml:"reason_ttl,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr     string `xml:"addr,attr"`
		AddrType string `xml:"addrtype,attr"`
		Vendor   string `xml:"vendor,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"hostnames>hostname"`
	Extra []struct {
		State   string `xml:"state,attr"`
		Count   int    `xml:"count,attr"`
		Reasons []struct {
			Reason string `xml:"reason,attr"`
			Count  int    `xml:"count,attr"`
			Proto  string `xml:"proto,attr"`
			Ports  string `xml:"ports,attr"`
		} `xml:"extrareasons"`
	} `xml:"ports>extraports"`
	Ports []struct {
		Protocol string `xml:"protocol,attr"`
		PortID   uint16 `xml:"portid,attr"`
		State    struct {
			State     string `xml:"state,attr"`
			Reason    string `xml:"reason,attr"`
			ReasonTTL int    `xml:"reason_ttl,attr"`
		} `xml:"state"`
		Service *struct {
			Name       string   `xml:"name,attr"`
			Product    string   `xml:"product,attr"`
			Version    string   `xml:"version,attr"`
			ExtraInfo  string   `xml:"extrainfo,attr"`
			Hostname   string   `xml:"hostname,attr"`
			OSType     string   `xml:"ostype,attr"`
			DeviceType string   `xml:"devicetype,attr"`
			Tunnel     string   `xml:"tunnel,attr"`
			Method     string   `xml:"method,attr"`
			Conf       int      `xml:"conf,attr"`
			ServiceFP  string   `xml:"servicefp,attr"`
			CPE        []string `xml:"cpe"`
		} `xml:"service"`
	} `xml:"ports>port"`
	Times *struct {
		SRTT   int64 `xml:"srtt,attr"`
		RTTVar int64 `xml:"rttvar,attr"`
		To     int64 `xml:"to,attr"`
	} `xml:"times"`
}

// Parse rebuilds the scan from an Nmap XML file, as the core would have
// handed it to the outputs.
func Parse(b []byte) (sdk.ScanStart, []sdk.Host, sdk.ScanEnd, error) {
	var r xNmaprun
	if err := xml.Unmarshal(b, &r); err != nil {
		return sdk.ScanStart{}, nil, sdk.ScanEnd{}, fmt.Errorf("unmarshal: %w", err)
	}
	args := strings.Fields(r.Args)
	has := func(flag string) bool {
		for _, a := range args {
			if a == flag {
				return true
			}
		}
		return false
	}
	start := sdk.ScanStart{
		Scanner:     "scanfw",
		Version:     r.Version,
		Args:        r.Args,
		Start:       time.Unix(r.Start, 0),
		Verbose:     r.Verbose.Level,
		Debugging:   r.Debugging.Level,
		Reason:      has("--reason"),
		OpenOnly:    has("--open"),
		ServiceScan: serviceScanArgs(r.Args),
	}
	for _, si := range r.ScanInfo {
		p, err := proto(si.Protocol)
		if err != nil {
			return start, nil, sdk.ScanEnd{}, err
		}
		start.ScanInfo = append(start.ScanInfo, sdk.ScanInfo{Type: si.Type, Protocol: p, NumServices: si.NumServices, Services: si.Services})
	}
	var hosts []sdk.Host
	for _, xh := range r.Hosts {
		h, err := host(xh)
		if err != nil {
			return start, nil, sdk.ScanEnd{}, err
		}
		hosts = append(hosts, h)
	}
	end := sdk.ScanEnd{
		End:        time.Unix(r.Finished.Time, 0),
		Elapsed:    time.Duration(r.Finished.Elapsed * float64(time.Second)),
		HostsUp:    r.Counts.Up,
		HostsDown:  r.Counts.Down,
		HostsTotal: r.Counts.Total,
		Exit:       r.Finished.Exit,
		ErrorMsg:   r.Finished.ErrorMsg,
	}
	return start, hosts, end, nil
}

func host(xh xHost) (sdk.Host, error) {
	h := sdk.Host{
		Status:   sdk.HostStatus{State: xh.Status.State, Reason: xh.Status.Reason, ReasonTTL: xh.Status.ReasonTTL},
		TimedOut: xh.TimedOut == "true",
	}
	if xh.StartTime != 0 {
		h.Start, h.End = time.Unix(xh.StartTime, 0), time.Unix(xh.EndTime, 0)
	}
	for _, a := range xh.Addresses {
		switch a.AddrType {
		case "mac":
			h.MAC, h.MACVendor = a.Addr, a.Vendor
		default:
			ip, err := netip.ParseAddr(a.Addr)
			if err != nil {
				return h, fmt.Errorf("host address %q: %w", a.Addr, err)
			}
			h.Addr = ip
		}
	}
	for _, n := range xh.Hostnames {
		h.Hostnames = append(h.Hostnames, sdk.Hostname{Name: n.Name, Type: n.Type})
	}
	for _, e := range xh.Extra {
		st, ok := sdk.ParsePortState(e.State)
		if !ok {
			return h, fmt.Errorf("extraports state %q", e.State)
		}
		ep := sdk.ExtraPorts{State: st, Count: e.Count}
		for _, r := range e.Reasons {
			p, err := proto(r.Proto)
			if err != nil {
				return h, err
			}
			ep.Reasons = append(ep.Reasons, sdk.ExtraReason{Reason: r.Reason, Count: r.Count, Proto: p, Ports: r.Ports})
		}
		h.ExtraPorts = append(h.ExtraPorts, ep)
	}
	for _, xp := range xh.Ports {
		p, err := proto(xp.Protocol)
		if err != nil {
			return h, err
		}
		st, ok := sdk.ParsePortState(xp.State.State)
		if !ok {
			return h, fmt.Errorf("port %d state %q", xp.PortID, xp.State.State)
		}
		port := sdk.Port{Proto: p, Number: xp.PortID, State: st, Reason: xp.State.Reason, ReasonTTL: xp.State.ReasonTTL}
		if s := xp.Service; s != nil {
			port.Service = &sdk.Service{
				Name: s.Name, Product: s.Product, Version: s.Version, ExtraInfo: s.ExtraInfo,
				Hostname: s.Hostname, OSType: s.OSType, DeviceType: s.DeviceType, Tunnel: s.Tunnel,
				Method: s.Method, Conf: s.Conf, CPE: s.CPE, Fingerprint: wrapFingerprint(s.ServiceFP),
			}
		}
		h.Ports = append(h.Ports, port)
	}
	if t := xh.Times; t != nil {
		h.SRTT = time.Duration(t.SRTT) * time.Microsecond
		h.RTTVar = time.Duration(t.RTTVar) * time.Microsecond
		h.Timeout = time.Duration(t.To) * time.Microsecond
	}
	return h, nil
}

func proto(s string) (sdk.Proto, error) {
	for _, p := range []sdk.Proto{sdk.ProtoTCP, sdk.ProtoUDP, sdk.ProtoSCTP, sdk.ProtoIP} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown protocol %q", s)
}

var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^Starting \S+ \S+ \( \S+ \) at .*$`), "Starting SCANNER"},
	{regexp.MustCompile(`(?m)^# \S+ \S+ scan initiated .+? as: `), "# SCANNER scan initiated DATE as: "},
	{regexp.MustCompile(`(?m)^# \S+ done at .+? -- `), "# SCANNER done at DATE -- "},
	{regexp.MustCompile(`(?m)^\S+ done: `), "SCANNER done: "},
	{regexp.MustCompile(`scanned in [0-9.]+ seconds`), "scanned in S seconds"},
	{regexp.MustCompile(`(?m)^Service detection performed\..*$`), "Service detection performed."},
	{regexp.MustCompile(`(?m)(please submit the following fingerprints?) at \S+ :$`), "$1 at URL :"},
}

// wrapFingerprint turns the one-line servicefp of Nmap's XML back into
// the lines Nmap prints: 74 characters, then "SF:" and 71 more per line.
func wrapFingerprint(fp string) string {
	const first, rest = 74, 71
	if len(fp) <= first {
		return fp
	}
	var b strings.Builder
	b.WriteString(fp[:first])
	for fp = fp[first:]; fp != ""; {
		n := min(rest, len(fp))
		b.WriteString("\nSF:" + fp[:n])
		fp = fp[n:]
	}
	return b.String()
}

// Mask replaces what legitimately differs between Nmap's text and ours:
// the scanner's name, version and URL, dates and the elapsed time.
func Mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// serviceScanArgs reports whether Nmap's command line ran service
// detection (-sV or -A), which Nmap's XML does not record otherwise.
func serviceScanArgs(args string) bool {
	for _, a := range strings.Fields(args) {
		if a == "-A" || a == "--version-all" || a == "--version-light" || strings.HasPrefix(a, "--version-intensity") {
			return true
		}
		if strings.HasPrefix(a, "-s") && !strings.HasPrefix(a, "--") && strings.Contains(a[2:], "V") {
			return true
		}
	}
	return false
}

// Render drives an output plugin through one scan as the core does (Start,
// a Host per host, End) and returns everything it wrote. A nil end leaves
// the scan unfinished, as an interrupted one.
func Render(t testing.TB, w sdk.Output, dest string, start sdk.ScanStart, hosts []sdk.Host, end *sdk.ScanEnd) []byte {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	out, err := w.Start(ctx, sdk.OutputDest{Path: dest}, start)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	b.Write(out)
	for _, h := range hosts {
		out, err := w.Host(ctx, h)
		if err != nil {
			t.Fatalf("Host: %v", err)
		}
		b.Write(out)
	}
	if end != nil {
		out, err = w.End(ctx, *end)
		if err != nil {
			t.Fatalf("End: %v", err)
		}
		b.Write(out)
	}
	return b.Bytes()
}

// DiffLines reports every line where got differs from want, then both
// texts whole.
func DiffLines(t testing.TB, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("line %d:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	t.Logf("want:\n%s\ngot:\n%s", want, got)
}
