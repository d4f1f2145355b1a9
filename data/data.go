// Package data embeds the project's own data files so the scanner works
// without anything installed on disk.
package data

import _ "embed"

// Services is scanfw-services, port names and open frequencies in the
// nmap-services format (see README.md for how it is made).
//
//go:embed scanfw-services
var Services []byte

// ServiceProbes is scanfw-service-probes, the project's own service and
// version probes in the nmap-service-probes format. cmd/scanfw hands it to
// the service.nmapdb plugin as nmapdb.Options{Builtin: data.ServiceProbes}.
//
//go:embed scanfw-service-probes
var ServiceProbes []byte

// Protocols is scanfw-protocols, IP protocol names by number (IANA's
// registry) for the service column of an IP protocol scan.
//
//go:embed scanfw-protocols
var Protocols []byte
