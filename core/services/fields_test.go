package services

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitFieldsLikeStringsFields: the parser's splitter must cut every
// line exactly as strings.Fields does.
func TestSplitFieldsLikeStringsFields(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, line string }{
		{"empty", ""},
		{"spaces only", " \t \r"},
		{"nmap line", "http\t80/tcp\t0.484143\t# World Wide Web HTTP"},
		{"crlf", "ssh 22/tcp 0.182286\r"},
		{"runs of mixed space", "  a \t\v b\f\fc  "},
		{"more than four fields", "a b c d e f"},
		{"unicode space", "name\u00a080/tcp 0.1"},
		{"unicode name", "café 1/tcp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf [4]string
			got := splitFields(buf[:0], tc.line)
			if want := strings.Fields(tc.line); !slices.Equal(got, want) {
				t.Errorf("splitFields(%q) = %q, want %q", tc.line, got, want)
			}
		})
	}
}
