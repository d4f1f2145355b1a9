package ports

import "fmt"

// Proto is the transport a port number belongs to. IP is the pseudo
// protocol of an IP protocol scan (-sO), whose "ports" are protocol numbers
// 0-255.
type Proto uint8

// The protocols Nmap keeps port lists for. The zero value is invalid so a
// forgotten field is caught rather than silently meaning TCP.
const (
	TCP Proto = iota + 1
	UDP
	SCTP
	IP
)

// Protos lists every valid Proto in Nmap's output order.
var Protos = [...]Proto{TCP, UDP, SCTP, IP}

// String returns the lower-case name used in nmap-services and XML output.
func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case SCTP:
		return "sctp"
	case IP:
		return "ip"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProto accepts the names String returns.
func ParseProto(s string) (Proto, bool) {
	switch s {
	case "tcp":
		return TCP, true
	case "udp":
		return UDP, true
	case "sctp":
		return SCTP, true
	case "ip":
		return IP, true
	}
	return 0, false
}

// maxPort is the largest number a port of p may have.
func (p Proto) maxPort() int {
	if p == IP {
		return 255
	}
	return 65535
}

// prefix is the letter of the -p prefix selecting p (T:, U:, S:, P:).
func (p Proto) prefix() string {
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
