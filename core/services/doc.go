// Package services reads port-name databases in the nmap-services format and
// answers the questions the scanner asks of them: the name of a port, the
// ports of a service name or glob (for -p), and the frequency ranking behind
// --top-ports.
//
// The ranking is Nmap's: every entry of every protocol in one list, stably
// sorted by descending frequency, ties in line order; the top N are then
// taken per protocol. Within one file the first line for a port/proto wins
// (Nmap's rule); across files, LoadSources lets a later file replace an
// earlier one, and the replaced entry takes the position of the later line.
//
// Use LoadSources with data.Services (the project's embedded file) so the
// scanner works with nothing on disk. Loading Nmap's file after ours keeps
// our names for ports Nmap lacks, but ports only we list can then enter the
// top 1000; rank with Nmap's file alone to match Nmap's port sets exactly.
//
// Entries named "unknown" keep that name, as Nmap reports it (its XML has
// <service name="unknown" method="table"> for them), but no port is
// selected by the name "unknown".
package services
