package hostping

import (
	"bufio"
	"net"
	"os"
	"strings"
	"sync"
)

// MACPrefixFile is Nmap's table of OUI vendors, read at run time when it is
// installed (its content is Nmap's and is never copied into this tree).
var MACPrefixFile = "/usr/share/nmap/nmap-mac-prefixes"

var (
	vendorOnce sync.Once
	vendors    map[string]string
)

// Vendor names the maker of mac from Nmap's table, "" when unknown or when
// the table is not installed.
func Vendor(mac net.HardwareAddr) string {
	if len(mac) < 3 {
		return ""
	}
	vendorOnce.Do(func() { vendors = loadVendors(MACPrefixFile) })
	key := strings.ToUpper(strings.ReplaceAll(mac[:3].String(), ":", ""))
	return vendors[key]
}

func loadVendors(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		prefix, name, ok := strings.Cut(line, " ")
		if ok && len(prefix) == 6 {
			m[strings.ToUpper(prefix)] = name
		}
	}
	return m
}
