package hostping

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"slices"

	"github.com/scanfw/scanfw/sdk"
)

// Probe is one discovery probe, built from a ping probe type's declared
// spec: the packet it sends to IPv4 and to IPv6 targets (nil when it has no
// form for that family) and the rules that read the replies.
type Probe struct {
	Name   string // the plugin and its port or protocol, for messages
	v4, v6 *form
	rules  []sdk.ReplyRule
}

// form is a template made concrete for one destination.
type form struct {
	proto uint8
	l4    []byte
	slots []sdk.Slot
	port  uint16 // written into a SlotDstPort
}

// NewProbe builds the probe of a ping probe type for one destination port
// (TCP, UDP and SCTP pings; ignored by ICMP ones), picking per address
// family the first template that names the port, else the first that
// names none.
func NewProbe(name string, spec sdk.ProbeSpec, port uint16) (Probe, error) {
	p := Probe{Name: name, rules: spec.Rules}
	for _, six := range []bool{false, true} {
		var fallback *sdk.PacketTemplate
		var pick *sdk.PacketTemplate
		for i := range spec.Templates {
			t := &spec.Templates[i]
			if (t.IPProtocol == 58) != six && (t.IPProtocol == 1 || t.IPProtocol == 58) {
				continue
			}
			if len(t.Ports) == 0 && fallback == nil {
				fallback = t
			}
			if slices.ContainsFunc(t.Ports, func(r sdk.PortRange) bool { return r.Lo <= port && port <= r.Hi }) {
				pick = t
				break
			}
		}
		if pick == nil {
			pick = fallback
		}
		if pick == nil {
			continue
		}
		f, err := newForm(name, *pick, pick.IPProtocol, port)
		if err != nil {
			return Probe{}, err
		}
		if six {
			p.v6 = f
		} else {
			p.v4 = f
		}
	}
	return p, p.check(spec)
}

// NewProtoProbe builds the probe of an IP protocol ping (-PO) for one
// protocol: the template of that protocol, else the one of protocol 0,
// which serves every other. It has an IPv4 form only.
func NewProtoProbe(name string, spec sdk.ProbeSpec, proto uint8) (Probe, error) {
	p := Probe{Name: name, rules: spec.Rules}
	var pick *sdk.PacketTemplate
	for i := range spec.Templates {
		t := &spec.Templates[i]
		if t.IPProtocol == proto {
			pick = t
			break
		}
		if t.IPProtocol == 0 && pick == nil {
			pick = t
		}
	}
	if pick == nil {
		return Probe{}, fmt.Errorf("%s: no template for IP protocol %d", name, proto)
	}
	f, err := newForm(name, *pick, proto, 0)
	if err != nil {
		return Probe{}, err
	}
	p.v4 = f
	return p, p.check(spec)
}

func newForm(name string, t sdk.PacketTemplate, proto uint8, port uint16) (*form, error) {
	for _, s := range t.Slots {
		if s.Offset < 0 || s.Width <= 0 || s.Offset+s.Width > len(t.Layer4) {
			return nil, fmt.Errorf("%s: template %s: slot at %d+%d is outside its %d bytes", name, t.Name, s.Offset, s.Width, len(t.Layer4))
		}
	}
	if len(t.Layer4) > 1400 {
		return nil, fmt.Errorf("%s: template %s: %d bytes is too long for a probe", name, t.Name, len(t.Layer4))
	}
	return &form{proto: proto, l4: t.Layer4, slots: t.Slots, port: port}, nil
}

// check refuses a probe type that is not a ping: without a host verdict
// no reply could ever make a host up.
func (p Probe) check(spec sdk.ProbeSpec) error {
	if p.v4 == nil && p.v6 == nil {
		return fmt.Errorf("%s: the probe type declares no raw IP template", p.Name)
	}
	for _, r := range spec.Rules {
		if r.Verdict.Host == sdk.HostUp {
			return nil
		}
	}
	return fmt.Errorf("%s: not a ping probe type (no rule says a host is up)", p.Name)
}

// formFor is the probe's packet for a, or nil.
func (p Probe) formFor(a netip.Addr) *form {
	if a.Is6() {
		return p.v6
	}
	return p.v4
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// build writes the probe's packet to dst into buf: the template with its
// slots filled, the checksum last. Over IPv6 the kernel fills the ICMPv6,
// TCP and UDP checksums (IPV6_CHECKSUM). cookie is the probe's identity:
// for ICMP the identifier and sequence number.
func (f *form) build(buf []byte, src, dst netip.Addr, srcPort uint16, cookie uint32) int {
	n := copy(buf, f.l4)
	b := buf[:n]
	csum := -1
	for _, s := range f.slots {
		switch s.Kind {
		case sdk.SlotSrcPort:
			putN(b[s.Offset:s.Offset+s.Width], uint32(srcPort))
		case sdk.SlotDstPort:
			putN(b[s.Offset:s.Offset+s.Width], uint32(f.port))
		case sdk.SlotCookie:
			putN(b[s.Offset:s.Offset+s.Width], cookie)
		case sdk.SlotChecksum:
			clear(b[s.Offset : s.Offset+s.Width])
			csum = s.Offset
		}
	}
	if csum < 0 {
		return n
	}
	six := dst.Is6()
	switch f.proto {
	case 132:
		binary.LittleEndian.PutUint32(b[csum:], crc32.Checksum(b, castagnoli))
	case 6, 17:
		if six {
			return n
		}
		c := checksum(b, pseudo(src, dst, f.proto, n))
		if c == 0 && f.proto == 17 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(b[csum:], c)
	case 58:
	default:
		binary.BigEndian.PutUint16(b[csum:], checksum(b, 0))
	}
	return n
}

// putN writes v big-endian into b, keeping its low len(b) bytes.
func putN(b []byte, v uint32) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// needsSource says whether the packet's checksum covers the IPv4 pseudo
// header, so the source address must be known before it is built.
func (f *form) needsSource() bool { return f.proto == 6 || f.proto == 17 }

// MaxProbes is how many probes a host can get: the ICMP sequence number
// carries the probe's index in 8 bits.
const MaxProbes = 256
