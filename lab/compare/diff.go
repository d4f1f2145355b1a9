package compare

import (
	"fmt"
	"sort"
	"strings"
)

// Difference is one disagreement between two results. Port is zero for a
// host-level difference; an empty A or B means that side has no such host or did
// not scan that port.
type Difference struct {
	Host string
	Key  Key
	A, B string
}

func (d Difference) String() string {
	side := func(s string) string {
		if s == "" {
			return "(absent)"
		}
		return s
	}
	if d.Key.Port == 0 && d.Key.Proto == "" {
		return fmt.Sprintf("%s: host %s vs %s", d.Host, side(d.A), side(d.B))
	}
	return fmt.Sprintf("%s %s: %s vs %s", d.Host, d.Key, side(d.A), side(d.B))
}

// Format renders differences one per line, with a header naming the two sides.
func Format(nameA, nameB string, diffs []Difference) string {
	if len(diffs) == 0 {
		return fmt.Sprintf("%s and %s agree", nameA, nameB)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d differences (%s vs %s):\n", len(diffs), nameA, nameB)
	for _, d := range diffs {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	return b.String()
}

// Diff compares two results host by host (matched by IP address) and port by port,
// after expanding folded ports. A port state the expansion cannot tell (Ambiguous)
// is reported as a difference, since agreement cannot be shown.
func Diff(a, b *Run) []Difference {
	var out []Difference
	hostsA, hostsB := byAddr(a), byAddr(b)
	addrs := map[string]bool{}
	for k := range hostsA {
		addrs[k] = true
	}
	for k := range hostsB {
		addrs[k] = true
	}
	for _, addr := range sortedKeys(addrs) {
		ha, hb := hostsA[addr], hostsB[addr]
		if ha == nil || hb == nil || ha.Status.State != hb.Status.State {
			out = append(out, Difference{Host: addr, A: status(ha), B: status(hb)})
			continue
		}
		sa, errA := a.PortStates(ha)
		sb, errB := b.PortStates(hb)
		if errA != nil || errB != nil {
			out = append(out, Difference{Host: addr, A: errString(errA, "ok"), B: errString(errB, "ok")})
			continue
		}
		keys := map[Key]bool{}
		for k := range sa {
			keys[k] = true
		}
		for k := range sb {
			keys[k] = true
		}
		var ks []Key
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool {
			if ks[i].Proto != ks[j].Proto {
				return ks[i].Proto < ks[j].Proto
			}
			return ks[i].Port < ks[j].Port
		})
		for _, k := range ks {
			if sa[k] != sb[k] || sa[k] == Ambiguous {
				out = append(out, Difference{Host: addr, Key: k, A: sa[k], B: sb[k]})
			}
		}
	}
	return out
}

func byAddr(r *Run) map[string]*Host {
	m := map[string]*Host{}
	if r == nil {
		return m
	}
	for i := range r.Hosts {
		m[r.Hosts[i].Addr()] = &r.Hosts[i]
	}
	return m
}

func status(h *Host) string {
	if h == nil {
		return ""
	}
	return h.Status.State
}

func errString(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
