package ports

// Catalog is what port selection needs from a services database (the
// services package's *DB implements it). Keeping it an interface lets
// services import ports for Proto without a cycle.
type Catalog interface {
	// Ranked returns every port listed for p, most frequently open first,
	// ties in the database's order (Nmap's top-ports rule).
	Ranked(p Proto) []Ranked
	// Match returns the ports of p whose service name matches pattern,
	// where '*' and '?' are wildcards and case matters, as in Nmap.
	Match(pattern string, p Proto) []uint16
}

// Ranked is a port and how often it was seen open (0 to 1).
type Ranked struct {
	Port uint16
	Freq float64
}
