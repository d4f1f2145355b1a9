// Package progress is what a scan shows on the terminal while it runs,
// besides the outputs: Nmap's "Discovered open port N/tcp on ADDR" lines
// with -v, the "Stats:" lines of --stats-every, and a live status line with
// percent done and ETA.
//
// The status line goes to standard error, and only when standard error is
// a terminal: a scan whose stderr is a file or a pipe writes none of it.
// It is redrawn in place ("\r" and erase-to-end-of-line) and erased before
// anything else is written to standard output or standard error, so it
// never mixes into other lines; Terminal.Stdout and Terminal.Stderr wrap
// the writers everything else uses for that.
//
// Percent done counts port answers: every host of the scan is worth its
// ports times the techniques; a finished host counts whole, a host in
// progress by the ports that have answered (silent ports count when the
// host finishes). The number of hosts is known up front from the target
// expressions (exclusions and hostnames make it an estimate; the fraction
// is capped below 100% until the scan ends). ETA extrapolates the elapsed
// time linearly, as Nmap's does.
package progress
