package profile

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Field is one setting a plugin accepts. Type is an HCL type constraint:
// "string", "number", "bool", "list(string)", "map(number)" and so on.
type Field struct {
	Name     string
	Type     string
	Required bool
}

// CheckSettings reports settings that the plugin's schema does not know,
// required settings that are missing and values of the wrong type, each at
// the attribute (or block) that caused it.
func CheckSettings(use PluginUse, schema []Field) hcl.Diagnostics {
	_, diags := DecodeSettings(use, schema)
	return diags
}

// DecodeSettings checks use against schema like CheckSettings and returns
// the settings converted to the schema's types (an HCL tuple literal
// becomes a list, say), ready to hand to the plugin.
func DecodeSettings(use PluginUse, schema []Field) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	fields := map[string]Field{}
	for _, f := range schema {
		fields[f.Name] = f
	}
	out := map[string]cty.Value{}
	for _, name := range slices.Sorted(maps.Keys(use.Settings)) {
		v := use.Settings[name]
		rng := rangePtr(use.SettingRanges, name, use.DeclRange)
		f, ok := fields[name]
		if !ok {
			detail := fmt.Sprintf("%s has no setting named %q.", use.ID, name)
			if s := suggest(name, slices.Collect(maps.Keys(fields))); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported setting", Detail: detail, Subject: rng})
			continue
		}
		ty, err := fieldType(f.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin schema",
				Detail: fmt.Sprintf("%s declares setting %q with type %q: %v", use.ID, f.Name, f.Type, err), Subject: rng})
			continue
		}
		cv, err := convert.Convert(v, ty)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect setting type",
				Detail: fmt.Sprintf("%s setting %q must be %s: %v.", use.ID, name, typeexpr.TypeString(ty), err), Subject: rng})
			continue
		}
		out[name] = cv
	}
	for _, f := range schema {
		if _, ok := use.Settings[f.Name]; f.Required && !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required setting",
				Detail: fmt.Sprintf("%s needs the setting %q (%s).", use.ID, f.Name, f.Type), Subject: nonZero(use.DeclRange)})
		}
	}
	return out, diags
}

func fieldType(s string) (cty.Type, error) {
	expr, diags := hclsyntax.ParseExpression([]byte(s), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, diags
	}
	ty, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		return cty.NilType, diags
	}
	return ty, nil
}

func rangePtr(m map[string]hcl.Range, key string, fallback hcl.Range) *hcl.Range {
	if r, ok := m[key]; ok {
		return &r
	}
	return nonZero(fallback)
}

// suggest returns the candidate closest to name, if it is close enough to
// be a plausible typo.
func suggest(name string, candidates []string) string {
	slices.Sort(candidates) // deterministic on ties
	// Allow about one slip per three characters: "max-retry" finds
	// "max-retries", but "foo" does not find "oA".
	best, bestDist := "", max(1, len(name)/3)+1
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		// On a tie the longer shared prefix wins: "max-retry" is closer to
		// "max-retries" than to "max-rate" in what the user meant.
		if d < bestDist || (d == bestDist && best != "" && commonPrefix(name, c) > commonPrefix(name, best)) {
			best, bestDist = c, d
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Suggest returns the candidate closest to name within a small edit
// distance, or "". The flag parser uses it for "did you mean".
func Suggest(name string, candidates []string) string {
	return suggest(name, slices.Clone(candidates))
}

// WriteDiagnostics prints diags the way Terraform does: file:line:col, the
// source line and the highlighted range. files should come from the Loader
// that produced the diagnostics (Loader.Files).
//
// Each diagnostic starts with a "file:line:col: severity: summary" line,
// the form editors and grep understand, followed by Terraform's block with
// the source line and the highlighted range.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	tw := hcl.NewDiagnosticTextWriter(w, files, 78, false)
	for _, d := range diags {
		if d.Subject != nil {
			sev := "error"
			if d.Severity == hcl.DiagWarning {
				sev = "warning"
			}
			s := d.Subject
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, d.Summary); err != nil {
				return err
			}
		}
		if err := tw.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	return nil
}

// WriteDiagnostics prints diags with snippets from the files l has read.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) error {
	return WriteDiagnostics(w, diags, l.Files())
}
