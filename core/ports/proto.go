package ports

import "github.com/scanfw/scanfw/sdk"

// Proto is the transport a port number belongs to: the SDK's own type, so
// port lists pass to plugins and outputs without conversion. IP is the
// pseudo protocol of an IP protocol scan (-sO), whose "ports" are protocol
// numbers 0-255. The zero value is invalid so a forgotten field is caught
// rather than silently meaning TCP.
type Proto = sdk.Proto

// The protocols Nmap keeps port lists for.
const (
	TCP  = sdk.ProtoTCP
	UDP  = sdk.ProtoUDP
	SCTP = sdk.ProtoSCTP
	IP   = sdk.ProtoIP
)

// Protos lists every valid Proto in Nmap's output order.
var Protos = [...]Proto{TCP, UDP, SCTP, IP}

// ParseProto accepts the names Proto.String returns.
func ParseProto(s string) (Proto, bool) {
	p := sdk.ParseProto(s)
	return p, p != 0
}

// maxPort is the largest number a port of p may have.
func maxPort(p Proto) int {
	if p == IP {
		return 255
	}
	return 65535
}

// prefix is the letter of the -p prefix selecting p (T:, U:, S:, P:).
func prefix(p Proto) string {
	switch p {
	case TCP:
		return "T"
	case UDP:
		return "U"
	case SCTP:
		return "S"
	case IP:
		return "P"
	}
	return "?"
}
