package main

import (
	"os"
	"path/filepath"

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
	return data.ParseProtocols(src)
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
