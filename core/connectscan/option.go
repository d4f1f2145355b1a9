package connectscan

import "github.com/scanfw/scanfw/sdk"

// Option tunes a Run or a Stream.
type Option func(*scanner)

// OnPort has Run call f for each port the moment its answer is recorded,
// before its host is complete, so the terminal can report open ports as they
// are found (Nmap's "Discovered open port"). host indexes Run's addrs, or
// Stream's hosts in the order next gave them. f runs
// on the scan's goroutine and must return quickly. A retried probe can
// answer twice, so f may see the same port more than once.
func OnPort(f func(host int, p sdk.Port)) Option {
	return func(s *scanner) { s.onPort = f }
}
