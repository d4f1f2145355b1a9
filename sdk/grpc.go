package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/scanfw/scanfw/sdk/proto/scanfw/v1"
)

// pluginName is the single entry of the go-plugin plugin set. One process
// serves one plugin; its kind is learnt from Info, not from the set's key,
// so the core can start an unknown executable and ask what it is.
const pluginName = "scanfw"

// grpcPlugin adapts an implementation of one of the plugin interfaces to
// go-plugin's GRPCPlugin.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Plugin
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, &pluginServer{impl: p.impl})
	if v, ok := p.impl.(ProbeType); ok {
		pb.RegisterProbeTypeServer(s, &probeServer{impl: v})
	}
	if v, ok := p.impl.(Output); ok {
		pb.RegisterOutputServer(s, &outputServer{impl: v})
	}
	if v, ok := p.impl.(ServiceMatcher); ok {
		pb.RegisterServiceMatcherServer(s, &matcherServer{impl: v})
	}
	if v, ok := p.impl.(OSDetector); ok {
		pb.RegisterOSDetectorServer(s, &osServer{impl: v})
	}
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{
		plugin: pb.NewPluginClient(c), probe: pb.NewProbeTypeClient(c), output: pb.NewOutputClient(c),
		matcher: pb.NewServiceMatcherClient(c), os: pb.NewOSDetectorClient(c),
	}, nil
}

// PluginSet is the go-plugin plugin set of protocol v1, for hosts that start
// plugins (the core, and tests).
func PluginSet() plugin.PluginSet {
	return plugin.PluginSet{pluginName: &grpcPlugin{}}
}

// Dispense returns the Client of a started go-plugin client.
func Dispense(c plugin.ClientProtocol) (*Client, error) {
	raw, err := c.Dispense(pluginName)
	if err != nil {
		return nil, err
	}
	cl, ok := raw.(*Client)
	if !ok {
		return nil, fmt.Errorf("plugin dispensed %T, want *sdk.Client", raw)
	}
	return cl, nil
}

// ---- server side ----

type pluginServer struct {
	pb.UnimplementedPluginServer
	impl Plugin
}

func (s *pluginServer) Info(ctx context.Context, _ *pb.InfoRequest) (*pb.PluginInfo, error) {
	i, err := s.impl.Info(ctx)
	if err != nil {
		return nil, err
	}
	return infoToProto(i), nil
}

func (s *pluginServer) Configure(ctx context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	d, err := s.impl.Configure(ctx, Settings(r.GetSettingsJson()))
	if err != nil {
		return nil, err
	}
	return &pb.ConfigureResponse{Diagnostics: diagsToProto(d)}, nil
}

type probeServer struct {
	pb.UnimplementedProbeTypeServer
	impl ProbeType
}

func (s *probeServer) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.ProbeSpec, error) {
	spec, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return specToProto(spec), nil
}

type outputServer struct {
	pb.UnimplementedOutputServer
	impl Output
}

func (s *outputServer) Start(ctx context.Context, r *pb.OutputStart) (*pb.Chunk, error) {
	b, err := s.impl.Start(ctx, OutputDest{Path: r.GetDestination(), Append: r.GetAppend()}, scanStartFromProto(r.GetScan()))
	return &pb.Chunk{Data: b}, err
}

func (s *outputServer) Host(ctx context.Context, r *pb.HostResult) (*pb.Chunk, error) {
	b, err := s.impl.Host(ctx, hostFromProto(r))
	return &pb.Chunk{Data: b}, err
}

func (s *outputServer) End(ctx context.Context, r *pb.ScanEnd) (*pb.Chunk, error) {
	b, err := s.impl.End(ctx, scanEndFromProto(r))
	return &pb.Chunk{Data: b}, err
}

type matcherServer struct {
	pb.UnimplementedServiceMatcherServer
	impl ServiceMatcher
}

func (s *matcherServer) Catalogue(ctx context.Context, _ *pb.CatalogueRequest) (*pb.ServiceCatalogue, error) {
	c, err := s.impl.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	return catalogueToProto(c), nil
}

func (s *matcherServer) Match(stream pb.ServiceMatcher_MatchServer) error {
	for {
		batch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := s.impl.Match(stream.Context(), matchItemsFromProto(batch))
		if err != nil {
			return err
		}
		if err := stream.Send(matchResultsToProto(res)); err != nil {
			return err
		}
	}
}

type osServer struct {
	pb.UnimplementedOSDetectorServer
	impl OSDetector
}

func (s *osServer) Probes(ctx context.Context, _ *pb.OSProbesRequest) (*pb.OSProbeSet, error) {
	t, err := s.impl.Probes(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.OSProbeSet{Templates: templatesToProto(t)}, nil
}

func (s *osServer) Score(ctx context.Context, r *pb.OSSample) (*pb.OSResult, error) {
	res, err := s.impl.Score(ctx, osSampleFromProto(r))
	if err != nil {
		return nil, err
	}
	return osResultToProto(res), nil
}

// ---- client side ----

// Client is the core's handle on a plugin process. It implements every
// plugin interface; calls for a kind the plugin does not serve fail with
// gRPC's Unimplemented, so the core checks Info().Kind first.
type Client struct {
	plugin  pb.PluginClient
	probe   pb.ProbeTypeClient
	output  pb.OutputClient
	matcher pb.ServiceMatcherClient
	os      pb.OSDetectorClient

	matchMu     sync.Mutex
	matchStream pb.ServiceMatcher_MatchClient
}

var (
	_ ProbeType      = (*Client)(nil)
	_ Output         = (*Client)(nil)
	_ ServiceMatcher = (*Client)(nil)
	_ OSDetector     = (*Client)(nil)
)

func (c *Client) Info(ctx context.Context) (Info, error) {
	r, err := c.plugin.Info(ctx, &pb.InfoRequest{})
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(r), nil
}

func (c *Client) Configure(ctx context.Context, settings Settings) ([]Diagnostic, error) {
	r, err := c.plugin.Configure(ctx, &pb.ConfigureRequest{SettingsJson: settings})
	if err != nil {
		return nil, err
	}
	return diagsFromProto(r.GetDiagnostics()), nil
}

func (c *Client) Describe(ctx context.Context) (ProbeSpec, error) {
	r, err := c.probe.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return ProbeSpec{}, err
	}
	return specFromProto(r), nil
}

func (c *Client) Start(ctx context.Context, dest OutputDest, scan ScanStart) ([]byte, error) {
	r, err := c.output.Start(ctx, &pb.OutputStart{Scan: scanStartToProto(scan), Destination: dest.Path, Append: dest.Append})
	return r.GetData(), err
}

func (c *Client) Host(ctx context.Context, host Host) ([]byte, error) {
	r, err := c.output.Host(ctx, hostToProto(host))
	return r.GetData(), err
}

func (c *Client) End(ctx context.Context, end ScanEnd) ([]byte, error) {
	r, err := c.output.End(ctx, scanEndToProto(end))
	return r.GetData(), err
}

func (c *Client) Catalogue(ctx context.Context) (ServiceCatalogue, error) {
	r, err := c.matcher.Catalogue(ctx, &pb.CatalogueRequest{})
	if err != nil {
		return ServiceCatalogue{}, err
	}
	return catalogueFromProto(r), nil
}

// Match sends one batch over the plugin's long-lived match stream and waits
// for its answers. The stream is opened on first use and lives as long as the
// plugin; the ctx of the first call does not bound it.
func (c *Client) Match(ctx context.Context, items []MatchItem) ([]MatchResult, error) {
	c.matchMu.Lock()
	defer c.matchMu.Unlock()
	if c.matchStream == nil {
		s, err := c.matcher.Match(context.Background())
		if err != nil {
			return nil, err
		}
		c.matchStream = s
	}
	if err := c.matchStream.Send(matchItemsToProto(items)); err != nil {
		c.matchStream = nil
		return nil, err
	}
	type result struct {
		b   *pb.MatchResultBatch
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := c.matchStream.Recv()
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			c.matchStream = nil
			return nil, r.err
		}
		return matchResultsFromProto(r.b), nil
	case <-ctx.Done():
		// The answer may still arrive; the stream is no longer in step.
		c.matchStream = nil
		return nil, ctx.Err()
	}
}

func (c *Client) Probes(ctx context.Context) ([]PacketTemplate, error) {
	r, err := c.os.Probes(ctx, &pb.OSProbesRequest{})
	if err != nil {
		return nil, err
	}
	return templatesFromProto(r.GetTemplates()), nil
}

func (c *Client) Score(ctx context.Context, sample OSSample) (OSResult, error) {
	r, err := c.os.Score(ctx, osSampleToProto(sample))
	if err != nil {
		return OSResult{}, err
	}
	return osResultFromProto(r), nil
}

func defaultJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func parseDefault(s string) any {
	if s == "" {
		return nil
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}
