// Package json is the output plugin "output.json": JSON lines (-oJ), one
// JSON object per line, in the versioned schema "scanfw/jsonl/v1"
// (docs/json-schema.md, docs/scanfw-jsonl.schema.json).
//
// The first line is a "start" record, then one "host" record per finished
// host, written the moment the core hands the host over, and last an "end"
// record. Every record is one complete line ending in "\n" and is returned
// whole, so the core writes it in one write: a scan that is interrupted
// leaves only complete lines, and a file without an end record is a scan
// that was killed before it could end.
//
// The host records hold the same hosts as Nmap's XML (hosts that are not
// up only with -v; with --open only hosts with an open port) unless the
// setting all_hosts asks for every host.
package json

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/scanfw/scanfw/plugins/output/internal/nmaptext"
	"github.com/scanfw/scanfw/sdk"
)

// ID is the plugin's namespaced identifier.
const ID = "output.json"

// Version is the plugin's version.
const Version = "0.1.0"

// Schema names the record layout; it changes only when a field changes
// meaning or disappears. New optional fields keep the name.
const Schema = "scanfw/jsonl/v1"

// Settings configures the plugin.
type Settings struct {
	// AllHosts writes a record for every host, also those that are not up
	// and, with --open, those without an open port.
	AllHosts bool `json:"all_hosts"`
}

// Writer renders a scan as JSON lines. Use New.
type Writer struct {
	mu       sync.Mutex
	settings Settings
	scan     sdk.ScanStart
}

// New returns the JSON lines output plugin.
func New() sdk.Output { return &Writer{} }

// Info describes the plugin and its settings.
func (w *Writer) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID:          ID,
		Kind:        sdk.KindOutput,
		Version:     Version,
		Description: "JSON lines (-oJ): a start record, one record per host as it finishes, an end record; schema " + Schema,
		Config: []sdk.ConfigField{
			{Name: "all_hosts", Type: "bool", Description: "write a record for every host, also those not up (default: the hosts Nmap's XML shows)", Default: false},
		},
	}, nil
}

// Configure reads the settings.
func (w *Writer) Configure(_ context.Context, raw sdk.Settings) ([]sdk.Diagnostic, error) {
	var s Settings
	if err := raw.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode %s settings: %w", ID, err)
	}
	w.mu.Lock()
	w.settings = s
	w.mu.Unlock()
	return nil, nil
}

// Start writes the start record.
func (w *Writer) Start(_ context.Context, _ sdk.OutputDest, scan sdk.ScanStart) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scan = scan
	rec := startRecord{
		Type: "start", Schema: Schema, Scanner: nmaptext.Scanner(scan), Version: scan.Version,
		Args: scan.Args, Start: stamp(scan.Start), ScanInfo: []scanInfo{},
		Verbose: scan.Verbose, Debugging: scan.Debugging, Reason: scan.Reason,
		OpenOnly: scan.OpenOnly, ServiceScan: scan.ServiceScan, DataDir: scan.DataDir,
	}
	for _, si := range scan.ScanInfo {
		rec.ScanInfo = append(rec.ScanInfo, scanInfo{Type: si.Type, Protocol: si.Protocol.String(), NumServices: si.NumServices, Services: si.Services})
	}
	return line(rec)
}

// Host writes one host record, or nothing for a host the settings leave out.
func (w *Writer) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.settings.AllHosts && !nmaptext.HostShown(w.scan, h) {
		return nil, nil
	}
	return line(hostOf(h))
}

// End writes the end record.
func (w *Writer) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	exit := e.Exit
	if exit == "" {
		exit = "success"
	}
	return line(endRecord{
		Type: "end", End: stamp(e.End), Elapsed: roundSeconds(e.Elapsed),
		Hosts: hostCounts{Up: e.HostsUp, Down: e.HostsDown, Total: e.HostsTotal},
		Exit:  exit, Error: e.ErrorMsg,
	})
}

func line(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s record: %w", ID, err)
	}
	return append(b, '\n'), nil
}

// stamp is RFC 3339 in UTC to the second: the form jq's fromdate reads,
// and the precision Nmap's XML gives.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func hostOf(h sdk.Host) hostRecord {
	addrType := "ipv4"
	if h.Addr.Is6() && !h.Addr.Is4In6() {
		addrType = "ipv6"
	}
	state := h.Status.State
	if state == "" {
		state = "unknown"
	}
	rec := hostRecord{
		Type: "host", Addr: h.Addr.String(), AddrType: addrType, MAC: h.MAC, MACVendor: h.MACVendor,
		Hostnames:  []hostname{},
		Status:     status{State: state, Reason: h.Status.Reason, ReasonTTL: h.Status.ReasonTTL},
		Ports:      []port{},
		ExtraPorts: []extraPorts{},
		Start:      stamp(h.Start), End: stamp(h.End), TimedOut: h.TimedOut,
	}
	for _, n := range h.Hostnames {
		rec.Hostnames = append(rec.Hostnames, hostname{Name: n.Name, Type: n.Type})
	}
	for _, p := range h.Ports {
		rec.Ports = append(rec.Ports, port{
			Protocol: p.Proto.String(), Port: int(p.Number), State: p.State.String(),
			Reason: p.Reason, ReasonTTL: p.ReasonTTL, Service: serviceOf(p.Service),
		})
	}
	for _, e := range h.ExtraPorts {
		x := extraPorts{State: e.State.String(), Count: e.Count, Reasons: []extraReason{}}
		for _, r := range e.Reasons {
			x.Reasons = append(x.Reasons, extraReason{Reason: r.Reason, Count: r.Count, Protocol: r.Proto.String(), Ports: r.Ports})
		}
		rec.ExtraPorts = append(rec.ExtraPorts, x)
	}
	if h.SRTT != 0 || h.RTTVar != 0 || h.Timeout != 0 {
		rec.Times = &times{SRTT: h.SRTT.Microseconds(), RTTVar: h.RTTVar.Microseconds(), Timeout: h.Timeout.Microseconds()}
	}
	return rec
}

func serviceOf(s *sdk.Service) *service {
	if s == nil {
		return nil
	}
	out := &service{
		Name: s.Name, Product: s.Product, Version: s.Version, ExtraInfo: s.ExtraInfo,
		Hostname: s.Hostname, OSType: s.OSType, DeviceType: s.DeviceType, Tunnel: s.Tunnel,
		Method: s.Method, Conf: s.Conf, CPE: s.CPE, Fingerprint: s.Fingerprint,
	}
	if out.CPE == nil {
		out.CPE = []string{}
	}
	return out
}

// The records. Field names follow Nmap's XML attribute names where one
// exists, so people who know the XML find them; docs/json-schema.md is the
// reference and must change with them.

type startRecord struct {
	Type        string     `json:"type"`
	Schema      string     `json:"schema"`
	Scanner     string     `json:"scanner"`
	Version     string     `json:"version"`
	Args        string     `json:"args"`
	Start       string     `json:"start"`
	ScanInfo    []scanInfo `json:"scaninfo"`
	Verbose     int        `json:"verbose"`
	Debugging   int        `json:"debugging"`
	Reason      bool       `json:"reason"`
	OpenOnly    bool       `json:"open_only"`
	ServiceScan bool       `json:"service_scan"`
	DataDir     string     `json:"datadir,omitempty"`
}

type scanInfo struct {
	Type        string `json:"type"`
	Protocol    string `json:"protocol"`
	NumServices int    `json:"numservices"`
	Services    string `json:"services"`
}

type hostRecord struct {
	Type       string       `json:"type"`
	Addr       string       `json:"addr"`
	AddrType   string       `json:"addrtype"`
	MAC        string       `json:"mac,omitempty"`
	MACVendor  string       `json:"mac_vendor,omitempty"`
	Hostnames  []hostname   `json:"hostnames"`
	Status     status       `json:"status"`
	Ports      []port       `json:"ports"`
	ExtraPorts []extraPorts `json:"extraports"`
	Start      string       `json:"start,omitempty"`
	End        string       `json:"end,omitempty"`
	TimedOut   bool         `json:"timed_out"`
	Times      *times       `json:"times,omitempty"`
}

type hostname struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type status struct {
	State     string `json:"state"`
	Reason    string `json:"reason"`
	ReasonTTL int    `json:"reason_ttl"`
}

type port struct {
	Protocol  string   `json:"protocol"`
	Port      int      `json:"port"`
	State     string   `json:"state"`
	Reason    string   `json:"reason"`
	ReasonTTL int      `json:"reason_ttl"`
	Service   *service `json:"service,omitempty"`
}

type service struct {
	Name        string   `json:"name"`
	Product     string   `json:"product,omitempty"`
	Version     string   `json:"version,omitempty"`
	ExtraInfo   string   `json:"extrainfo,omitempty"`
	Hostname    string   `json:"hostname,omitempty"`
	OSType      string   `json:"ostype,omitempty"`
	DeviceType  string   `json:"devicetype,omitempty"`
	Tunnel      string   `json:"tunnel,omitempty"`
	Method      string   `json:"method"`
	Conf        int      `json:"conf"`
	CPE         []string `json:"cpe"`
	Fingerprint string   `json:"fingerprint,omitempty"`
}

type extraPorts struct {
	State   string        `json:"state"`
	Count   int           `json:"count"`
	Reasons []extraReason `json:"reasons"`
}

type extraReason struct {
	Reason   string `json:"reason"`
	Count    int    `json:"count"`
	Protocol string `json:"protocol"`
	Ports    string `json:"ports"`
}

type times struct {
	SRTT    int64 `json:"srtt_us"`
	RTTVar  int64 `json:"rttvar_us"`
	Timeout int64 `json:"timeout_us"`
}

type hostCounts struct {
	Up    int `json:"up"`
	Down  int `json:"down"`
	Total int `json:"total"`
}

type endRecord struct {
	Type    string     `json:"type"`
	End     string     `json:"end"`
	Elapsed float64    `json:"elapsed_s"`
	Hosts   hostCounts `json:"hosts"`
	Exit    string     `json:"exit"`
	Error   string     `json:"error,omitempty"`
}

var _ sdk.Output = (*Writer)(nil)
