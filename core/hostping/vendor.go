package hostping

import (
	"cmp"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MACPrefixFile is Nmap's table of OUI vendors, read at run time when it is
// installed (its content is Nmap's and is never copied into this tree).
var MACPrefixFile = "/usr/share/nmap/nmap-mac-prefixes"

var (
	vendorOnce sync.Once
	vendors    vendorTable
)

// Vendor names the maker of mac from Nmap's table, "" when unknown or when
// the table is not installed.
func Vendor(mac net.HardwareAddr) string {
	if len(mac) < 3 {
		return ""
	}
	vendorOnce.Do(func() { vendors = loadVendors(MACPrefixFile) })
	return vendors.lookup(uint32(mac[0])<<16 | uint32(mac[1])<<8 | uint32(mac[2]))
}

// vendorTable is the table as read: the file's text and, sorted by
// prefix, each 24-bit prefix with the offset of its name in the text. A
// map of strings held ~3.5 MB for the 32k prefixes, live for the rest of
// a scan once a discovery batch saw a MAC (twice that at the collector's
// peaks); this is the file's 0.8 MB and 8 bytes a prefix.
type vendorTable struct {
	text   string
	prefix []uint32
	name   []uint32 // offset of the prefix's name in text; it ends at the line's end
}

func (t vendorTable) lookup(p uint32) string {
	i, ok := slices.BinarySearch(t.prefix, p)
	if !ok {
		return ""
	}
	name := t.text[t.name[i]:]
	if j := strings.IndexByte(name, '\n'); j >= 0 {
		name = name[:j]
	}
	return strings.TrimSuffix(name, "\r")
}

// loadVendors reads the table: lines "PREFIX Vendor name", PREFIX six hex
// digits (longer prefixes, comments and blank lines are skipped); a
// prefix listed twice names its last vendor.
func loadVendors(path string) vendorTable {
	b, err := os.ReadFile(path)
	if err != nil {
		return vendorTable{}
	}
	t := vendorTable{text: string(b)}
	type entry struct{ prefix, name uint32 }
	var es []entry
	for off := 0; off < len(t.text); {
		line := t.text[off:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		start := off
		off += len(line) + 1
		if line == "" || line[0] == '#' {
			continue
		}
		prefix, _, ok := strings.Cut(line, " ")
		if !ok || len(prefix) != 6 {
			continue
		}
		p, err := strconv.ParseUint(prefix, 16, 32)
		if err != nil {
			continue
		}
		es = append(es, entry{uint32(p), uint32(start + len(prefix) + 1)})
	}
	slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(a.prefix, b.prefix) })
	for i, e := range es {
		if i+1 < len(es) && es[i+1].prefix == e.prefix {
			continue // the last of a prefix wins, as it did in a map
		}
		t.prefix = append(t.prefix, e.prefix)
		t.name = append(t.name, e.name)
	}
	return t
}
