// Package pluginhost starts plugin processes, verifies them, and watches
// them while a scan runs.
//
// Built-in plugins are the scanfw binary itself started again as
// `scanfw plugin serve ID`, so an install stays one file while every plugin
// still runs in its own process. External plugins are executables found in
// plugin directories or named in a profile; their sha256 is checked before
// they start.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"github.com/scanfw/scanfw/sdk"
)

// Source says how to start one plugin.
type Source struct {
	ID      string   // the ID the plugin must answer with; "" accepts any
	Path    string   // executable
	Args    []string // for built-ins: plugin serve ID
	SHA256  string   // hex digest the executable must have; required unless Builtin
	Builtin bool
}

// Origin describes where a plugin came from, for `scanfw plugin list`.
func (s Source) Origin() string {
	if s.Builtin {
		return "builtin"
	}
	return s.Path
}

// Plugin is a running plugin process.
type Plugin struct {
	Source Source
	Info   sdk.Info
	Client *sdk.Client
	gp     *plugin.Client
}

// PID returns the plugin's process ID, or 0 if unknown.
func (p *Plugin) PID() int {
	if rc := p.gp.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Host starts plugins and stops them all on Close.
type Host struct {
	log hclog.Logger

	mu      sync.Mutex
	running []*Plugin
	warm    []*warmStart // started by Warm, not yet taken by Start
	closing bool
	died    chan error
}

// New returns a Host whose plugins log through log.
func New(log hclog.Logger) *Host {
	return &Host{log: log, died: make(chan error, 1)}
}

// Died delivers one error when a plugin process exits while the host still
// needs it (before Close). A scan selects on it to stop with a clear error.
func (h *Host) Died() <-chan error { return h.died }

// Start verifies and starts the plugin, performs the handshake and asks it
// who it is. A plugin Warm already started for src is handed out instead.
func (h *Host) Start(ctx context.Context, src Source) (*Plugin, error) {
	if w := h.takeWarm(src); w != nil {
		select {
		case <-w.done:
			return w.p, w.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return h.start(ctx, src)
}

func (h *Host) start(ctx context.Context, src Source) (*Plugin, error) {
	name := src.ID
	if name == "" {
		name = src.Path
	}
	var secure *plugin.SecureConfig
	if !src.Builtin {
		if err := VerifySHA256(src.Path, src.SHA256); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", name, err)
		}
		sum, _ := hex.DecodeString(src.SHA256)
		// go-plugin checks again right before exec, narrowing the window
		// between our check and the start.
		secure = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	cmd := exec.Command(src.Path, src.Args...)
	log := h.log.Named(name)
	gp := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: sdk.PluginSet()},
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           log,
		// What a plugin prints to os.Stderr after Serve (not through its
		// logger) still reaches the user, as a log line of that plugin.
		SyncStderr:   log.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}),
		StartTimeout: 20 * time.Second,
		// Scan credentials in the core's environment are no plugin's business.
		SkipHostEnv: !src.Builtin,
	})
	rpc, err := gp.Client()
	if err != nil {
		gp.Kill()
		return nil, fmt.Errorf("start plugin %s: %w", name, explainStartError(err))
	}
	cl, err := sdk.Dispense(rpc)
	if err != nil {
		gp.Kill()
		return nil, fmt.Errorf("start plugin %s: %w", name, err)
	}
	info, err := cl.Info(ctx)
	if err != nil {
		gp.Kill()
		return nil, fmt.Errorf("plugin %s: info: %w", name, err)
	}
	if src.ID != "" && info.ID != src.ID {
		gp.Kill()
		return nil, fmt.Errorf("plugin %s: the executable %s says it is %q", src.ID, src.Path, info.ID)
	}
	p := &Plugin{Source: src, Info: info, Client: cl, gp: gp}
	h.mu.Lock()
	h.running = append(h.running, p)
	h.mu.Unlock()
	go h.watch(p)
	return p, nil
}

// watch reports a plugin that exits before Close. go-plugin has no exit
// callback, so it polls the cheap Exited flag.
func (h *Host) watch(p *Plugin) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		h.mu.Lock()
		closing := h.closing
		h.mu.Unlock()
		if closing {
			return
		}
		if p.gp.Exited() {
			h.mu.Lock()
			closing = h.closing
			h.mu.Unlock()
			if closing {
				return
			}
			err := fmt.Errorf("plugin %s (pid %d) exited unexpectedly", p.Info.ID, p.PID())
			h.log.Error("plugin died", "plugin", p.Info.ID, "pid", p.PID())
			select {
			case h.died <- err:
			default:
			}
			return
		}
	}
}

// Close stops every plugin the host started.
func (h *Host) Close() {
	h.mu.Lock()
	h.closing = true
	warm := h.warm
	h.warm = nil
	h.mu.Unlock()
	// A warm start still under way would otherwise add its process after
	// the list below was taken, and leave it running.
	for _, w := range warm {
		<-w.done
	}
	h.mu.Lock()
	running := h.running
	h.running = nil
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range running {
		wg.Add(1)
		go func() { defer wg.Done(); p.gp.Kill() }()
	}
	wg.Wait()
}

var versionMismatch = regexp.MustCompile(`Plugin version: (\d+)`)

// explainStartError turns go-plugin's handshake errors into ones that name
// both protocol versions and say what to do.
func explainStartError(err error) error {
	msg := err.Error()
	if m := versionMismatch.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "incompatible API version") {
		return fmt.Errorf("plugin speaks scanfw plugin protocol v%s, this scanfw speaks v%d: use a build of the plugin for protocol v%d", m[1], sdk.ProtocolVersion, sdk.ProtocolVersion)
	}
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return fmt.Errorf("sha256 of the executable changed before it could start: %w", err)
	}
	return err
}

// VerifySHA256 checks that the file at path has the hex digest want.
func VerifySHA256(path, want string) error {
	if want == "" {
		return fmt.Errorf("%s: no sha256 given; external plugins must be pinned (sha256 in the profile's plugin block or a %s.sha256 file beside it)", path, path)
	}
	if _, err := hex.DecodeString(want); err != nil || len(want) != 64 {
		return fmt.Errorf("%s: sha256 %q is not 64 hex digits", path, want)
	}
	got, err := FileSHA256(path)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%s: sha256 mismatch: expected %s, the file has %s; refusing to start it", path, strings.ToLower(want), got)
	}
	return nil
}

// FileSHA256 returns the hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
