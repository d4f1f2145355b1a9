// Command extplugin is a third-party output plugin as a plugin author would
// write it: its own main package, importing only the SDK. It writes one line
// per host with its open ports. The end-to-end tests build it, pin its
// sha256, and load it by path.
package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/scanfw/scanfw/sdk"
)

type lines struct{ prefix string }

func (l *lines) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		ID: "output.lines", Kind: sdk.KindOutput, Version: "1.0.0",
		Description: "one line per host: address and open ports",
		Config:      []sdk.ConfigField{{Name: "prefix", Type: "string", Description: "text before each line"}},
	}, nil
}

func (l *lines) Configure(_ context.Context, s sdk.Settings) ([]sdk.Diagnostic, error) {
	var cfg struct {
		Prefix string `json:"prefix"`
	}
	if err := s.Decode(&cfg); err != nil {
		return nil, err
	}
	if strings.ContainsAny(cfg.Prefix, "\n") {
		return []sdk.Diagnostic{{Severity: "error", Summary: "prefix must be one line", Attribute: "prefix"}}, nil
	}
	l.prefix = cfg.Prefix
	return nil, nil
}

func (l *lines) Start(context.Context, sdk.OutputDest, sdk.ScanStart) ([]byte, error) {
	sdk.Logger("output.lines").Info("starting")
	return nil, nil
}

func (l *lines) Host(_ context.Context, h sdk.Host) ([]byte, error) {
	var open []string
	for _, p := range h.Ports {
		if p.State == sdk.StateOpen {
			open = append(open, fmt.Sprintf("%d/%s", p.Number, p.Proto))
		}
	}
	return fmt.Appendf(nil, "%s%s %s %s\n", l.prefix, h.Addr, h.Status.State, strings.Join(open, ",")), nil
}

func (l *lines) End(_ context.Context, e sdk.ScanEnd) ([]byte, error) {
	return fmt.Appendf(nil, "%send %s %d/%d\n", l.prefix, e.Exit, e.HostsUp, e.HostsTotal), nil
}

func main() { sdk.Serve(&lines{}) }
