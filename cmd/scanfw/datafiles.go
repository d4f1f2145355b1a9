package main

import (
	"os"
	"path/filepath"

	"github.com/scanfw/scanfw/core/profile"
	"github.com/scanfw/scanfw/core/scan"
	"github.com/scanfw/scanfw/sdk"
)

// defaultNmapDir is where Debian installs Nmap's data files.
const defaultNmapDir = "/usr/share/nmap"

// nmapDataDir is where the scan reads Nmap's data files: --datadir, else
// the installed copy; "" under --no-nmap-data.
func nmapDataDir(p *profile.Profile) string {
	switch {
	case p.NoNmapData:
		return ""
	case p.DataDir != "":
		return p.DataDir
	}
	return defaultNmapDir
}

// nmapDataFiles lists the Nmap data files whose contents this scan uses,
// for the outputs' "Read data files from" note (Nmap prints the files it
// loaded): the port catalogue always, the protocol names for -sO, the UDP
// payloads for -sU, the service probes for -sV. A file that is not there
// was not read (the built-in data served). A scan without port scanning
// (-sn, -sL) names none, as Nmap reads none for it.
func nmapDataFiles(p *profile.Profile, techs []scan.Technique) []string {
	dir := nmapDataDir(p)
	if dir == "" || len(techs) == 0 {
		return nil
	}
	names := []string{"nmap-services"}
	for _, t := range techs {
		switch {
		case t.Spec.Proto == sdk.ProtoIP:
			names = append(names, "nmap-protocols")
		case t.PluginID == "probe.udp":
			names = append(names, "nmap-payloads")
		}
	}
	if p.Version.Enabled {
		names = append(names, "nmap-service-probes")
	}
	var files []string
	for _, n := range names {
		path := filepath.Join(dir, n)
		if _, err := os.Stat(path); err == nil {
			files = append(files, path)
		}
	}
	return files
}
