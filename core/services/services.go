package services

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/scanfw/scanfw/core/ports"
)

// Entry is one line of a services file.
type Entry struct {
	// Name is the service name as the file gives it, "unknown" included
	// (Nmap reports that name; -p unknown selects nothing).
	Name  string
	Port  uint16
	Proto ports.Proto
	// Freq is the fraction of scanned hosts on which the port was open.
	// Files without a third column (plain /etc/services) give 0.
	Freq float64
}

// LineError is a malformed line. Parsing goes on past it.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Parse reads the nmap-services format: name, port/proto and frequency
// separated by whitespace, '#' starting a comment. Lines for protocols other
// than tcp, udp and sctp are skipped as Nmap does. A port/proto listed twice
// keeps its first line. Bad lines are returned as *LineError values joined
// into err, next to the entries of every good line.
func Parse(r io.Reader, name string) ([]Entry, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return parse(string(b), name)
}

// parse is Parse over text in memory. Why not a bufio.Scanner and
// strings.Fields: every scan loads nmap-services (27 k lines) before its
// first probe, and a string and a slice allocated per line were most of
// the parse; names here are substrings of the one copy of the text.
func parse(text, name string) ([]Entry, error) {
	out := make([]Entry, 0, strings.Count(text, "\n")+1)
	var errs []error
	seen := make(map[key]bool, cap(out))
	var fields [4]string
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := splitFields(fields[:0], line)
		if len(f) == 0 {
			continue
		}
		e, ok, err := parseFields(f)
		if err != nil {
			errs = append(errs, &LineError{File: name, Line: n, Msg: err.Error()})
			continue
		}
		k := key{e.Proto, e.Port}
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// splitFields appends line's space-separated fields to dst, as
// strings.Fields does (a '\r' of a CRLF line is space too).
func splitFields(dst []string, line string) []string {
	for i := 0; i < len(line); i++ {
		if line[i] >= utf8.RuneSelf {
			return append(dst, strings.Fields(line)...) // Unicode spaces
		}
	}
	for {
		line = strings.TrimLeft(line, " \t\r\v\f")
		if line == "" {
			return dst
		}
		end := strings.IndexAny(line, " \t\r\v\f")
		if end < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:end])
		line = line[end:]
	}
}

// parseFields returns ok=false for a valid line of an ignored protocol.
func parseFields(f []string) (Entry, bool, error) {
	if len(f) < 2 {
		return Entry{}, false, fmt.Errorf("want \"name port/proto [frequency]\", got %q", strings.Join(f, " "))
	}
	portText, protoText, found := strings.Cut(f[1], "/")
	if !found {
		return Entry{}, false, fmt.Errorf("port %q: missing /protocol", f[1])
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return Entry{}, false, fmt.Errorf("port %q: not a number from 0 to 65535", portText)
	}
	proto, ok := ports.ParseProto(strings.ToLower(protoText))
	if !ok || proto == ports.IP {
		return Entry{}, false, nil
	}
	e := Entry{Name: f[0], Port: uint16(port), Proto: proto}
	if len(f) >= 3 {
		if e.Freq, err = parseFreq(f[2]); err != nil {
			return Entry{}, false, err
		}
	}
	return e, true, nil
}

// parseFreq accepts a decimal fraction or the legacy "open/total" form.
func parseFreq(s string) (float64, error) {
	var v float64
	var err error
	if num, den, ok := strings.Cut(s, "/"); ok {
		var a, b float64
		if a, err = strconv.ParseFloat(num, 64); err == nil {
			if b, err = strconv.ParseFloat(den, 64); err == nil && b != 0 {
				v = a / b
			} else if err == nil {
				err = errors.New("zero denominator")
			}
		}
	} else {
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || v < 0 || v > 1 || v != v {
		return 0, fmt.Errorf("frequency %q: want a number from 0 to 1", s)
	}
	return v, nil
}

type key struct {
	proto ports.Proto
	port  uint16
}

// Source is a services file held in memory, such as the embedded copy of
// the project's own file.
type Source struct {
	Name string
	Data []byte
}

// DB answers name and frequency questions over one or more services files.
type DB struct {
	byKey map[key]int // index into entries
	entry []Entry
	order []int // per entry: position of its winning line over all sources
	// The ranking and the name index are built on first use: a scan that
	// names its ports by number (-p-) and only asks Name of the ports it
	// shows never needs them, and they were half of the load that every
	// scan paid before its first probe.
	indexOnce sync.Once
	ranked    [5][]ports.Ranked
	names     map[string][]PortProto
}

// PortProto is one port of a protocol.
type PortProto struct {
	Port  uint16
	Proto ports.Proto
}

// Load reads services files in order (see LoadSources). A file that cannot
// be read is an error; the caller chooses which files exist.
func Load(paths ...string) (*DB, error) {
	srcs := make([]Source, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load services: %w", err)
		}
		srcs = append(srcs, Source{Name: p, Data: b})
	}
	return LoadSources(srcs...)
}

// LoadSources merges services files. A later source replaces the name and
// frequency of a port/proto an earlier one listed and adds new ones. Ranking
// ties are broken by where the winning line stands, sources taken in order,
// so loading the project's file and then Nmap's ranks Nmap's ports exactly
// as Nmap does. The DB is returned even when some lines were bad; err then
// joins one *LineError per bad line.
func LoadSources(srcs ...Source) (*DB, error) {
	n := 0
	for _, src := range srcs {
		n += bytes.Count(src.Data, []byte{'\n'})
	}
	db := &DB{byKey: make(map[key]int, n), entry: make([]Entry, 0, n), order: make([]int, 0, n)}
	var errs []error
	pos := 0
	for _, src := range srcs {
		entries, err := parse(string(src.Data), src.Name)
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range entries {
			k := key{e.Proto, e.Port}
			if i, ok := db.byKey[k]; ok {
				db.entry[i], db.order[i] = e, pos
			} else {
				db.byKey[k] = len(db.entry)
				db.entry = append(db.entry, e)
				db.order = append(db.order, pos)
			}
			pos++
		}
	}
	return db, errors.Join(errs...)
}

// index builds the ranking and the name index (once).
func (db *DB) index() {
	db.indexOnce.Do(db.buildIndex)
}

func (db *DB) buildIndex() {
	db.names = make(map[string][]PortProto)
	idx := make([]int, len(db.entry))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(db.entry[b].Freq, db.entry[a].Freq); c != 0 {
			return c
		}
		return cmp.Compare(db.order[a], db.order[b])
	})
	for _, i := range idx {
		e := db.entry[i]
		db.ranked[e.Proto] = append(db.ranked[e.Proto], ports.Ranked{Port: e.Port, Freq: e.Freq})
		// "unknown" is a placeholder, not a name a user selects ports by.
		if e.Name != "" && e.Name != "unknown" {
			db.names[e.Name] = append(db.names[e.Name], PortProto{e.Port, e.Proto})
		}
	}
	for _, pp := range db.names {
		slices.SortFunc(pp, comparePortProto)
	}
}

func comparePortProto(a, b PortProto) int {
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	return cmp.Compare(a.Proto, b.Proto)
}

// Len is the number of port/proto entries.
func (db *DB) Len() int { return len(db.entry) }

// Name returns the service name of a port, "" when unlisted or unknown.
func (db *DB) Name(p ports.Proto, port uint16) string {
	if i, ok := db.byKey[key{p, port}]; ok {
		return db.entry[i].Name
	}
	return ""
}

// Freq returns the open frequency of a port, 0 when unlisted.
func (db *DB) Freq(p ports.Proto, port uint16) float64 {
	if i, ok := db.byKey[key{p, port}]; ok {
		return db.entry[i].Freq
	}
	return 0
}

// Lookup returns the ports of every protocol whose name matches pattern
// ('*' and '?' wildcards, case-sensitive as in Nmap), by port then proto.
func (db *DB) Lookup(pattern string) []PortProto {
	db.index()
	if !strings.ContainsAny(pattern, "*?[\\") {
		return slices.Clone(db.names[pattern])
	}
	var out []PortProto
	for name, pp := range db.names {
		if ok, _ := path.Match(pattern, name); ok {
			out = append(out, pp...)
		}
	}
	slices.SortFunc(out, comparePortProto)
	return out
}

// Match returns the ports of p whose name matches pattern, ascending.
func (db *DB) Match(pattern string, p ports.Proto) []uint16 {
	var out []uint16
	for _, pp := range db.Lookup(pattern) {
		if pp.Proto == p {
			out = append(out, pp.Port)
		}
	}
	return out
}

// Ranked returns every listed port of p, most frequent first, ties in
// order of their winning line. The slice is shared; do not modify it.
func (db *DB) Ranked(p ports.Proto) []ports.Ranked {
	db.index()
	if int(p) >= len(db.ranked) {
		return nil
	}
	return db.ranked[p]
}

// Top returns the n most frequent ports of p (all if fewer are listed),
// sorted ascending as Nmap scans them.
func (db *DB) Top(p ports.Proto, n int) []uint16 {
	r := db.Ranked(p)
	r = r[:min(n, len(r))]
	out := make([]uint16, len(r))
	for i, e := range r {
		out[i] = e.Port
	}
	slices.Sort(out)
	return out
}

var _ ports.Catalog = (*DB)(nil)
