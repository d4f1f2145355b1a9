package targets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"os"
	"strings"
)

// Target is one address to scan.
type Target struct {
	Addr netip.Addr
	// Name is the hostname the user gave, "" for literal addresses. In a
	// hostname/mask block only the resolved address itself carries it.
	Name string
	// Expr is the expression the target came from.
	Expr string
	// Others are the further addresses a name resolved to that are not
	// scanned without ResolveAll (Nmap prints them as "Other addresses").
	Others []netip.Addr
}

// Options tune how hostnames become addresses.
type Options struct {
	// Resolve looks a hostname up. Nil makes every hostname fail.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// ResolveAll scans every address of a name (--resolve-all), not the first.
	ResolveAll bool
	// Family limits targets to IPv4 (4) or IPv6 (6, Nmap's -6); 0 is both.
	Family int
}

// ResolveError is a hostname that gave no usable address, or a literal of
// the wrong family. Iteration goes on after it, as in Nmap ("Failed to
// resolve").
type ResolveError struct {
	Name string // the expression
	Err  error
}

func (e *ResolveError) Error() string { return fmt.Sprintf("failed to resolve %q: %v", e.Name, e.Err) }
func (e *ResolveError) Unwrap() error { return e.Err }

// Iterator streams the addresses of target expressions in Nmap's order,
// skipping excluded ones. Iterating allocates nothing per address.
type Iterator struct {
	exprs   []Expr
	exclude []Expr
	opt     Options

	excl     []block // exclusions, hostnames resolved on first use
	exclErr  error
	exclDone bool

	i      int    // index of the next expression to open
	cur    *Expr  // expression being iterated, nil between expressions
	blk    block  // its addresses
	name   string // hostname and the address that carries it
	named  netip.Addr
	others []netip.Addr
	pend   []netip.Addr // further resolved addresses (ResolveAll)

	started bool
	v4      [4]int    // current octet values
	hi, lo  uint64    // current IPv6 address
	last    [2]uint64 // last IPv6 address of the prefix
	done    bool      // current block exhausted
}

// NewIterator iterates exprs minus exclude. Exclusion hostnames are resolved
// with the same options at the first call to Next.
func NewIterator(exprs, exclude []Expr, opt Options) *Iterator {
	return &Iterator{exprs: exprs, exclude: exclude, opt: opt}
}

// Next returns the next target, io.EOF at the end, or a *ResolveError for
// an expression that yields nothing (call Next again to go on). A failure
// to resolve an exclusion is returned on every call: scanning hosts the
// user meant to exclude is never safe.
func (it *Iterator) Next(ctx context.Context) (Target, error) {
	if err := it.resolveExclusions(ctx); err != nil {
		return Target{}, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return Target{}, err
		}
		if it.cur == nil {
			if it.i == len(it.exprs) {
				return Target{}, io.EOF
			}
			e := &it.exprs[it.i]
			it.i++
			if err := it.open(ctx, e); err != nil {
				return Target{}, err
			}
			continue
		}
		a, ok := it.step()
		if !ok {
			if len(it.pend) > 0 {
				it.startBlock(blockAround(it.pend[0], -1))
				it.named, it.pend = it.pend[0], it.pend[1:]
				continue
			}
			it.cur = nil
			continue
		}
		if it.excluded(a) {
			continue
		}
		t := Target{Addr: a, Expr: it.cur.Text}
		if it.name != "" && a == it.named {
			t.Name, t.Others = it.name, it.others
		}
		return t, nil
	}
}

func (it *Iterator) excluded(a netip.Addr) bool {
	for i := range it.excl {
		if it.excl[i].contains(a) {
			return true
		}
	}
	return false
}

func (it *Iterator) resolveExclusions(ctx context.Context) error {
	if it.exclDone {
		return it.exclErr
	}
	it.exclDone = true
	for _, e := range it.exclude {
		if !e.IsHostname() {
			it.excl = append(it.excl, e.blk)
			continue
		}
		addrs, err := it.lookup(ctx, &e)
		if err != nil {
			it.exclErr = fmt.Errorf("exclude: %w", err)
			return it.exclErr
		}
		// Every address of an excluded name is excluded, whatever
		// ResolveAll says: excluding too much is the safe side.
		for _, a := range addrs {
			it.excl = append(it.excl, blockAround(a, e.bits))
		}
	}
	return nil
}

// lookup resolves e.host, keeping the addresses of the wanted family.
func (it *Iterator) lookup(ctx context.Context, e *Expr) ([]netip.Addr, error) {
	if it.opt.Resolve == nil {
		return nil, &ResolveError{Name: e.Text, Err: errors.New("no resolver")}
	}
	all, err := it.opt.Resolve(ctx, e.host)
	if err != nil {
		return nil, &ResolveError{Name: e.Text, Err: err}
	}
	var out []netip.Addr
	for _, a := range all {
		a = a.Unmap()
		if it.familyOK(a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &ResolveError{Name: e.Text, Err: fmt.Errorf("no %s address", it.familyWord())}
	}
	return out, nil
}

func (it *Iterator) familyOK(a netip.Addr) bool {
	switch it.opt.Family {
	case 4:
		return a.Is4()
	case 6:
		return a.Is6()
	}
	return true
}

func (it *Iterator) familyWord() string {
	switch it.opt.Family {
	case 4:
		return "IPv4"
	case 6:
		return "IPv6"
	}
	return "IP"
}

func (it *Iterator) open(ctx context.Context, e *Expr) error {
	it.name, it.named, it.others, it.pend = "", netip.Addr{}, nil, nil
	if !e.IsHostname() {
		if is4 := e.blk.kind == kindV4; is4 && it.opt.Family == 6 || !is4 && it.opt.Family == 4 {
			return &ResolveError{Name: e.Text, Err: fmt.Errorf("not an %s address", it.familyWord())}
		}
		it.cur = e
		it.startBlock(e.blk)
		return nil
	}
	addrs, err := it.lookup(ctx, e)
	if err != nil {
		return err
	}
	it.cur, it.name, it.named = e, e.host, addrs[0]
	if it.opt.ResolveAll && e.bits < 0 {
		it.pend = addrs[1:]
	} else {
		it.others = addrs[1:]
	}
	it.startBlock(blockAround(addrs[0], e.bits))
	return nil
}

func (it *Iterator) startBlock(b block) {
	it.blk, it.started, it.done = b, false, false
	if b.kind == kindV6 {
		a := b.v6.Addr().As16()
		it.hi, it.lo = be64(a[:8]), be64(a[8:])
		host := 128 - b.v6.Bits()
		it.last = [2]uint64{it.hi, it.lo}
		switch {
		case host >= 64:
			it.last[1] = ^uint64(0)
			it.last[0] |= lowMask(host - 64)
		default:
			it.last[1] |= lowMask(host)
		}
	}
}

func lowMask(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<n - 1
}

func be64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// step advances within the current block.
func (it *Iterator) step() (netip.Addr, bool) {
	if it.done {
		return netip.Addr{}, false
	}
	switch it.blk.kind {
	case kindV4:
		return it.stepV4()
	case kindV6:
		if it.started {
			if it.hi == it.last[0] && it.lo == it.last[1] {
				it.done = true
				return netip.Addr{}, false
			}
			it.lo++
			if it.lo == 0 {
				it.hi++
			}
		}
		it.started = true
		var b [16]byte
		for i := range 8 {
			b[i] = byte(it.hi >> (56 - 8*i))
			b[8+i] = byte(it.lo >> (56 - 8*i))
		}
		return netip.AddrFrom16(b), true
	}
	it.done = true
	return it.blk.addr, true
}

// stepV4 walks the octet sets like an odometer, last octet fastest, which
// is Nmap's order (each octet ascending, lists sorted).
func (it *Iterator) stepV4() (netip.Addr, bool) {
	o := &it.blk.v4
	if !it.started {
		it.started = true
		for i := range 4 {
			if it.v4[i] = o[i].next(0); it.v4[i] < 0 {
				it.done = true
				return netip.Addr{}, false
			}
		}
	} else {
		i := 3
		for ; i >= 0; i-- {
			if n := o[i].next(it.v4[i] + 1); n >= 0 {
				it.v4[i] = n
				break
			}
			it.v4[i] = o[i].next(0)
		}
		if i < 0 {
			it.done = true
			return netip.Addr{}, false
		}
	}
	return netip.AddrFrom4([4]byte{byte(it.v4[0]), byte(it.v4[1]), byte(it.v4[2]), byte(it.v4[3])}), true
}

// Count returns how many addresses the literal expressions hold (before
// exclusion, duplicates counted) and how many expressions are hostnames,
// whose size is known only after DNS.
func Count(exprs []Expr) (addrs *big.Int, hostnames int) {
	addrs = new(big.Int)
	for i := range exprs {
		if exprs[i].IsHostname() {
			hostnames++
			continue
		}
		addrs.Add(addrs, exprs[i].blk.size())
	}
	return addrs, hostnames
}

// ParseList parses a comma-free list of expressions as given on the command
// line; --exclude takes a comma-separated one (see ParseExclude).
func ParseList(texts []string) ([]Expr, error) {
	var out []Expr
	var errs []error
	for _, t := range texts {
		e, err := Parse(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// ParseExclude splits an --exclude value on commas. Commas inside IPv4
// octet lists are ambiguous there, so like Nmap each comma separates whole
// expressions.
func ParseExclude(s string) ([]Expr, error) {
	return ParseList(strings.Split(s, ","))
}

// ReadList reads -iL or --excludefile content: expressions separated by
// whitespace or newlines, '#' to the end of a line a comment. Bad entries
// are reported as "name:line: ..." and skipped; the good ones are returned.
func ReadList(r io.Reader, name string) ([]Expr, error) {
	var out []Expr
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		for _, f := range strings.Fields(line) {
			e, err := Parse(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %w", name, n, err))
				continue
			}
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read %s: %w", name, err))
	}
	return out, errors.Join(errs...)
}

// ReadListFile is ReadList on a file; "-" reads stdin, as in Nmap.
func ReadListFile(path string, stdin io.Reader) ([]Expr, error) {
	if path == "-" {
		return ReadList(stdin, "stdin")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("target list: %w", err)
	}
	defer f.Close()
	return ReadList(f, path)
}
