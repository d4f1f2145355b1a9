package data

import _ "embed"

// UDPPayloads is scanfw-payloads, the project's own UDP payloads by port
// (the format is described at the top of the file). cmd/scanfw hands it to
// the probe.udp plugin as udp.Options{Builtin: data.UDPPayloads}.
//
//go:embed scanfw-payloads
var UDPPayloads []byte
