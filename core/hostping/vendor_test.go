package hostping

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestLoadVendors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mac-prefixes")
	table := "# comment\n\n000000 Xerox\n00000c Cisco Systems\n0050F2 Microsoft\r\n" +
		"0050F2A Longer Prefix\nZZZZZZ Not Hex\n525400 First\n525400 QEMU virtual NIC\nAABBCC Last Line Without Newline"
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	vt := loadVendors(path)
	for _, c := range []struct {
		name string
		mac  string
		want string
	}{
		{"first entry", "00:00:00:01:02:03", "Xerox"},
		{"lower-case prefix in the file", "00:00:0C:aa:bb:cc", "Cisco Systems"},
		{"CRLF line", "00:50:f2:00:00:01", "Microsoft"},
		{"a prefix listed twice names its last vendor", "52:54:00:12:34:56", "QEMU virtual NIC"},
		{"last line without a newline", "aa:bb:cc:00:00:00", "Last Line Without Newline"},
		{"unknown", "02:00:00:00:00:01", ""},
	} {
		mac, err := net.ParseMAC(c.mac)
		if err != nil {
			t.Fatal(err)
		}
		if got := vt.lookup(uint32(mac[0])<<16 | uint32(mac[1])<<8 | uint32(mac[2])); got != c.want {
			t.Errorf("%s: %s names %q, want %q", c.name, c.mac, got, c.want)
		}
	}
	if len(vt.prefix) != 5 {
		t.Errorf("%d prefixes, want 5 (longer, non-hex and repeated ones left out)", len(vt.prefix))
	}
	if got := loadVendors(filepath.Join(t.TempDir(), "missing")).lookup(0); got != "" {
		t.Errorf("missing table names %q", got)
	}
}

// Nmap's table (32k prefixes) once held ~3.5 MB as a map of strings, for
// the rest of a scan; read as text and two sorted slices it holds the
// file's size and 8 bytes a prefix.
func TestVendorTableMemory(t *testing.T) {
	st, err := os.Stat(MACPrefixFile)
	if err != nil {
		t.Skipf("no Nmap MAC table: %v", err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	vt := loadVendors(MACPrefixFile)
	runtime.GC()
	runtime.ReadMemStats(&after)
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if bound := st.Size() + int64(len(vt.prefix))*16; live > bound {
		t.Errorf("the table holds %d bytes live, want at most %d (the file and 16 bytes a prefix)", live, bound)
	}
	if len(vt.prefix) < 30000 {
		t.Errorf("%d prefixes read from %s", len(vt.prefix), MACPrefixFile)
	}
	runtime.KeepAlive(vt)
}
