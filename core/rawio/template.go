package rawio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TCPSpec describes the fixed part of a TCP probe to one target: everything
// except the ports, sequence number, TTL and IP ID, which change per packet.
type TCPSpec struct {
	SrcMAC, DstMAC net.HardwareAddr
	Src, Dst       netip.Addr
	// Flags is the TCP flags byte (FlagSYN for a SYN scan).
	Flags uint8
	// Window defaults to 1024 when zero, as Nmap's probes.
	Window uint16
	// MSS adds the single MSS option Nmap puts on SYN probes; 0 means none.
	MSS uint16
	// Payload is appended after the TCP header (--data-length padding).
	Payload []byte
}

// TCP flag bits.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagPSH = 0x08
	FlagACK = 0x10
	FlagURG = 0x20
)

// TCPFields are the per-packet fields of a TCP probe.
type TCPFields struct {
	SrcPort, DstPort uint16
	Seq              uint32
	// TTL is the IPv4 TTL or IPv6 hop limit.
	TTL uint8
	// IPID is the IPv4 identification; IPv6 has none.
	IPID uint16
}

// TCPTemplate is a serialized probe frame plus the checksum sums of its fixed
// fields, so Write only adds the per-packet words: no serializer, no
// allocation, no pass over the payload.
type TCPTemplate struct {
	frame []byte
	v6    bool
	l4Off int
	// ipSum is the IPv4 header's ones'-complement sum with TTL, ID and checksum
	// zeroed; l4Sum the TCP pseudo-header, header and payload sum with ports,
	// sequence number and checksum zeroed.
	ipSum, l4Sum uint32
}

const ethLen = 14

// NewTCPTemplate serializes the spec with gopacket once.
func NewTCPTemplate(s TCPSpec) (*TCPTemplate, error) {
	frame, err := serializeTCP(s, TCPFields{})
	if err != nil {
		return nil, err
	}
	t := &TCPTemplate{frame: frame, v6: s.Dst.Is6()}
	if t.v6 {
		t.l4Off = ethLen + 40
	} else {
		t.l4Off = ethLen + 20
		ip := frame[ethLen:t.l4Off]
		ip[10], ip[11] = 0, 0
		t.ipSum = sum(ip, 0)
	}
	// Bound the segment by the IP length: gopacket pads short Ethernet frames
	// to 60 bytes, and the padding is not part of the checksum.
	var l4len int
	if t.v6 {
		l4len = int(binary.BigEndian.Uint16(frame[ethLen+4:]))
	} else {
		l4len = int(binary.BigEndian.Uint16(frame[ethLen+2:])) - 20
	}
	tcp := frame[t.l4Off : t.l4Off+l4len]
	tcp[16], tcp[17] = 0, 0
	t.l4Sum = sum(tcp, pseudoSum(s.Src, s.Dst, len(tcp)))
	return t, nil
}

// Len is the frame length Write produces.
func (t *TCPTemplate) Len() int { return len(t.frame) }

// Write puts the probe frame with fields f into dst (at least Len bytes) and
// returns its length.
func (t *TCPTemplate) Write(dst []byte, f TCPFields) int {
	n := copy(dst, t.frame)
	if n < len(t.frame) {
		return 0
	}
	if t.v6 {
		dst[ethLen+7] = f.TTL
	} else {
		ip := dst[ethLen:]
		binary.BigEndian.PutUint16(ip[4:], f.IPID)
		ip[8] = f.TTL
		s := t.ipSum + uint32(f.IPID) + uint32(f.TTL)<<8
		binary.BigEndian.PutUint16(ip[10:], ^fold(s))
	}
	tcp := dst[t.l4Off:]
	binary.BigEndian.PutUint16(tcp[0:], f.SrcPort)
	binary.BigEndian.PutUint16(tcp[2:], f.DstPort)
	binary.BigEndian.PutUint32(tcp[4:], f.Seq)
	s := t.l4Sum + uint32(f.SrcPort) + uint32(f.DstPort) + f.Seq>>16 + f.Seq&0xffff
	binary.BigEndian.PutUint16(tcp[16:], ^fold(s))
	return n
}

// serializeTCP is the slow, obviously right way: gopacket's layers with
// computed lengths and checksums. Templates start from it and tests compare
// Write's bytes against it.
func serializeTCP(s TCPSpec, f TCPFields) ([]byte, error) {
	if !s.Src.IsValid() || !s.Dst.IsValid() || s.Src.Is4() != s.Dst.Is4() {
		return nil, fmt.Errorf("tcp template %s -> %s: need two addresses of one family", s.Src, s.Dst)
	}
	if len(s.SrcMAC) != 6 || len(s.DstMAC) != 6 {
		return nil, errors.New("tcp template: need 6-byte source and destination MACs")
	}
	win := s.Window
	if win == 0 {
		win = 1024
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(f.SrcPort), DstPort: layers.TCPPort(f.DstPort),
		Seq: f.Seq, Window: win,
		FIN: s.Flags&FlagFIN != 0, SYN: s.Flags&FlagSYN != 0, RST: s.Flags&FlagRST != 0,
		PSH: s.Flags&FlagPSH != 0, ACK: s.Flags&FlagACK != 0, URG: s.Flags&FlagURG != 0,
	}
	if s.MSS != 0 {
		tcp.Options = []layers.TCPOption{{
			OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: binary.BigEndian.AppendUint16(nil, s.MSS),
		}}
	}
	eth := &layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC}
	var ip gopacket.SerializableLayer
	if s.Dst.Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		ip4 := &layers.IPv4{
			Version: 4, TTL: f.TTL, Id: f.IPID, Protocol: layers.IPProtocolTCP,
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice(),
		}
		_ = tcp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6 := &layers.IPv6{
			Version: 6, HopLimit: f.TTL, NextHeader: layers.IPProtocolTCP,
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice(),
		}
		_ = tcp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(s.Payload)); err != nil {
		return nil, fmt.Errorf("serialize tcp template: %w", err)
	}
	return append([]byte(nil), buf.Bytes()...), nil
}

// sum adds b as big-endian 16-bit words to s (odd tail padded with zero).
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// pseudoSum is the TCP/UDP pseudo-header sum for a segment of l4len bytes.
func pseudoSum(src, dst netip.Addr, l4len int) uint32 {
	s := sum(src.AsSlice(), 0)
	s = sum(dst.AsSlice(), s)
	return s + 6 + uint32(l4len)
}
