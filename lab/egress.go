package lab

import "context"

// egressRules keep a lab namespace from sending anything outside the lab: a daemon
// that resolves a name through the machine's /etc/resolv.conf, or anything else
// with a default route, gets an immediate local error instead of a packet that
// could leave the machine if the root namespace forwarded. Loopback, link-local
// and multicast (neighbour discovery) stay allowed.
const egressRules = `table inet labegress {
	chain out {
		type filter hook output priority filter; policy accept;
		oifname "lo" accept
		meta nfproto ipv4 ip daddr != { 198.18.0.0/15, 127.0.0.0/8 } reject with icmpx admin-prohibited
		meta nfproto ipv6 ip6 daddr != { 2001:db8::/32, ::1, fe80::/10, ff00::/8 } reject with icmpx admin-prohibited
	}
}
`

func confineEgress(ctx context.Context, ns string) error { return nft(ctx, ns, egressRules) }
