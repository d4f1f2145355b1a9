package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/scanfw/scanfw/core/nmapargs"
	"github.com/scanfw/scanfw/core/resume"
	"github.com/scanfw/scanfw/core/scan"
)

// checkpointEvery bounds how often the checkpoint is rewritten; hosts that
// finish in between are rescanned after a crash, never lost.
const checkpointEvery = time.Second

// resumed is the checkpoint a --resume run continues.
type resumed struct {
	path string
	ck   *resume.Checkpoint
}

// loadCheckpoint reads the checkpoint of --resume. Given alone, --resume
// runs the checkpoint's own command line again, as Nmap's does; given with
// other options, they must describe the same scan.
func loadCheckpoint(inv *nmapargs.Invocation) (*resumed, *nmapargs.Invocation, error) {
	if inv.Resume == "" {
		return nil, inv, nil
	}
	path, err := resume.Find(inv.Resume)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	ck, err := resume.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	if onlyResume(inv.Args) {
		again, err := nmapargs.Parse(ck.Args)
		if err != nil {
			return nil, nil, fmt.Errorf("--resume %s: the checkpoint's command line: %w", path, err)
		}
		again.Resume = inv.Resume
		inv = again
	}
	if err := resume.Mismatch(ck, string(inv.Profile.HCL())); err != nil {
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return &resumed{path: path, ck: ck}, inv, nil
}

func onlyResume(args []string) bool {
	switch len(args) {
	case 1:
		return len(args[0]) > len("--resume=") && args[0][:len("--resume=")] == "--resume="
	case 2:
		return args[0] == "--resume"
	}
	return false
}

// trackScan keeps a checkpoint beside the first output file (FILE.resume)
// while the scan runs, or continues the one being resumed. A scan that
// writes no file has nothing to continue and keeps none.
func trackScan(ctx context.Context, inv *nmapargs.Invocation, r *resumed, s *session, sink scan.Sink) (scan.Sink, error) {
	var outs []resume.Output
	for _, o := range s.fanout.Outputs {
		if f, ok := o.W.(*os.File); ok && o.Dest.Path != "-" && o.Dest.Path != "" {
			outs = append(outs, resume.Output{ID: o.ID, Path: o.Dest.Path, File: f})
		}
	}
	if len(outs) == 0 {
		if r != nil {
			return nil, fmt.Errorf("--resume: this scan writes no output file to continue")
		}
		return sink, nil
	}
	if r == nil {
		tr, err := resume.Start(outs[0].Path+resume.Suffix, string(inv.Profile.HCL()), inv.Args, s.plan.Start, outs, checkpointEvery)
		if err != nil {
			return nil, err
		}
		s.plan.Targets = tr.Targets(s.plan.Targets)
		return tr.Sink(sink), nil
	}
	tr, hosts, err := resume.Continue(r.path, r.ck, outs, checkpointEvery)
	if err != nil {
		return nil, err
	}
	// The outputs began with the first run's start; they continue it.
	s.plan.Start = r.ck.Start
	if err := resume.Replay(ctx, s.fanout, r.ck, hosts); err != nil {
		return nil, err
	}
	s.plan.Targets = tr.Targets(s.plan.Targets)
	return tr.Sink(sink), nil
}
