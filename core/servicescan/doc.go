// Package servicescan is the core's side of version detection (-sV): it
// owns every connection, picks probes from a matcher plugin's catalogue as
// Nmap's service_scan does, and sends what the ports answer to the matcher
// in batches.
//
// # On the wire
//
// For each open (or open|filtered) port: TCP connects and waits for a
// banner (the NULL probe, up to its totalwaitms, 6 s in Nmap's file);
// then each selected probe's payload on a fresh connection (UDP: a
// connected socket per probe), reading until the probe's totalwaitms or
// 4096 bytes and matching the whole response again after every read. A
// port whose answer hard-matches "ssl" is probed again, from the NULL
// probe on, inside TLS (crypto/tls, any version, no certificate check).
//
// # Same answers, less waiting
//
// Nmap runs one probe after another per port and waits out every silence.
// This package keeps Nmap's order for deciding, but runs the next few
// probes of a port at once on their own connections once the banner wait
// has been silent for a moment: the answer is still the first probe in
// Nmap's order that hard-matches, taken only when every earlier probe has
// finished without one. Nmap sends the probe after the NULL probe on the
// NULL probe's connection and keeps the banner in front of its response;
// a fresh connection gives the same bytes (banner, then the reply), so the
// early start changes no answer.
//
// The one wait that is cut short is a silent banner wait: when the NULL
// probe has seen no byte for NullGrace and later probes have already
// decided the answer, the NULL probe ends as a silence. A service that
// stays silent for NullGrace and then sends a banner that Nmap would match
// is the one case where the answers can differ; NullGrace = 0 turns the cut
// off.
//
// # Probe order (ServiceNFO::nextProbe)
//
// NULL (TCP); then, in file order, probes of the port's protocol whose
// ports (sslports inside TLS) list the port, whatever their rarity; then
// the other probes with rarity <= intensity. After a softmatch for S the
// second pass keeps only probes whose rules can name S. A response is
// matched by the plugin against the probe's rules, its fallbacks', and for
// TCP the NULL probe's.
//
// # Hostile services
//
// A response is cut at MaxResponse bytes, every connection has a deadline,
// and a port's whole work is bounded by the host's remaining time, so an
// endless banner, a huge one or binary garbage costs at most one probe's
// wait and a few KiB.
package servicescan
