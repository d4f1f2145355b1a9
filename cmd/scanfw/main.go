// Command scanfw is a plugin-first network scanner that takes Nmap's
// command line and writes Nmap's output formats.
//
// Exit status: 0 when the scan ran to the end; 1 when it failed or was
// interrupted after it started (the outputs still hold every host finished
// before that); 2 for bad input found before anything was sent: an unknown
// option, a malformed target, port list or profile, a missing plugin or a
// plugin whose checksum does not match.
package main

import (
	"fmt"
	"io"
	"os"
)

// Version is scanfw's own version.
const Version = "0.1.0"

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "plugin":
			return pluginCommand(args[1:], stdout, stderr)
		case "version", "--version", "-V":
			fmt.Fprintf(stdout, "scanfw version %s (plugin protocol v1)\n", Version)
			return exitOK
		}
	}
	return scanCommand(args, stdout, stderr)
}
