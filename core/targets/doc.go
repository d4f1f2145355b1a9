// Package targets turns Nmap target expressions into a stream of addresses.
//
// Parse checks one expression without DNS; ReadList and ReadListFile read
// -iL/--excludefile lists; ParseExclude splits --exclude. An Iterator then
// yields Targets one by one:
//
//	exprs, err := targets.ParseList(args)
//	excl, err := targets.ParseExclude(excludeFlag)
//	it := targets.NewIterator(exprs, excl, targets.Options{Resolve: r, Family: 4})
//	for {
//		t, err := it.Next(ctx)
//		// io.EOF: done; *ResolveError: print "Failed to resolve" and go on
//	}
//
// Nothing is expanded in memory: IPv4 expressions (single addresses, CIDR
// blocks, octet ranges and lists) are four 256-bit octet sets walked like an
// odometer, IPv6 prefixes a 128-bit counter. Next allocates nothing per
// address, so a /8 costs the same memory as one host. Exclusions are tested
// per address against the same sets (constant time per exclude expression).
//
// Behaviour kept from Nmap (checked against nmap -sL -n in the tests):
//   - every address of a CIDR block is a target, network and broadcast too;
//   - octet lists are sets: "1.2.3.5,1" yields .1 then .5;
//   - a netmask after octet ranges widens each range ("198.18.1-2.0/31");
//   - "-" in an octet is 0-255, "-5" is 0-5, "5-" is 5-255;
//   - a hostname with /n is the CIDR block around its (first) address, and
//     only that address carries the name;
//   - expressions come out in the order given, duplicates included.
//
// Departures: IPv6 needs no -6 flag (Family 0 takes both; 6 is -6), brackets
// are accepted around IPv6 literals, and a bad netmask or a three-octet
// "198.18.1" is an error instead of a guess. Excluded hostnames exclude all
// their addresses, and failing to resolve one stops the iteration: scanning
// a host the user meant to exclude is never the safe side.
package targets
