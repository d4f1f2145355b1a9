package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/scanfw/scanfw/data"
	"github.com/scanfw/scanfw/sdk"
)

// protocolNames names IP protocol numbers for an IP protocol scan's
// service column, as Nmap does from nmap-protocols: the installed file
// (or --datadir's) unless --no-nmap-data (dir ""), else the project's own
// IANA table. Lines that do not parse are skipped.
func protocolNames(dir string) [256]string {
	src := data.Protocols
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "nmap-protocols")); err == nil {
			src = b
		}
	}
	return parseProtocols(src)
}

// parseProtocols reads "NAME NUMBER ..." lines; a later name for a number
// replaces an earlier one.
func parseProtocols(src []byte) [256]string {
	var names [256]string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 255 {
			continue
		}
		names[n] = f[0]
	}
	return names
}

// withProtocolNames answers IP protocol numbers from names and every other
// port from next.
func withProtocolNames(names [256]string, next func(sdk.Proto, uint16) string) func(sdk.Proto, uint16) string {
	return func(p sdk.Proto, n uint16) string {
		if p == sdk.ProtoIP {
			if n < 256 {
				return names[n]
			}
			return ""
		}
		return next(p, n)
	}
}
