// Package resume lets an interrupted scan continue where it stopped. While
// a scan runs, a Tracker keeps a checkpoint file (replaced atomically) and a
// journal of finished hosts beside it. The checkpoint says which scan it is
// (its definition), how far the target stream was read, which of those
// targets were still in flight, and how long each output file was at that
// moment. Resuming re-reads the target stream, skips every target that
// finished, rescans the ones in flight, cuts the output files back to the
// recorded lengths and continues them, so the files end up as an
// uninterrupted scan would have left them.
package resume

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scanfw/scanfw/sdk"
)

// FormatVersion is the checkpoint format this build writes and reads.
// Version 2 added Started.
const FormatVersion = 2

// Suffix is appended to the first output file's name to place the
// checkpoint when the user names none.
const Suffix = ".resume"

// Checkpoint is the state of a scan at one moment, consistent with the
// journal and the output files' lengths it records.
type Checkpoint struct {
	Version int `json:"version"`
	// Definition is the scan's canonical profile (HCL); Hash its sha256.
	Definition string `json:"definition"`
	Hash       string `json:"hash"`
	// Args is the original command line (without the program name), so
	// that --resume FILE alone can run the same scan again.
	Args  []string      `json:"args"`
	Start sdk.ScanStart `json:"start"`
	// Started says the outputs' beginnings (an XML header, the first
	// line of -oN) are in the files, within the recorded lengths. The
	// first checkpoint is written before them; a scan stopped then
	// resumes by writing them.
	Started bool `json:"started"`
	// Consumed counts the targets taken from the stream, including names
	// that failed to resolve; InFlight are those of them not finished.
	Consumed int64    `json:"consumed"`
	InFlight []string `json:"in_flight"`
	// HostsUp and HostsDown count the finished hosts, all in the journal.
	HostsUp   int `json:"hosts_up"`
	HostsDown int `json:"hosts_down"`
	// Journal is how many bytes of the journal hold those hosts.
	Journal int64 `json:"journal_bytes"`
	// Outputs are the output files and their lengths, in profile order.
	Outputs []Mark `json:"outputs"`
}

// Mark is one output file's length at the checkpoint.
type Mark struct {
	ID     string `json:"id"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
}

// JournalPath is where the journal of the checkpoint at path lives.
func JournalPath(path string) string { return path + ".hosts" }

// Hash is the hex sha256 of a scan definition.
func Hash(definition string) string {
	sum := sha256.Sum256([]byte(definition))
	return hex.EncodeToString(sum[:])
}

// Load reads a checkpoint. A file of another format version is refused
// rather than misread.
func Load(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ck Checkpoint
	if err := json.Unmarshal(b, &ck); err != nil {
		return nil, fmt.Errorf("%s is not a scanfw checkpoint: %w", path, err)
	}
	if ck.Version != FormatVersion {
		return nil, fmt.Errorf("%s: checkpoint format %d, this build reads %d", path, ck.Version, FormatVersion)
	}
	if ck.Hash != Hash(ck.Definition) {
		return nil, fmt.Errorf("%s: checkpoint is damaged (its definition does not match its hash)", path)
	}
	return &ck, nil
}

// Save writes the checkpoint atomically: to a temporary file in the same
// directory, synced, then renamed over the old one, so a crash at any
// moment leaves either the old checkpoint or the new one.
func Save(path string, ck *Checkpoint) error {
	b, err := json.MarshalIndent(ck, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, werr)
	}
	return nil
}

// Find returns the checkpoint a --resume argument means: the file itself
// when it is a checkpoint, else the checkpoint beside that output file.
func Find(arg string) (string, error) {
	for _, p := range []string{arg, arg + Suffix} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if json.Valid(b) && strings.Contains(string(b), `"definition"`) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no checkpoint at %s or %s (a scan writes one beside its first output file while it runs and removes it when it completes)", arg, arg+Suffix)
}

// Mismatch explains how the scan asked for differs from the checkpoint's:
// the lines of the definitions that differ. Nil when they are the same.
func Mismatch(ck *Checkpoint, definition string) error {
	if Hash(definition) == ck.Hash {
		return nil
	}
	old, now := lines(ck.Definition), lines(definition)
	var diffs []string
	for l := range old {
		if !now[l] {
			diffs = append(diffs, "  checkpoint: "+l)
		}
	}
	for l := range now {
		if !old[l] {
			diffs = append(diffs, "  this scan:  "+l)
		}
	}
	// Old and new value of one setting end up next to each other.
	slices.SortFunc(diffs, func(a, b string) int { return strings.Compare(a[14:], b[14:]) })
	return errors.New("cannot resume: this is not the scan of the checkpoint; these settings differ:\n" + strings.Join(diffs, "\n"))
}

func lines(s string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		// hclwrite aligns the "=" of neighbours; one space reads better.
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			m[l] = true
		}
	}
	return m
}
