// Package ports turns Nmap's port options into the port lists of a scan.
//
// ParseSpec checks the syntax of -p and --exclude-ports once; Select binds a
// spec to the protocols the chosen scan types probe and to a Catalog (the
// services database) and applies --top-ports, --port-ratio, -F or the default
// top 1000:
//
//	spec, err := ports.ParseSpec("U:53,T:21-25,http*")
//	list, warnings, err := ports.Select(ports.Options{
//		Ports: spec, Scanned: []ports.Proto{ports.TCP, ports.UDP}, Catalog: db})
//	order := list.Shuffled(rng) // unless -r
//
// Pitfalls kept from Nmap on purpose:
//   - "-p-" and "-100" start at port 1; port 0 is scanned only when written.
//   - An unprefixed item applies to every scanned protocol; a prefix holds
//     until the next prefix. A prefix for a protocol that is not scanned is
//     ignored with a warning, not an error.
//   - Service names are case-sensitive globs; a name that matches nothing in
//     the scanned protocols is an error.
//   - "[lo-hi]" keeps only ports the catalogue lists.
//   - With -p and --top-ports together the top N are taken among the -p
//     ports; --exclude-ports is removed before counting N.
//   - Shuffled moves 28 popular TCP ports to the front after the shuffle, so
//     probes to likely-open ports go out first.
//
// Ranges formats a port slice as "1-1024,8080" for XML scaninfo and the
// "Not shown" lines.
package ports
