// Package ptytest opens pseudo-terminals for tests of what scanfw draws on
// a terminal, with golang.org/x/sys/unix alone (no pty library).
package ptytest

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Open returns a pseudo-terminal's controller and its terminal side, the
// one a program under test writes to. cols sets the terminal's width.
func Open(cols int) (controller, term *os.File, err error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	controller = os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		controller.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		controller.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	tfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		controller.Close()
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	term = os.NewFile(uintptr(tfd), name)
	if err := unix.IoctlSetWinsize(tfd, unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: uint16(cols)}); err != nil {
		controller.Close()
		term.Close()
		return nil, nil, fmt.Errorf("set window size: %w", err)
	}
	// Raw output: no "\n" -> "\r\n", so the bytes read are the bytes written.
	tio, err := unix.IoctlGetTermios(tfd, unix.TCGETS)
	if err == nil {
		tio.Oflag &^= unix.OPOST
		unix.IoctlSetTermios(tfd, unix.TCSETS, tio)
	}
	return controller, term, nil
}

// Screen replays what a program wrote to a terminal, understanding "\r",
// "\n" and erase-to-end-of-line ("\x1b[K"), and returns the lines left on
// the screen. It is how a person would see the output.
func Screen(b []byte) []string {
	var lines []string
	var cur []rune
	col := 0
	s := string(b)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "\x1b[K"):
			cur = cur[:min(col, len(cur))]
			i += 3
			continue
		case s[i] == '\r':
			col = 0
		case s[i] == '\n':
			lines = append(lines, string(cur))
			cur, col = nil, 0
		default:
			r := []rune(s[i:])[0]
			if col < len(cur) {
				cur[col] = r
			} else {
				cur = append(cur, r)
			}
			col++
			i += len(string(r))
			continue
		}
		i++
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

// IsPtyUnavailable says an error means the system has no pseudo-terminals.
func IsPtyUnavailable(err error) bool {
	return err != nil && (os.IsNotExist(err) || os.IsPermission(err) || strings.Contains(err.Error(), syscall.ENODEV.Error()))
}
