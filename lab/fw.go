package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/scanfw/scanfw/lab/labd"
)

// fwRules gives the fw host's filtered and reset ports. Listeners sit behind every
// rule, so the state a scanner sees comes from the rule, not from a missing socket.
func fwRules() string {
	return fmt.Sprintf(`table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport %[1]d reject with tcp reset
		tcp dport %[2]d drop
		tcp dport %[3]d reject with icmpx admin-prohibited
		udp dport %[4]d drop
		udp dport %[5]d reject with icmpx admin-prohibited
		meta l4proto %[6]d drop
		meta l4proto %[7]d reject with icmpx admin-prohibited
		meta l4proto sctp th dport %[8]d reject with icmpx admin-prohibited
	}
}
`, FWTCPReset, FWTCPDrop, FWTCPProhibited, FWUDPDrop, FWUDPProhibited, FWProtoDrop, FWProtoProhibited, FWSCTPProhibited)
}

func (u *upper) fw(ctx context.Context, h *Host) error {
	if err := nft(ctx, h.NS, fwRules()); err != nil {
		return err
	}
	c := labd.Config{
		TCPClose:   []uint16{FWTCPOpen, FWTCPReset, FWTCPDrop, FWTCPProhibited},
		TCPHold:    []uint16{FWTCPHold},
		UDPEcho:    []uint16{FWUDPEcho, FWUDPDrop, FWUDPProhibited},
		UDPSilent:  []uint16{FWUDPSilent},
		HoldFor:    30 * time.Second,
		TCPHuge:    []uint16{FWHostileHuge},
		TCPEndless: []uint16{FWHostileEndless},
		TCPReDoS:   []uint16{FWHostileReDoS},
		TCPGarbage: []uint16{FWHostileGarbage},
		TCPReset:   []uint16{FWHostileReset},
	}
	pid, err := u.labd(ctx, h, "labd", c)
	if err != nil {
		return err
	}
	if err := u.sctp(ctx, h, fwSCTP); err != nil {
		return err
	}
	return waitListening(ctx, pid, append(append(c.TCPClose, c.TCPHold...), FWHostilePorts...), append(c.UDPEcho, c.UDPSilent...))
}
