package sdk

import (
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	pb "github.com/scanfw/scanfw/sdk/proto/scanfw/v1"
)

// The functions below translate between the SDK's Go types and the wire
// messages. They are the only place that knows both shapes.

func protoName(p Proto) string { return p.String() }

// validUTF8 replaces bytes that are not UTF-8 with '.', as Nmap shows
// non-printable bytes of service fields. Protobuf strings must be UTF-8, and
// these fields are often cut out of raw banners; without this one bad byte
// would fail a whole batch.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, ".")
}

// ParseProto is the inverse of Proto.String.
func ParseProto(s string) Proto {
	switch s {
	case "tcp":
		return ProtoTCP
	case "udp":
		return ProtoUDP
	case "sctp":
		return ProtoSCTP
	case "ip":
		return ProtoIP
	}
	return 0
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func parseAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

func infoToProto(i Info) *pb.PluginInfo {
	out := &pb.PluginInfo{Id: i.ID, Kind: string(i.Kind), Version: i.Version, Description: i.Description, Privileges: i.Privileges}
	for _, f := range i.Config {
		out.Config = append(out.Config, &pb.ConfigField{Name: f.Name, Type: f.Type, Required: f.Required, Description: f.Description, DefaultJson: defaultJSON(f.Default)})
	}
	return out
}

func infoFromProto(p *pb.PluginInfo) Info {
	out := Info{ID: p.GetId(), Kind: Kind(p.GetKind()), Version: p.GetVersion(), Description: p.GetDescription(), Privileges: p.GetPrivileges()}
	for _, f := range p.GetConfig() {
		out.Config = append(out.Config, ConfigField{Name: f.GetName(), Type: f.GetType(), Required: f.GetRequired(), Description: f.GetDescription(), Default: parseDefault(f.GetDefaultJson())})
	}
	return out
}

func diagsToProto(ds []Diagnostic) []*pb.Diagnostic {
	var out []*pb.Diagnostic
	for _, d := range ds {
		out = append(out, &pb.Diagnostic{Severity: d.Severity, Summary: d.Summary, Detail: d.Detail, Attribute: d.Attribute})
	}
	return out
}

func diagsFromProto(ds []*pb.Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds {
		out = append(out, Diagnostic{Severity: d.GetSeverity(), Summary: d.GetSummary(), Detail: d.GetDetail(), Attribute: d.GetAttribute()})
	}
	return out
}

func verdictToProto(v Verdict) *pb.Verdict {
	name := ""
	if v.State != StateUnknown {
		name = v.State.String()
	}
	return &pb.Verdict{State: name, Reason: v.Reason, Host: uint32(v.Host)}
}

func verdictFromProto(v *pb.Verdict) Verdict {
	s, _ := ParsePortState(v.GetState())
	return Verdict{State: s, Reason: v.GetReason(), Host: HostVerdict(v.GetHost())}
}

func templatesToProto(ts []PacketTemplate) []*pb.PacketTemplate {
	var out []*pb.PacketTemplate
	for _, t := range ts {
		pt := &pb.PacketTemplate{Name: t.Name, Layer4: t.Layer4, IpProtocol: uint32(t.IPProtocol)}
		for _, s := range t.Slots {
			pt.Slots = append(pt.Slots, &pb.Slot{Kind: pb.Slot_Kind(s.Kind), Offset: uint32(s.Offset), Width: uint32(s.Width)})
		}
		for _, r := range t.Ports {
			pt.Ports = append(pt.Ports, &pb.PortRange{Lo: uint32(r.Lo), Hi: uint32(r.Hi)})
		}
		out = append(out, pt)
	}
	return out
}

func templatesFromProto(ts []*pb.PacketTemplate) []PacketTemplate {
	var out []PacketTemplate
	for _, t := range ts {
		pt := PacketTemplate{Name: t.GetName(), Layer4: t.GetLayer4(), IPProtocol: uint8(t.GetIpProtocol())}
		for _, s := range t.GetSlots() {
			pt.Slots = append(pt.Slots, Slot{Kind: SlotKind(s.GetKind()), Offset: int(s.GetOffset()), Width: int(s.GetWidth())})
		}
		for _, r := range t.GetPorts() {
			pt.Ports = append(pt.Ports, PortRange{Lo: uint16(r.GetLo()), Hi: uint16(r.GetHi())})
		}
		out = append(out, pt)
	}
	return out
}

func specToProto(s ProbeSpec) *pb.ProbeSpec {
	out := &pb.ProbeSpec{
		ScanType: s.ScanType, Protocol: protoName(s.Proto), Transport: pb.Transport(s.Transport),
		NeedsRoot: s.NeedsRoot, Templates: templatesToProto(s.Templates), Silence: verdictToProto(s.Silence),
		SilenceMeansOpen: s.SilenceMeansOpen, WantsClassify: s.WantsClassify,
	}
	for _, r := range s.Rules {
		m := r.Match
		out.Rules = append(out.Rules, &pb.ReplyRule{
			Match: &pb.ReplyMatch{
				Kind: pb.ReplyMatch_Kind(m.Kind), ConnectOutcome: m.ConnectOutcome,
				TcpFlagsMask: uint32(m.TCPFlagsMask), TcpFlags: uint32(m.TCPFlags), TcpWindow: int32(m.TCPWindow),
				IcmpType: int32(m.ICMPType), IcmpCode: int32(m.ICMPCode), IcmpV6: m.ICMPv6,
				FromTarget: int32(m.FromTarget), SctpChunk: uint32(m.SCTPChunk),
			},
			Verdict: verdictToProto(r.Verdict),
		})
	}
	return out
}

func specFromProto(p *pb.ProbeSpec) ProbeSpec {
	out := ProbeSpec{
		ScanType: p.GetScanType(), Proto: ParseProto(p.GetProtocol()), Transport: Transport(p.GetTransport()),
		NeedsRoot: p.GetNeedsRoot(), Templates: templatesFromProto(p.GetTemplates()), Silence: verdictFromProto(p.GetSilence()),
		SilenceMeansOpen: p.GetSilenceMeansOpen(), WantsClassify: p.GetWantsClassify(),
	}
	for _, r := range p.GetRules() {
		m := r.GetMatch()
		out.Rules = append(out.Rules, ReplyRule{
			Match: ReplyMatch{
				Kind: MatchKind(m.GetKind()), ConnectOutcome: m.GetConnectOutcome(),
				TCPFlagsMask: uint8(m.GetTcpFlagsMask()), TCPFlags: uint8(m.GetTcpFlags()), TCPWindow: int(m.GetTcpWindow()),
				ICMPType: int(m.GetIcmpType()), ICMPCode: int(m.GetIcmpCode()), ICMPv6: m.GetIcmpV6(),
				FromTarget: int(m.GetFromTarget()), SCTPChunk: uint8(m.GetSctpChunk()),
			},
			Verdict: verdictFromProto(r.GetVerdict()),
		})
	}
	return out
}

func serviceToProto(s *Service) *pb.Service {
	if s == nil {
		return nil
	}
	cpe := make([]string, len(s.CPE))
	for i, c := range s.CPE {
		cpe[i] = validUTF8(c)
	}
	if s.CPE == nil {
		cpe = nil
	}
	return &pb.Service{
		Name: validUTF8(s.Name), Product: validUTF8(s.Product), Version: validUTF8(s.Version), ExtraInfo: validUTF8(s.ExtraInfo),
		Hostname: validUTF8(s.Hostname), OsType: validUTF8(s.OSType), DeviceType: validUTF8(s.DeviceType), Tunnel: s.Tunnel,
		Method: s.Method, Conf: int32(s.Conf), Cpe: cpe, Fingerprint: validUTF8(s.Fingerprint),
	}
}

func serviceFromProto(p *pb.Service) *Service {
	if p == nil {
		return nil
	}
	return &Service{
		Name: p.GetName(), Product: p.GetProduct(), Version: p.GetVersion(), ExtraInfo: p.GetExtraInfo(), Hostname: p.GetHostname(),
		OSType: p.GetOsType(), DeviceType: p.GetDeviceType(), Tunnel: p.GetTunnel(), Method: p.GetMethod(), Conf: int(p.GetConf()),
		CPE: p.GetCpe(), Fingerprint: p.GetFingerprint(),
	}
}

func scanStartToProto(s ScanStart) *pb.ScanStart {
	out := &pb.ScanStart{Scanner: s.Scanner, Version: s.Version, Args: s.Args, StartUnixNano: unixNano(s.Start),
		Verbose: int32(s.Verbose), Debugging: int32(s.Debugging), Reason: s.Reason, OpenOnly: s.OpenOnly,
		ServiceScan: s.ServiceScan, DataDir: s.DataDir, TimingReport: s.TimingReport, DataFiles: s.DataFiles}
	for _, i := range s.ScanInfo {
		out.ScanInfo = append(out.ScanInfo, &pb.ScanInfo{Type: i.Type, Protocol: protoName(i.Protocol), NumServices: int32(i.NumServices), Services: i.Services})
	}
	return out
}

func scanStartFromProto(p *pb.ScanStart) ScanStart {
	out := ScanStart{Scanner: p.GetScanner(), Version: p.GetVersion(), Args: p.GetArgs(), Start: fromUnixNano(p.GetStartUnixNano()),
		Verbose: int(p.GetVerbose()), Debugging: int(p.GetDebugging()), Reason: p.GetReason(), OpenOnly: p.GetOpenOnly(),
		ServiceScan: p.GetServiceScan(), DataDir: p.GetDataDir(), TimingReport: p.GetTimingReport(), DataFiles: p.GetDataFiles()}
	for _, i := range p.GetScanInfo() {
		out.ScanInfo = append(out.ScanInfo, ScanInfo{Type: i.GetType(), Protocol: ParseProto(i.GetProtocol()), NumServices: int(i.GetNumServices()), Services: i.GetServices()})
	}
	return out
}

func hostToProto(h Host) *pb.HostResult {
	out := &pb.HostResult{
		Addr: addrString(h.Addr), Mac: h.MAC, MacVendor: h.MACVendor,
		Status:        &pb.HostStatus{State: h.Status.State, Reason: h.Status.Reason, ReasonTtl: int32(h.Status.ReasonTTL)},
		StartUnixNano: unixNano(h.Start), EndUnixNano: unixNano(h.End), TimedOut: h.TimedOut,
		SrttNs: int64(h.SRTT), RttvarNs: int64(h.RTTVar), TimeoutNs: int64(h.Timeout),
	}
	for _, n := range h.Hostnames {
		out.Hostnames = append(out.Hostnames, &pb.Hostname{Name: validUTF8(n.Name), Type: n.Type})
	}
	out.Ports = make([]*pb.Port, 0, len(h.Ports))
	for _, p := range h.Ports {
		out.Ports = append(out.Ports, &pb.Port{Protocol: protoName(p.Proto), Number: uint32(p.Number), State: p.State.String(),
			Reason: p.Reason, ReasonTtl: int32(p.ReasonTTL), Service: serviceToProto(p.Service)})
	}
	for _, e := range h.ExtraPorts {
		pe := &pb.ExtraPorts{State: e.State.String(), Count: int32(e.Count)}
		for _, r := range e.Reasons {
			pe.Reasons = append(pe.Reasons, &pb.ExtraReason{Reason: r.Reason, Count: int32(r.Count), Protocol: protoName(r.Proto), Ports: r.Ports})
		}
		out.ExtraPorts = append(out.ExtraPorts, pe)
	}
	return out
}

func hostFromProto(p *pb.HostResult) Host {
	st := p.GetStatus()
	out := Host{
		Addr: parseAddr(p.GetAddr()), MAC: p.GetMac(), MACVendor: p.GetMacVendor(),
		Status: HostStatus{State: st.GetState(), Reason: st.GetReason(), ReasonTTL: int(st.GetReasonTtl())},
		Start:  fromUnixNano(p.GetStartUnixNano()), End: fromUnixNano(p.GetEndUnixNano()), TimedOut: p.GetTimedOut(),
		SRTT: time.Duration(p.GetSrttNs()), RTTVar: time.Duration(p.GetRttvarNs()), Timeout: time.Duration(p.GetTimeoutNs()),
	}
	for _, n := range p.GetHostnames() {
		out.Hostnames = append(out.Hostnames, Hostname{Name: n.GetName(), Type: n.GetType()})
	}
	if len(p.GetPorts()) > 0 {
		out.Ports = make([]Port, 0, len(p.GetPorts()))
	}
	for _, pp := range p.GetPorts() {
		s, _ := ParsePortState(pp.GetState())
		out.Ports = append(out.Ports, Port{Proto: ParseProto(pp.GetProtocol()), Number: uint16(pp.GetNumber()), State: s,
			Reason: pp.GetReason(), ReasonTTL: int(pp.GetReasonTtl()), Service: serviceFromProto(pp.GetService())})
	}
	for _, e := range p.GetExtraPorts() {
		s, _ := ParsePortState(e.GetState())
		oe := ExtraPorts{State: s, Count: int(e.GetCount())}
		for _, r := range e.GetReasons() {
			oe.Reasons = append(oe.Reasons, ExtraReason{Reason: r.GetReason(), Count: int(r.GetCount()), Proto: ParseProto(r.GetProtocol()), Ports: r.GetPorts()})
		}
		out.ExtraPorts = append(out.ExtraPorts, oe)
	}
	return out
}

func scanEndToProto(e ScanEnd) *pb.ScanEnd {
	return &pb.ScanEnd{EndUnixNano: unixNano(e.End), ElapsedNs: int64(e.Elapsed), HostsUp: int32(e.HostsUp),
		HostsDown: int32(e.HostsDown), HostsTotal: int32(e.HostsTotal), Exit: e.Exit, ErrorMsg: e.ErrorMsg}
}

func scanEndFromProto(p *pb.ScanEnd) ScanEnd {
	return ScanEnd{End: fromUnixNano(p.GetEndUnixNano()), Elapsed: time.Duration(p.GetElapsedNs()), HostsUp: int(p.GetHostsUp()),
		HostsDown: int(p.GetHostsDown()), HostsTotal: int(p.GetHostsTotal()), Exit: p.GetExit(), ErrorMsg: p.GetErrorMsg()}
}

func catalogueToProto(c ServiceCatalogue) *pb.ServiceCatalogue {
	out := &pb.ServiceCatalogue{ExcludedPorts: c.ExcludedPorts}
	for _, p := range c.Probes {
		out.Probes = append(out.Probes, &pb.ServiceProbe{Name: p.Name, Protocol: protoName(p.Proto), Payload: p.Payload,
			Ports: p.Ports, SslPorts: p.SSLPorts, Rarity: int32(p.Rarity), TotalWaitMs: p.TotalWait.Milliseconds(),
			TcpWrappedMs: p.TCPWrapped.Milliseconds(), Fallback: p.Fallback, NoPayload: p.NoPayload, Services: p.Services})
	}
	return out
}

func catalogueFromProto(c *pb.ServiceCatalogue) ServiceCatalogue {
	out := ServiceCatalogue{ExcludedPorts: c.GetExcludedPorts()}
	for _, p := range c.GetProbes() {
		out.Probes = append(out.Probes, ServiceProbe{Name: p.GetName(), Proto: ParseProto(p.GetProtocol()), Payload: p.GetPayload(),
			Ports: p.GetPorts(), SSLPorts: p.GetSslPorts(), Rarity: int(p.GetRarity()),
			TotalWait: time.Duration(p.GetTotalWaitMs()) * time.Millisecond, TCPWrapped: time.Duration(p.GetTcpWrappedMs()) * time.Millisecond,
			Fallback: p.GetFallback(), NoPayload: p.GetNoPayload(), Services: p.GetServices()})
	}
	return out
}

func matchItemsToProto(items []MatchItem) *pb.MatchBatch {
	out := &pb.MatchBatch{Items: make([]*pb.MatchItem, 0, len(items))}
	for _, i := range items {
		out.Items = append(out.Items, &pb.MatchItem{Id: i.ID, Protocol: protoName(i.Proto), Port: uint32(i.Port), Probe: i.Probe, Response: i.Response, Tunnel: i.Tunnel})
	}
	return out
}

func matchItemsFromProto(b *pb.MatchBatch) []MatchItem {
	out := make([]MatchItem, 0, len(b.GetItems()))
	for _, i := range b.GetItems() {
		out = append(out, MatchItem{ID: i.GetId(), Proto: ParseProto(i.GetProtocol()), Port: uint16(i.GetPort()), Probe: i.GetProbe(), Response: i.GetResponse(), Tunnel: i.GetTunnel()})
	}
	return out
}

func matchResultsToProto(rs []MatchResult) *pb.MatchResultBatch {
	out := &pb.MatchResultBatch{Results: make([]*pb.MatchResult, 0, len(rs))}
	for _, r := range rs {
		s := r.Service
		out.Results = append(out.Results, &pb.MatchResult{Id: r.ID, Hard: r.Hard, Soft: r.Soft, Service: serviceToProto(&s), Rule: r.Rule})
	}
	return out
}

func matchResultsFromProto(b *pb.MatchResultBatch) []MatchResult {
	out := make([]MatchResult, 0, len(b.GetResults()))
	for _, r := range b.GetResults() {
		mr := MatchResult{ID: r.GetId(), Hard: r.GetHard(), Soft: r.GetSoft(), Rule: r.GetRule()}
		if s := serviceFromProto(r.GetService()); s != nil {
			mr.Service = *s
		}
		out = append(out, mr)
	}
	return out
}

func osSampleToProto(s OSSample) *pb.OSSample {
	out := &pb.OSSample{Addr: addrString(s.Addr), OpenTcpPort: uint32(s.OpenTCPPort), ClosedTcpPort: uint32(s.ClosedTCPPort), ClosedUdpPort: uint32(s.ClosedUDPPort)}
	for _, r := range s.Replies {
		out.Replies = append(out.Replies, &pb.OSReply{Probe: r.Probe, Packet: r.Packet, SentUnixNano: unixNano(r.Sent), ReceivedUnixNano: unixNano(r.Received)})
	}
	return out
}

func osSampleFromProto(p *pb.OSSample) OSSample {
	out := OSSample{Addr: parseAddr(p.GetAddr()), OpenTCPPort: uint16(p.GetOpenTcpPort()), ClosedTCPPort: uint16(p.GetClosedTcpPort()), ClosedUDPPort: uint16(p.GetClosedUdpPort())}
	for _, r := range p.GetReplies() {
		out.Replies = append(out.Replies, OSReply{Probe: r.GetProbe(), Packet: r.GetPacket(), Sent: fromUnixNano(r.GetSentUnixNano()), Received: fromUnixNano(r.GetReceivedUnixNano())})
	}
	return out
}

func osResultToProto(r OSResult) *pb.OSResult {
	out := &pb.OSResult{Fingerprint: r.Fingerprint}
	for _, m := range r.Matches {
		pm := &pb.OSMatch{Name: m.Name, Accuracy: int32(m.Accuracy), Line: int32(m.Line)}
		for _, c := range m.Classes {
			pm.Classes = append(pm.Classes, &pb.OSClass{Type: c.Type, Vendor: c.Vendor, Family: c.Family, Generation: c.Generation, Accuracy: int32(c.Accuracy), Cpe: c.CPE})
		}
		out.Matches = append(out.Matches, pm)
	}
	return out
}

func osResultFromProto(p *pb.OSResult) OSResult {
	out := OSResult{Fingerprint: p.GetFingerprint()}
	for _, m := range p.GetMatches() {
		om := OSMatch{Name: m.GetName(), Accuracy: int(m.GetAccuracy()), Line: int(m.GetLine())}
		for _, c := range m.GetClasses() {
			om.Classes = append(om.Classes, OSClass{Type: c.GetType(), Vendor: c.GetVendor(), Family: c.GetFamily(), Generation: c.GetGeneration(), Accuracy: int(c.GetAccuracy()), CPE: c.GetCpe()})
		}
		out.Matches = append(out.Matches, om)
	}
	return out
}
