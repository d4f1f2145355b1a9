package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StateDir holds the record of what the running lab made, so Down can undo it
// even after the process that made it crashed.
const StateDir = "/run/scanfw-lab"

var statePath = filepath.Join(StateDir, "state.json")

// Proc is a process the lab started. Start is the process's start time in clock
// ticks since boot (field 22 of /proc/PID/stat): a PID alone could have been reused
// by an unrelated process after a crash, the pair cannot.
type Proc struct {
	Name  string `json:"name"`
	NS    string `json:"ns"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Record is everything the lab made. Each item is recorded before it is made, so a
// crash between the two leaves at worst a record of something absent, which Down
// tolerates.
type Record struct {
	Namespaces []string `json:"namespaces"`
	Links      []string `json:"links"` // root-namespace veth ends
	Procs      []Proc   `json:"procs"`
	Dir        string   `json:"dir"`     // the lab's temporary directory
	Created    []string `json:"created"` // paths outside Dir the lab created (and removes)
	Hosts      []string `json:"hosts"`

	mu sync.Mutex
}

func (s *Record) save() error {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", StateDir, err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	return os.Rename(tmp, statePath)
}

func (s *Record) record(f func(*Record)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
	return s.save()
}

// LoadRecord reads the record of the running lab; a missing record is an empty one.
func LoadRecord() (*Record, error) {
	data, err := os.ReadFile(statePath)
	if errors.Is(err, os.ErrNotExist) {
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lab state: %w", err)
	}
	var s Record
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", statePath, err)
	}
	return &s, nil
}

// procStart returns the start time of pid, or false if no such process exists.
func procStart(pid int) (uint64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces and parentheses; fields after the
	// last ')' are plain.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false
	}
	// f[0] is field 3 (state), so field 22 (starttime) is f[19].
	v, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, false
	}
	if f[0] == "Z" {
		return v, false
	}
	return v, true
}

// Alive reports whether the recorded process still runs (same PID, same start).
func (p Proc) Alive() bool {
	st, ok := procStart(p.PID)
	return ok && st == p.Start
}

// stop sends SIGTERM, waits up to grace, then SIGKILL, then waits for it to go.
func (p Proc) stop(grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	_ = syscall.Kill(p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p.Alive() {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
	deadline = time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("process %s (pid %d) survives SIGKILL", p.Name, p.PID)
}

// Down removes everything the lab made: it stops every recorded process by its
// PID, deletes the namespaces (which takes their veths and routes with them), the
// root-side links, the temporary directory and the record. It is idempotent and
// works from the record alone, so it also cleans up after a crashed run. Namespaces
// with the lab's own names are removed even if unrecorded.
func Down(ctx context.Context) error {
	s, err := LoadRecord()
	if err != nil {
		return err
	}
	var errs []error
	// Stop in reverse start order, in parallel: each daemon may take its grace time.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := len(s.Procs) - 1; i >= 0; i-- {
		p := s.Procs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.stop(3 * time.Second); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// The lab's own namespace names are removed even when unrecorded (a record
	// lost with /run), but no other scanfw-* namespace: other tests make their own.
	namespaces := append([]string(nil), s.Namespaces...)
	namespaces = append(namespaces, SinkNS, WANRelayNS)
	for _, h := range All {
		namespaces = append(namespaces, h.NS)
	}
	seen := map[string]bool{}
	for _, ns := range namespaces {
		if seen[ns] || !nsExists(ns) {
			continue
		}
		seen[ns] = true
		if err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	// Deleting a namespace removes its veths asynchronously; a root-side end can
	// outlive the call briefly, and Up would then fail to recreate it.
	for _, l := range s.Links {
		if err := waitLinkGone(ctx, l); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range s.Created {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", p, err))
		}
	}
	if s.Dir != "" && strings.Contains(s.Dir, "scanfw-lab") {
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.Dir, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("lab down: %w", errors.Join(errs...))
	}
	if err := os.Remove(statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove lab state: %w", err)
	}
	return nil
}

func waitLinkGone(ctx context.Context, link string) error {
	deadline := time.Now().Add(5 * time.Second)
	for tries := 0; ; tries++ {
		if _, err := os.Stat("/sys/class/net/" + link); err != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("link %s still exists after 5s", link)
		}
		if tries == 10 {
			_ = run(ctx, "ip", "link", "del", link) // may race the kernel; the loop checks
		}
		time.Sleep(20 * time.Millisecond)
	}
}
