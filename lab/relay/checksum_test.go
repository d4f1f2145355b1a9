package relay

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// serialize builds a frame with gopacket's checksums as the reference.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func TestFixChecksum(t *testing.T) {
	t.Parallel()
	eth4 := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	eth6 := &layers.Ethernet{SrcMAC: eth4.SrcMAC, DstMAC: eth4.DstMAC, EthernetType: layers.EthernetTypeIPv6}
	ip4 := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IP{198, 18, 250, 1}, DstIP: net.IP{198, 18, 250, 2}}
	}
	ip6 := func(p layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: p, SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
	}
	cases := []struct {
		name  string
		build func() []byte
		l4at  int // offset of the checksum field in the frame; 0: not handled
	}{
		{"udp4 odd payload", func() []byte {
			ip, u := ip4(layers.IPProtocolUDP), &layers.UDP{SrcPort: 5353, DstPort: 7}
			u.SetNetworkLayerForChecksum(ip)
			return serialize(t, eth4, ip, u, gopacket.Payload("hello, relay!"))
		}, 14 + 20 + 6},
		{"tcp4 syn", func() []byte {
			ip, c := ip4(layers.IPProtocolTCP), &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 12345, SYN: true, Window: 1024}
			c.SetNetworkLayerForChecksum(ip)
			return serialize(t, eth4, ip, c)
		}, 14 + 20 + 16},
		{"tcp6 with data", func() []byte {
			ip, c := ip6(layers.IPProtocolTCP), &layers.TCP{SrcPort: 40000, DstPort: 22, ACK: true, PSH: true, Window: 512}
			c.SetNetworkLayerForChecksum(ip)
			return serialize(t, eth6, ip, c, gopacket.Payload(bytes.Repeat([]byte{0xab}, 1001)))
		}, 14 + 40 + 16},
		{"udp6", func() []byte {
			ip, u := ip6(layers.IPProtocolUDP), &layers.UDP{SrcPort: 1, DstPort: 2}
			u.SetNetworkLayerForChecksum(ip)
			return serialize(t, eth6, ip, u, gopacket.Payload("x"))
		}, 14 + 40 + 6},
		{"icmp4 left alone", func() []byte {
			return serialize(t, eth4, ip4(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)})
		}, 0},
		{"arp left alone", func() []byte {
			e := *eth4
			e.EthernetType = layers.EthernetTypeARP
			return serialize(t, &e, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: 1, SourceHwAddress: eth4.SrcMAC, SourceProtAddress: []byte{198, 18, 250, 1}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{198, 18, 250, 2}})
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := c.build()
			got := append([]byte(nil), want...)
			if c.l4at != 0 {
				// What veth hands on: a checksum field that is not final.
				got[c.l4at], got[c.l4at+1] = 0x12, 0x34
			}
			fixed := fixChecksum(got)
			if fixed != (c.l4at != 0) {
				t.Fatalf("fixChecksum = %v, want %v", fixed, c.l4at != 0)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("frame after fix differs from reference:\n got %x\nwant %x", got, want)
			}
		})
	}
}

func TestFixChecksumTruncated(t *testing.T) {
	t.Parallel()
	// Short or lying headers must not panic or be touched.
	frames := [][]byte{
		nil,
		make([]byte, 13),
		append(make([]byte, 12), 0x08, 0x00, 0x45),
		append(make([]byte, 12), 0x08, 0x00, 0x45, 0, 0xff, 0xff, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8),
		append(make([]byte, 12), 0x86, 0xdd, 0x60, 0, 0, 0, 0xff, 0xff, 6),
	}
	for i, f := range frames {
		if fixChecksum(f) {
			t.Errorf("frame %d: claims a fix on a malformed frame", i)
		}
	}
}

func FuzzFixChecksum(f *testing.F) {
	f.Add(append(make([]byte, 12), 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 0, 8, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		fixChecksum(b)
	})
}
