package rawscan

import (
	"errors"
	"fmt"

	"github.com/scanfw/scanfw/sdk"
)

// checkTemplates accepts what this build can send: TCP, UDP or SCTP
// templates, all of one protocol.
func checkTemplates(ts []sdk.PacketTemplate) error {
	if len(ts) == 0 {
		return errors.New("the probe type declares no packet template")
	}
	proto := ts[0].IPProtocol
	if proto != 6 && proto != 17 && proto != protoSCTP {
		return fmt.Errorf("template %q: IP protocol %d; this build sends raw TCP, UDP and SCTP", ts[0].Name, proto)
	}
	for _, t := range ts[1:] {
		if t.IPProtocol != proto {
			return fmt.Errorf("template %q is protocol %d, template %q %d: one probe type sends one protocol", ts[0].Name, proto, t.Name, t.IPProtocol)
		}
	}
	return nil
}

// newBuilders prepares every template. With one template, b builds every
// probe and byPort is nil. With several, byPort gives each scanned port
// the templates naming it, or else those naming no port (the default).
func newBuilders(ts []sdk.PacketTemplate, payload []byte, ports []uint16) (b *builder, byPort map[uint16][]*builder, err error) {
	bs := make([]*builder, len(ts))
	for i, t := range ts {
		if bs[i], err = newBuilder(t, payload); err != nil {
			return nil, nil, err
		}
	}
	if len(ts) == 1 {
		return bs[0], nil, nil
	}
	var def []*builder
	for i, t := range ts {
		if len(t.Ports) == 0 {
			def = append(def, bs[i])
		}
	}
	byPort = make(map[uint16][]*builder, len(ports))
	for _, p := range ports {
		var mine []*builder
		for i, t := range ts {
			for _, r := range t.Ports {
				if r.Lo <= p && p <= r.Hi {
					mine = append(mine, bs[i])
					break
				}
			}
		}
		if len(mine) == 0 {
			mine = def
		}
		byPort[p] = mine
	}
	return bs[0], byPort, nil
}

// maxLen is the longest packet any template builds.
func (s *scanner) maxLen() int {
	n := s.b.maxLen()
	for _, bs := range s.byPort {
		for _, b := range bs {
			n = max(n, b.maxLen())
		}
	}
	return n
}
