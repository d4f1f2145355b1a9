package servicescan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scanfw/scanfw/sdk"
)

// portSet is a parsed probe-file port list ("21,80-85").
type portSet [][2]uint16

func parsePortSet(s string) (portSet, error) {
	var out portSet
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", f)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("bad port range %q", f)
			}
		}
		out = append(out, [2]uint16{uint16(a), uint16(b)})
	}
	return out, nil
}

func (s portSet) has(p uint16) bool {
	for _, r := range s {
		if p >= r[0] && p <= r[1] {
			return true
		}
	}
	return false
}

// probe is a catalogue probe with its port lists parsed once.
type probe struct {
	sdk.ServiceProbe
	ports, sslPorts portSet
	services        map[string]bool
}

func (p *probe) isNull() bool { return p.Proto == sdk.ProtoTCP && len(p.Payload) == 0 }

// probable is Nmap's portIsProbable: sslports inside TLS, ports outside.
func (p *probe) probable(port uint16, ssl bool) bool {
	if ssl {
		return p.sslPorts.has(port)
	}
	return p.ports.has(port)
}

// Catalogue is a matcher's catalogue indexed for selection.
type Catalogue struct {
	probes  []*probe // file order, NULL excluded
	null    *probe
	exclude map[sdk.Proto]portSet
}

// NewCatalogue indexes c. A probe with a port list that does not parse is
// an error naming it: the catalogue comes from a plugin, and a silently
// dropped list would change which probes run.
func NewCatalogue(c sdk.ServiceCatalogue) (*Catalogue, error) {
	cat := &Catalogue{exclude: map[sdk.Proto]portSet{}}
	for _, sp := range c.Probes {
		p := &probe{ServiceProbe: sp, services: map[string]bool{}}
		var err error
		if p.ports, err = parsePortSet(sp.Ports); err != nil {
			return nil, fmt.Errorf("probe %s %s: ports: %w", sp.Proto, sp.Name, err)
		}
		if p.sslPorts, err = parsePortSet(sp.SSLPorts); err != nil {
			return nil, fmt.Errorf("probe %s %s: sslports: %w", sp.Proto, sp.Name, err)
		}
		for _, s := range sp.Services {
			p.services[s] = true
		}
		if p.TotalWait <= 0 {
			p.TotalWait = 5 * time.Second
		}
		if p.isNull() {
			if cat.null == nil {
				cat.null = p
			}
			continue
		}
		cat.probes = append(cat.probes, p)
	}
	if err := cat.parseExclude(c.ExcludedPorts); err != nil {
		return nil, fmt.Errorf("excluded ports %q: %w", c.ExcludedPorts, err)
	}
	return cat, nil
}

// parseExclude reads Nmap's Exclude list: ports with optional T:/U:
// prefixes; a bare list applies to every protocol.
func (c *Catalogue) parseExclude(s string) error {
	protos := []sdk.Proto{sdk.ProtoTCP, sdk.ProtoUDP}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if pre, rest, ok := strings.Cut(f, ":"); ok {
			switch strings.ToUpper(pre) {
			case "T":
				protos = []sdk.Proto{sdk.ProtoTCP}
			case "U":
				protos = []sdk.Proto{sdk.ProtoUDP}
			default:
				return fmt.Errorf("unknown protocol prefix %q", pre)
			}
			f = rest
		}
		set, err := parsePortSet(f)
		if err != nil {
			return err
		}
		for _, p := range protos {
			c.exclude[p] = append(c.exclude[p], set...)
		}
	}
	return nil
}

// Excluded says the catalogue's Exclude directive keeps proto/port out.
func (c *Catalogue) Excluded(proto sdk.Proto, port uint16) bool {
	return c.exclude[proto].has(port)
}

// Null is the TCP NULL probe, or nil if the catalogue has none.
func (c *Catalogue) Null() *sdk.ServiceProbe {
	if c.null == nil {
		return nil
	}
	return &c.null.ServiceProbe
}

// Order lists the probes after the NULL probe, in the order Nmap tries
// them on proto/port: first those whose ports (sslports inside TLS) list
// the port, whatever their rarity, then the others up to the intensity.
// soft, when set, is the softmatched service: the second pass then keeps
// only the probes whose rules can name it.
func (c *Catalogue) Order(proto sdk.Proto, port uint16, ssl bool, intensity int, soft string) []*sdk.ServiceProbe {
	return probesOf(c.order(proto, port, ssl, intensity, soft))
}

func (c *Catalogue) order(proto sdk.Proto, port uint16, ssl bool, intensity int, soft string) []*probe {
	var out []*probe
	for _, p := range c.probes {
		if p.Proto == proto && p.probable(port, ssl) {
			out = append(out, p)
		}
	}
	for _, p := range c.probes {
		if p.Proto == proto && !p.probable(port, ssl) && p.Rarity <= intensity &&
			(soft == "" || p.services[soft]) {
			out = append(out, p)
		}
	}
	return out
}

func probesOf(ps []*probe) []*sdk.ServiceProbe {
	out := make([]*sdk.ServiceProbe, len(ps))
	for i, p := range ps {
		out[i] = &p.ServiceProbe
	}
	return out
}
