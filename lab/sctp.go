package lab

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/scanfw/scanfw/lab/labd"
	"github.com/scanfw/scanfw/lab/sctpresponder"
)

// sctpRole is the SCANFW_LAB_ROLE of the SCTP responder.
const sctpRole = "sctp"

// dispatchSCTP runs the SCTP responder role and exits if this process was
// started as it.
func dispatchSCTP() {
	if os.Getenv(labdRoleEnv) != sctpRole {
		return
	}
	fs := flag.NewFlagSet("scanfw-sctp", flag.ContinueOnError)
	open := fs.String("open", "", "SCTP ports that answer INIT with INIT-ACK")
	drop := fs.String("drop", "", "SCTP ports that never answer")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	var c sctpresponder.Config
	var err error
	if c.Open, err = labd.ParsePorts(*open); err == nil {
		c.Drop, err = labd.ParsePorts(*drop)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-sctp:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	go func() { <-sig; cancel() }()
	if err := sctpresponder.Run(ctx, c, nil); err != nil {
		fmt.Fprintln(os.Stderr, "scanfw-sctp:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// sctp starts the SCTP responder in h's namespace and waits until its raw
// socket is open (from then on the kernel stops answering SCTP with
// protocol unreachable).
func (u *upper) sctp(ctx context.Context, h *Host, c sctpresponder.Config) error {
	cmd := exec.Command(u.self, "-open", labd.FormatPorts(c.Open), "-drop", labd.FormatPorts(c.Drop))
	cmd.Env = append(os.Environ(), labdRoleEnv+"="+sctpRole)
	pid, err := u.spawn(h.NS, "sctp", cmd)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for !rawSCTPBound(pid) {
		if _, alive := procStart(pid); !alive {
			return fmt.Errorf("sctp responder %d exited: %s", pid, LogTail(u.dir, h.NS, "sctp"))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("sctp responder %d: no raw SCTP socket after 20s", pid)
		}
		time.Sleep(30 * time.Millisecond)
	}
	return nil
}

// rawSCTPBound says pid's namespace has a raw IPv4 socket for protocol 132
// (/proc/net/raw shows the protocol as the local port, 0084 in hex).
func rawSCTPBound(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/raw", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasSuffix(f[1], ":0084") {
			return true
		}
	}
	return false
}
