// Package pktcount counts the raw packets a scan sends and receives, for
// Nmap's closing line at -v ("Raw packets sent: 1030 (45.320KB) | Rcvd:
// 1028 (41.128KB)"). Like Nmap's own counter it is one per process: every
// raw sender and receiver of the scan adds to it, in IP bytes (link-layer
// headers left out), and the terminal reads it at the end.
package pktcount

import (
	"fmt"
	"sync/atomic"
)

var sentPackets, sentBytes, rcvdPackets, rcvdBytes atomic.Uint64

// Sent adds packets that left, ipBytes long together.
func Sent(packets, ipBytes int) {
	sentPackets.Add(uint64(packets))
	sentBytes.Add(uint64(ipBytes))
}

// Received adds packets that a receiver took in (those its filter let
// through), ipBytes long together.
func Received(packets, ipBytes int) {
	rcvdPackets.Add(uint64(packets))
	rcvdBytes.Add(uint64(ipBytes))
}

// Counts is what was counted so far.
type Counts struct {
	SentPackets, SentBytes, RcvdPackets, RcvdBytes uint64
}

// Now reads the counters.
func Now() Counts {
	return Counts{sentPackets.Load(), sentBytes.Load(), rcvdPackets.Load(), rcvdBytes.Load()}
}

// String is Nmap's form of the counts.
func (c Counts) String() string {
	return fmt.Sprintf("Raw packets sent: %d (%s) | Rcvd: %d (%s)", c.SentPackets, byteCount(c.SentBytes), c.RcvdPackets, byteCount(c.RcvdBytes))
}

// byteCount is Nmap's short form of a byte count: 44B, 2.869KB, 1.200MB.
func byteCount(n uint64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%dB", n)
	case n < 1000000:
		return fmt.Sprintf("%.3fKB", float64(n)/1000)
	}
	return fmt.Sprintf("%.3fMB", float64(n)/1000000)
}
