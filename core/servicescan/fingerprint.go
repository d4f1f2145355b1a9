package servicescan

import (
	"fmt"
	"strings"

	"github.com/scanfw/scanfw/sdk"
)

// Limits of Nmap's service fingerprint: each response is shown on its
// first 900 bytes, responses stop being added past 2200 characters, and
// lines wrap at 74 characters with an "SF:" prefix.
const (
	fpRespBytes = 900
	fpMaxLen    = 2200
	fpWrap      = 74
)

// fingerprint renders the port's responses in Nmap's SF-Port format, the
// text Nmap asks users to submit for unrecognised services; "" when no
// probe got an answer.
func (s *Scanner) fingerprint(p *sdk.Port, r *portResult) string {
	if len(r.fp) == 0 {
		return ""
	}
	now := s.cfg.Now()
	version, platform := s.cfg.Version, s.cfg.Platform
	if version == "" {
		version = "0"
	}
	if platform == "" {
		platform = "unknown"
	}
	tls := ""
	if r.ssl {
		tls = "%T=SSL"
	}
	var w fpWriter
	w.add(fmt.Sprintf("SF-Port%d-%s:V=%s%s%%I=%d%%D=%d/%d%%Time=%X%%P=%s",
		p.Number, strings.ToUpper(p.Proto.String()), version, tls, s.cfg.Intensity,
		int(now.Month()), now.Day(), now.Unix(), platform))
	for _, e := range r.fp {
		if w.n > fpMaxLen {
			break
		}
		w.add(fmt.Sprintf("%%r(%s,%X,\"", e.probe, len(e.resp)))
		resp := e.resp[:min(len(e.resp), fpRespBytes)]
		for i, c := range resp {
			w.add(escapeFPByte(c, i+1 < len(resp) && isDigit(resp[i+1])))
		}
		w.add("\")")
	}
	return w.b.String() + ";"
}

// fpWriter counts characters as Nmap does, wrap markers included, and
// starts a new "SF:" line before every 75th character.
type fpWriter struct {
	b strings.Builder
	n int
}

func (w *fpWriter) add(s string) {
	for i := 0; i < len(s); i++ {
		if w.n%(fpWrap+1) == fpWrap {
			w.b.WriteString("\nSF:")
			w.n += 4
		}
		w.b.WriteByte(s[i])
		w.n++
	}
}

func escapeFPByte(c byte, digitFollows bool) string {
	switch {
	case isAlnum(c):
		return string(c)
	case c == 0:
		// "\0" followed by a digit would read as an octal escape.
		if digitFollows {
			return `\x00`
		}
		return `\0`
	case strings.IndexByte(`\?"[]().*+$^|`, c) >= 0:
		return `\` + string(c)
	case c > 0x20 && c < 0x7f:
		return string(c)
	case c == '\r':
		return `\r`
	case c == '\n':
		return `\n`
	case c == '\t':
		return `\t`
	}
	return fmt.Sprintf(`\x%02x`, c)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
