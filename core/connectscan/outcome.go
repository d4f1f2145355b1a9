package connectscan

import (
	"errors"

	"github.com/scanfw/scanfw/sdk"
	"golang.org/x/sys/unix"
)

// outcome names a connect result in the sdk's platform-neutral vocabulary.
// An empty name means the result says nothing about the port (a local
// shortage, a timeout reported by the kernel): the probe counts as
// unanswered.
func outcome(err error) string {
	if err == nil {
		return sdk.ConnectConnected
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	switch errno {
	case unix.ECONNREFUSED:
		return sdk.ConnectRefused
	case unix.EHOSTUNREACH:
		return sdk.ConnectHostUnreachable
	case unix.ENETUNREACH:
		return sdk.ConnectNetUnreachable
	case unix.EACCES, unix.EPERM:
		return sdk.ConnectProhibited
	case unix.EHOSTDOWN:
		return sdk.ConnectHostDown
	}
	return ""
}

// classifier maps outcomes to the probe type's verdicts; the first rule
// that names an outcome wins, as sdk.ReplyRule says.
type classifier map[string]sdk.Verdict

func newClassifier(spec sdk.ProbeSpec) classifier {
	c := classifier{}
	for _, r := range spec.Rules {
		if r.Match.Kind != sdk.MatchConnect {
			continue
		}
		if _, seen := c[r.Match.ConnectOutcome]; !seen {
			c[r.Match.ConnectOutcome] = r.Verdict
		}
	}
	return c
}
