package lab

// The raw TCP scans that send no SYN (nmap -sF -sN -sX -sM -sA -sW).
const (
	FIN    Technique = "fin"
	NULL   Technique = "null"
	Xmas   Technique = "xmas"
	Maimon Technique = "maimon"
	ACK    Technique = "ack"
	Window Technique = "window"
)

// Unfiltered is the ACK scan's answer for a port that resets.
const Unfiltered State = "unfiltered"

// flagScanFacts is what each flag scan sees on the fw host, by how the port
// is made. Linux resets a FIN, NULL or Xmas probe only when no socket
// listens (RFC 793), but resets anything carrying ACK, listener or not, so
// Maimon (FIN+ACK) finds every reachable port closed, and its resets carry
// a zero window, so Window finds them closed too. nft's "reject with tcp
// reset" answers like a closed port.
var flagScanFacts = map[string]map[Technique]State{
	"listener": {FIN: OpenFiltered, NULL: OpenFiltered, Xmas: OpenFiltered, Maimon: Closed, ACK: Unfiltered, Window: Closed},
	"rst":      {FIN: Closed, NULL: Closed, Xmas: Closed, Maimon: Closed, ACK: Unfiltered, Window: Closed},
	"drop":     {FIN: OpenFiltered, NULL: OpenFiltered, Xmas: OpenFiltered, Maimon: OpenFiltered, ACK: Filtered, Window: Filtered},
	"icmp":     {FIN: Filtered, NULL: Filtered, Xmas: Filtered, Maimon: Filtered, ACK: Filtered, Window: Filtered},
}

func init() {
	kind := map[uint16]string{
		FWTCPOpen: "listener", FWTCPHold: "listener", FWTCPClosed: "rst", FWTCPReset: "rst",
		FWTCPDrop: "drop", FWTCPProhibited: "icmp",
	}
	for _, p := range FWHostilePorts {
		kind[p] = "listener"
	}
	for i := range FW.Ports {
		f := &FW.Ports[i]
		k, ok := kind[f.Port]
		if f.Proto != "tcp" || !ok {
			continue
		}
		for t, s := range flagScanFacts[k] {
			f.Expect[t] = s
		}
	}
}
