package sdk

import (
	"os"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// Handshake is the go-plugin handshake of scanfw plugins. The cookie only
// stops a plugin from being run by hand by mistake; it is not security.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SCANFW_PLUGIN",
	MagicCookieValue: "7f1c0e6a-scanfw-plugin",
}

// processStderr is the plugin process's real standard error, kept before
// go-plugin's Serve swaps os.Stderr for a pipe that the core discards.
var processStderr = os.Stderr

// Logger returns the logger a plugin should use. It writes hclog JSON to the
// process's standard error, which the core reads line by line and re-emits
// through its own logger under the plugin's name.
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Trace, // the core's logger decides what is shown
		Output:     processStderr,
		JSONFormat: true,
	})
}

// Serve runs impl as a plugin process and returns when the core is done with
// it. impl must implement one of ProbeType, Output, ServiceMatcher or
// OSDetector. A plugin's main is one line: sdk.Serve(myplugin.New()).
func Serve(impl Plugin) {
	ServeVersion(ProtocolVersion, impl)
}

// exitWithParent ends the plugin when the core that started it is gone. A
// core killed with SIGKILL cannot stop its plugins, and go-plugin's server
// would otherwise wait forever: an orphan is reparented, so a changed
// parent PID means the core died.
func exitWithParent(ppid int, every time.Duration) {
	for {
		time.Sleep(every)
		if os.Getppid() != ppid {
			os.Exit(0)
		}
	}
}

// ServeVersion serves impl under another protocol version than this SDK's.
// It exists so that version negotiation can be tested; plugins use Serve.
func ServeVersion(version int, impl Plugin) {
	go exitWithParent(os.Getppid(), time.Second)
	hs := Handshake
	hs.ProtocolVersion = uint(version)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]plugin.PluginSet{version: {pluginName: &grpcPlugin{impl: impl}}},
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           Logger("plugin"),
	})
}
