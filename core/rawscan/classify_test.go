package rawscan

import (
	"testing"

	"github.com/scanfw/scanfw/core/ultrascan"
	"github.com/scanfw/scanfw/sdk"
)

// TestResponseUnderDefeatRST checks what each SYN-scan answer is worth for
// timing, with and without --defeat-rst-ratelimit: only the closed-port
// RST changes, to a rate-limited answer that proves no loss.
func TestResponseUnderDefeatRST(t *testing.T) {
	rules := synRules()
	index := func(reason string) int {
		for i, r := range rules {
			if r.Verdict.Reason == reason {
				return i
			}
		}
		t.Fatalf("no rule with reason %q", reason)
		return -1
	}
	tests := []struct {
		name      string
		reason    string
		defeat    bool
		wantKind  ultrascan.ReplyKind
		wantScore int
	}{
		{"reset", "reset", false, ultrascan.Positive, 6},
		{"reset under defeat", "reset", true, ultrascan.RateLimited, 0},
		{"syn-ack", "syn-ack", false, ultrascan.Positive, 3},
		{"syn-ack under defeat", "syn-ack", true, ultrascan.Positive, 3},
		{"icmp error under defeat", "admin-prohibited", true, ultrascan.RateLimited, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &classifier{rules: rules, defeatRST: tt.defeat}
			got := c.response(index(tt.reason))
			if got.Kind != tt.wantKind || got.PingScore != tt.wantScore {
				t.Errorf("response = %+v, want kind %d score %d", got, tt.wantKind, tt.wantScore)
			}
		})
	}
}

// TestResponseUnderDefeatICMP: with --defeat-icmp-ratelimit a UDP port
// unreachable from the target is a rate-limited answer, not the positive
// one the engine boosts and retries for.
func TestResponseUnderDefeatICMP(t *testing.T) {
	rules := udpRules()
	closed := -1
	for i, r := range rules {
		if r.Verdict.State == sdk.StateClosed {
			closed = i
		}
	}
	if closed < 0 {
		t.Fatal("udpRules has no closed rule")
	}
	for _, tt := range []struct {
		name   string
		defeat bool
		want   ultrascan.ReplyKind
	}{
		{"default", false, ultrascan.Positive},
		{"defeat-icmp-ratelimit", true, ultrascan.RateLimited},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &classifier{rules: rules, defeatICMP: tt.defeat}
			if got := c.response(closed); got.Kind != tt.want {
				t.Errorf("response = %+v, want kind %d", got, tt.want)
			}
		})
	}
}
