package profile

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	schema := []Field{
		{Name: "stylesheet", Type: "string"},
		{Name: "ports", Type: "list(string)"},
		{Name: "max_payload", Type: "number", Required: true},
		{Name: "badsum", Type: "bool"},
	}
	tests := []struct {
		name       string
		body       string
		wantDiags  []string // one substring per expected diagnostic, in order
		wantLines  []int
		wantSettle map[string]cty.Value
	}{
		{name: "valid, tuple becomes list", body: "max_payload = 10\nports = [\"22\", \"80\"]\n",
			wantSettle: map[string]cty.Value{"max_payload": cty.NumberIntVal(10),
				"ports": cty.ListVal([]cty.Value{cty.StringVal("22"), cty.StringVal("80")})}},
		{name: "number converts to string as HCL does", body: "max_payload = 1\nstylesheet = 5\n",
			wantSettle: map[string]cty.Value{"max_payload": cty.NumberIntVal(1), "stylesheet": cty.StringVal("5")}},
		{name: "typo", body: "max_payload = 1\nstylesheat = \"x\"\n",
			wantDiags: []string{`no setting named "stylesheat". Did you mean "stylesheet"?`}, wantLines: []int{3}},
		{name: "unknown without suggestion", body: "max_payload = 1\ncolour = \"x\"\n",
			wantDiags: []string{`no setting named "colour".`}, wantLines: []int{3}},
		{name: "missing required", body: "badsum = true\n",
			wantDiags: []string{`needs the setting "max_payload"`}, wantLines: []int{1}},
		{name: "wrong type", body: "max_payload = \"lots\"\nbadsum = [1]\n",
			wantDiags: []string{`"badsum" must be bool`, `"max_payload" must be number`}, wantLines: []int{3, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, diags := Parse([]byte("probe \"probe.tcp_syn\" {\n"+tc.body+"}\n"), "s.hcl")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, diags := DecodeSettings(p.Scans[0], schema)
			if len(diags) != len(tc.wantDiags) {
				t.Fatalf("diags = %v, want %d", diags, len(tc.wantDiags))
			}
			for i, want := range tc.wantDiags {
				if !strings.Contains(diags[i].Detail, want) {
					t.Errorf("diag %d = %q, want ...%q...", i, diags[i].Detail, want)
				}
				if diags[i].Subject == nil || diags[i].Subject.Start.Line != tc.wantLines[i] {
					t.Errorf("diag %d subject %v, want line %d", i, diags[i].Subject, tc.wantLines[i])
				}
			}
			if tc.wantSettle != nil && !settingsEqual(got, tc.wantSettle) {
				t.Errorf("DecodeSettings = %#v, want %#v", got, tc.wantSettle)
			}
		})
	}
}

func TestCheckSettingsBadSchema(t *testing.T) {
	t.Parallel()
	use := PluginUse{ID: "probe.x", Settings: map[string]cty.Value{"a": cty.True}}
	diags := CheckSettings(use, []Field{{Name: "a", Type: "boolean"}})
	if len(diags) != 1 || diags[0].Summary != "Invalid plugin schema" {
		t.Errorf("diags = %v", diags)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	cands := []string{"--max-retries", "--max-rate", "--min-rate", "--open"}
	for in, want := range map[string]string{"--max-retry": "--max-retries", "--opne": "--open", "--xyzzy-foo": "", "--min-rat": "--min-rate"} {
		if got := Suggest(in, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
