package json

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// schemaPath is the published schema; the tests check our records against
// the file users get, not against a copy.
const schemaPath = "../../../docs/scanfw-jsonl.schema.json"

// validator checks a JSON value against the subset of JSON Schema 2020-12
// that docs/scanfw-jsonl.schema.json uses: type, const, enum, pattern,
// minimum, maximum, properties, required, additionalProperties: false,
// items, oneOf and local $ref. A keyword outside that subset is an error,
// so the schema cannot grow past what this test checks.
type validator struct {
	root map[string]any
}

func loadSchema(t *testing.T) *validator {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return &validator{root: root}
}

var known = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "$defs": true,
	"type": true, "const": true, "enum": true, "pattern": true, "minimum": true, "maximum": true,
	"properties": true, "required": true, "additionalProperties": true, "items": true, "oneOf": true, "$ref": true,
}

func (v *validator) check(s map[string]any, x any, at string) error {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return fmt.Errorf("schema keyword %q at %s is not supported by this test's validator", k, at)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		def, _ := v.root["$defs"].(map[string]any)[name].(map[string]any)
		if !found || def == nil {
			return fmt.Errorf("%s: unresolvable $ref %q", at, ref)
		}
		if err := v.check(def, x, at); err != nil {
			return err
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		var errs []string
		for _, a := range alts {
			if err := v.check(a.(map[string]any), x, at); err != nil {
				errs = append(errs, err.Error())
			} else {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf (want 1): %s", at, n, strings.Join(errs, "; "))
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(x, typ) {
		return fmt.Errorf("%s: %s is not of type %s", at, compact(x), typ)
	}
	if c, ok := s["const"]; ok && !equal(c, x) {
		return fmt.Errorf("%s: %s is not %s", at, compact(x), compact(c))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(c any) bool { return equal(c, x) }) {
		return fmt.Errorf("%s: %s is not one of %s", at, compact(x), compact(e))
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := x.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", at, str, p)
		}
	}
	if f, ok := x.(float64); ok {
		if m, ok := s["minimum"].(float64); ok && f < m {
			return fmt.Errorf("%s: %v < minimum %v", at, f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return fmt.Errorf("%s: %v > maximum %v", at, f, m)
		}
	}
	if obj, ok := x.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					return fmt.Errorf("%s: required property %q is missing", at, r)
				}
			}
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, ok := s["additionalProperties"].(bool); ok && !ap {
					return fmt.Errorf("%s: property %q is not in the schema", at, k)
				}
				continue
			}
			if err := v.check(ps, obj[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	if arr, ok := x.([]any); ok {
		if is, ok := s["items"].(map[string]any); ok {
			for i, e := range arr {
				if err := v.check(is, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Validate checks one line of output.
func (v *validator) Validate(line []byte) error {
	var x any
	if err := json.Unmarshal(line, &x); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return v.check(v.root, x, "$")
}

func hasType(x any, typ string) bool {
	switch typ {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		f, ok := x.(float64)
		return ok && f == math.Trunc(f)
	case "null":
		return x == nil
	}
	return false
}

func equal(a, b any) bool { return compact(a) == compact(b) }

func compact(x any) string {
	b, _ := json.Marshal(x)
	return string(b)
}
