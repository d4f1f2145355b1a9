package sdk

import "testing"

func TestICMPErrorRules(t *testing.T) {
	rules := ICMPErrorRules()
	want := map[[3]int]string{ // v6, type, code -> reason
		{0, 3, 13}: "admin-prohibited", {0, 3, 3}: "port-unreach", {0, 11, -1}: "time-exceeded",
		{1, 1, 4}: "port-unreach", {1, 3, -1}: "time-exceeded",
	}
	seen := map[[3]int]bool{}
	for _, r := range rules {
		m := r.Match
		if m.Kind != MatchICMP || r.Verdict.State != StateFiltered || m.FromTarget != -1 || m.TCPWindow != -1 {
			t.Errorf("rule %+v: want a filtered ICMP rule from any source", r)
		}
		v6 := 0
		if m.ICMPv6 {
			v6 = 1
		}
		k := [3]int{v6, m.ICMPType, m.ICMPCode}
		if seen[k] {
			t.Errorf("ICMP %v listed twice", k)
		}
		seen[k] = true
		if w, ok := want[k]; ok && w != r.Verdict.Reason {
			t.Errorf("ICMP %v: reason %q, want %q", k, r.Verdict.Reason, w)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("ICMP %v missing", k)
		}
	}
	// Codes Nmap ignores (3/4 fragmentation needed, say) must not be listed.
	if seen[[3]int{0, 3, 4}] {
		t.Error("3/4 listed; Nmap ignores it")
	}
	// Each call returns its own slice: a plugin may edit what it gets.
	rules[0].Verdict.Reason = "edited"
	if ICMPErrorRules()[0].Verdict.Reason == "edited" {
		t.Error("ICMPErrorRules shares its slice between calls")
	}
}
