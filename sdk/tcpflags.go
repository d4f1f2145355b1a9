package sdk

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseTCPFlags reads Nmap's --scanflags: a decimal number (0-255) or flag
// names run together in any order and case, as "URGACKPSHRSTSYNFIN" or
// "synfin". It lives here so every TCP probe type reads the setting alike.
func ParseTCPFlags(s string) (uint8, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.Atoi(s)
		if err != nil || n > 255 {
			return 0, fmt.Errorf("%q: a flags number is 0 to 255", s)
		}
		return uint8(n), nil
	}
	names := []struct {
		name string
		bit  uint8
	}{{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}, {"ALL", 0xff}, {"NONE", 0}}
	var f uint8
	rest := strings.ToUpper(s)
	if rest == "" {
		return 0, fmt.Errorf("empty flags")
	}
outer:
	for rest != "" {
		for _, n := range names {
			if strings.HasPrefix(rest, n.name) {
				f |= n.bit
				rest = rest[len(n.name):]
				continue outer
			}
		}
		return 0, fmt.Errorf("%q: unknown flag at %q (known: URG ACK PSH RST SYN FIN ECE CWR ALL NONE, or a number)", s, rest)
	}
	return f, nil
}
