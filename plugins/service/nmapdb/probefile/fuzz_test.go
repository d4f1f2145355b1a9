package probefile

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary files to the parser: it must never panic, every
// error must name a line inside the input, and every rule it keeps must
// have a non-empty pattern.
func FuzzParse(f *testing.F) {
	f.Add([]byte("Probe TCP NULL q||\nmatch ssh m|^SSH-| p/x/ cpe:/a:b:c/a\n"))
	f.Add([]byte("Exclude T:1-2\nProbe UDP D q|\\x00\\x01| no-payload\nports 53\nrarity 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, errs := Parse("fuzz", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, err := range errs {
			e, ok := err.(*Error)
			if !ok || e.Line < 1 || e.Line > lines {
				t.Fatalf("error %v names no line of a %d-line input", err, lines)
			}
		}
		for _, p := range file.Probes {
			for _, r := range p.Rules {
				if len(r.Pattern) == 0 {
					t.Fatalf("rule on line %d kept with empty pattern", r.Line)
				}
			}
		}
	})
}
