// Package portstate holds the port-state rules of every scan technique in
// one place: how disagreeing replies merge (Update, nmap-internals §3.3), the
// per-host table of answered ports (Table), and how a host's ports are
// shown or collapsed into "Not shown" lines (Collapse, §9.3).
//
// Only answered ports are stored. A port that never answered has no entry;
// its state is the scanning technique's silence verdict, applied by
// Collapse at output time. This keeps a -p- scan of thousands of silent
// hosts small.
//
// Collapse uses core/ports.Ranges for the Nmap range lists ("1-21,23-79").
package portstate
