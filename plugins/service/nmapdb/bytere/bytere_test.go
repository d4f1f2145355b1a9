package bytere

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scanfw/scanfw/plugins/service/nmapdb/probefile"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"digit class", `\d+`, `[0-9]+`},
		{"space in class", `[\s:]`, `[\t\n\x0B\f\r :]`},
		{"negated word", `\W`, `[^0-9A-Za-z_]`},
		{"possessive star", `a\w*+b`, `a(?>[0-9A-Za-z_]*)b`},
		{"possessive group", `(ab)++c`, `(?>(ab)+)c`},
		{"possessive bound", `x{2,3}+`, `(?>x{2,3})`},
		{"lazy kept", `.*?x`, `.*?x`},
		{"nul and octal", `\0\012`, `\x00\x0A`},
		{"one hex digit", `\xA;`, `\x0A;`},
		{"literal brace", `a{b}`, `a\{b}`},
		{"bracket in class", `[[x]`, `[\[x]`},
		{"leading bracket in class", `[]a]`, `[\]a]`},
		{"raw high byte", "\xff", "\u00ff"},
		{"dollar kept", `^a$`, `^a$`},
		{"lookaround kept", `(?!x)(?<=y)`, `(?!x)(?<=y)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Translate([]byte(tc.in))
			if err != nil || got != tc.want {
				t.Errorf("Translate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		i, s    bool
		subject string
		want    bool
		group1  string
	}{
		{"high byte escape", `^\xff\xfe(.)`, false, false, "\xff\xfe\x80", true, "\x80"},
		{"high byte is not utf8", `^\xc3\xa9$`, false, false, "\u00e9", true, ""},
		{"dot any byte", `^a.b`, false, false, "a\xffb", true, ""},
		{"dot not newline", `^a.b`, false, false, "a\nb", false, ""},
		{"dot newline with s", `^a.b`, false, true, "a\nb", true, ""},
		{"dollar before final newline", `^OK$`, false, false, "OK\n", true, ""},
		{"dollar not before inner newline", `^OK$`, false, false, "OK\nX", false, ""},
		{"nul byte", `^\0\x01(\w+)\0`, false, false, "\x00\x01abc\x00", true, "abc"},
		{"digit ascii only", `^\d$`, false, false, "\u0663", false, ""},
		{"word ascii only", `^\w$`, false, false, "\xe9", false, ""},
		{"space includes VT", `^a\sb`, false, false, "a\vb", true, ""},
		{"space excludes NBSP", `^a\sb`, false, false, "a\xa0b", false, ""},
		{"case insensitive", `^server: (\w+)`, true, false, "SERVER: Foo", true, "Foo"},
		{"negative lookahead", `^HTTP/1\.[01] (?!404)(\d+)`, false, false, "HTTP/1.1 200 OK", true, "200"},
		{"lookahead rejects", `^HTTP/1\.[01] (?!404)(\d+)`, false, false, "HTTP/1.1 404 NF", false, ""},
		{"backreference", `^(["'])(\w+)\1`, false, false, `'abc'`, true, "'"},
		{"possessive gives nothing back", `^a++a`, false, false, "aaa", false, ""},
		{"atomic group", `^(?>a+)b`, false, false, "aab", true, ""},
		{"bound over 1000", `^.{1001}$`, false, true, strings.Repeat("x", 1001), true, ""},
		{"unanchored", `SSH-(\S+)`, false, false, "junk SSH-2.0", true, "2.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			re, err := Compile([]byte(tc.pattern), tc.i, tc.s, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			subj := NewSubject([]byte(tc.subject))
			spans, err := re.Match(subj)
			if err != nil {
				t.Fatal(err)
			}
			if (spans != nil) != tc.want {
				t.Fatalf("match = %v, want %v", spans != nil, tc.want)
			}
			if tc.group1 != "" && (len(spans) < 2 || string(subj.Bytes(spans[1].Start, spans[1].End)) != tc.group1) {
				t.Errorf("group 1 = %v, want %q", spans, tc.group1)
			}
		})
	}
}

func TestUnsetGroup(t *testing.T) {
	t.Parallel()
	re, err := Compile([]byte(`^a(x)?(b)`), false, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	spans, _ := re.Match(NewSubject([]byte("ab")))
	if len(spans) != 3 || spans[1].Set || !spans[2].Set {
		t.Errorf("spans = %+v, want group 1 unset and group 2 set", spans)
	}
}

// TestCatastrophicBacktracking: a pattern and input built to explode
// return a timeout error instead of hanging.
func TestCatastrophicBacktracking(t *testing.T) {
	t.Parallel()
	re, err := Compile([]byte(`^(a+)+$`), false, false, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = re.Match(NewSubject([]byte(strings.Repeat("a", 40) + "!")))
	if err == nil {
		t.Fatal("want a timeout error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("match took %v", d)
	}
}

// TestNmapRegexesCompile compiles every pattern of the installed Nmap file.
func TestNmapRegexesCompile(t *testing.T) {
	data, err := os.ReadFile("/usr/share/nmap/nmap-service-probes")
	if err != nil {
		t.Skipf("no installed Nmap probe file: %v", err)
	}
	f, errs := probefile.Parse("nmap-service-probes", data)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs[0])
	}
	var n, failed int
	start := time.Now()
	for _, p := range f.Probes {
		for _, r := range p.Rules {
			n++
			if _, err := Compile(r.Pattern, r.CaseInsensitive, r.DotAll, time.Second); err != nil {
				failed++
				t.Errorf("%s:%d: %v", r.File, r.Line, err)
			}
		}
	}
	t.Logf("%d patterns, %d failed, compiled in %v", n, failed, time.Since(start))
}
