package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/scanfw/scanfw/core/pluginhost"
	"github.com/scanfw/scanfw/sdk"
)

// pluginCommand handles `scanfw plugin ...`.
func pluginCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: scanfw plugin list [--plugin-dir DIR]... | scanfw plugin serve ID")
		return exitUsage
	}
	switch args[0] {
	case "serve":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: scanfw plugin serve ID")
			return exitUsage
		}
		mk := builtin(args[1])
		if mk == nil {
			fmt.Fprintf(stderr, "scanfw plugin serve: no built-in plugin %q\n", args[1])
			return exitUsage
		}
		sdk.Serve(mk())
		return 0
	case "list":
		var dirs []string
		for i := 1; i < len(args); i++ {
			switch {
			case args[i] == "--plugin-dir" && i+1 < len(args):
				dirs = append(dirs, args[i+1])
				i++
			case len(args[i]) > len("--plugin-dir=") && args[i][:len("--plugin-dir=")] == "--plugin-dir=":
				dirs = append(dirs, args[i][len("--plugin-dir="):])
			default:
				fmt.Fprintf(stderr, "scanfw plugin list: unknown argument %q\n", args[i])
				return exitUsage
			}
		}
		return pluginList(dirs, stdout, stderr)
	}
	fmt.Fprintf(stderr, "scanfw plugin: unknown subcommand %q (want list or serve)\n", args[0])
	return exitUsage
}

// pluginList prints every plugin the binary would use: the built-ins and
// the external plugins of the plugin directories. Each one is started and
// asked who it is, so the list shows what the plugin says, not what its file
// name claims.
func pluginList(dirs []string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	log := hclog.New(&hclog.LoggerOptions{Name: "scanfw", Output: stderr, Level: hclog.Warn})
	host := pluginhost.New(log)
	defer host.Close()

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "scanfw: cannot find its own executable: %v\n", err)
		return exitError
	}
	selfSum, _ := pluginhost.FileSHA256(self)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tVERSION\tSOURCE\tSHA256")
	status := 0
	for _, b := range builtins {
		p, err := host.Start(ctx, builtinSource(self, b.id))
		if err != nil {
			fmt.Fprintf(stderr, "scanfw: %v\n", err)
			status = exitError
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Info.ID, p.Info.Kind, p.Info.Version, "builtin", selfSum)
	}
	ext, errs := pluginhost.Discover(pluginhost.Dirs(dirs))
	for _, e := range errs {
		fmt.Fprintf(stderr, "scanfw: %v\n", e)
		status = exitError
	}
	for _, src := range ext {
		p, err := host.Start(ctx, src)
		if err != nil {
			fmt.Fprintf(stderr, "scanfw: %v\n", err)
			status = exitError
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Info.ID, p.Info.Kind, p.Info.Version, src.Path, src.SHA256)
	}
	tw.Flush()
	return status
}

func builtinSource(self, id string) pluginhost.Source {
	return pluginhost.Source{ID: id, Path: self, Args: []string{"plugin", "serve", id}, Builtin: true}
}
