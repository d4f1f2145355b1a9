package hostping

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/scanfw/scanfw/core/packettrace"
	"github.com/scanfw/scanfw/core/ultrascan"
	"golang.org/x/sys/unix"
)

var (
	us6     = netip.MustParseAddr("2001:db8:3::1")
	target6 = netip.MustParseAddr("2001:db8:3::10")
	mac     = net.HardwareAddr{0x02, 0xab, 0xcd, 0x00, 0x00, 0x10}
)

// The lines are Nmap 7.93's for the same probes (bench/labrun.sh nmap -6
// -sn --packet-trace on a lab host), but for the hop limit: the kernel
// writes 64 into scanfw's unicast probes where Nmap writes 255.
func TestTracedIPv6ProbeShowsTheKernelsHeader(t *testing.T) {
	t.Parallel()
	ns := func(buf []byte) int { return neighbourSolicit(buf, mac, target6) }
	probe := func(p Probe) func([]byte) int {
		return func(buf []byte) int {
			return p.formFor(target6).build(buf, netip.Addr{}, target6, m.port, uint32(m.id)<<16|uint32(seq(1, 1)))
		}
	}
	for _, c := range []struct {
		name  string
		build func([]byte) int
		next  uint8
		dst   netip.Addr
		hops  uint8
		want  string
	}{
		{"neighbour solicitation", ns, 58, solicitedNode(target6), 255,
			"ICMPv6 (58) 2001:db8:3::1 > ff02::1:ff00:10 (type=135/code=0) hopl=255 flow=0 payloadlen=32"},
		{"echo request", probe(list[0]), 58, target6, 64,
			"ICMPv6 (58) 2001:db8:3::1 > 2001:db8:3::10 (type=128/code=0) hopl=64 flow=0 payloadlen=8"},
		{"SYN to 443", probe(list[1]), 6, target6, 64,
			"TCP 2001:db8:3::1:40000 > 2001:db8:3::10:443 S hopl=64 flow=0 payloadlen=20 seq=305398017 win=0 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			buf := make([]byte, 1500)
			n := c.build(buf)
			pkt := ipv6Packet(us6, c.dst, c.next, c.hops, 0, buf[:n])
			if got := packettrace.Describe(pkt); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
			if len(pkt) != 40+n || !bytes.Equal(pkt[40:], buf[:n]) {
				t.Errorf("payload not carried whole: %d bytes for %d", len(pkt), n)
			}
		})
	}
}

func TestIPv6HeaderKeepsTheFlowLabelInItsField(t *testing.T) {
	t.Parallel()
	// A label wider than 20 bits must not spill into the traffic class
	// or the version.
	pkt := ipv6Packet(us6, target6, 58, 64, 0xfff12345, make([]byte, 8))
	if v := binary.BigEndian.Uint32(pkt); v != 0x60012345 {
		t.Errorf("first word %#08x, want 0x60012345", v)
	}
}

// cmsg is one control message as the kernel lays it out.
func cmsg(typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.IPPROTO_IPV6, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func TestRxInfoReadsTheControlMessages(t *testing.T) {
	t.Parallel()
	hop := binary.NativeEndian.AppendUint32(nil, 57)
	dst := us6.As16()
	pktinfo := binary.NativeEndian.AppendUint32(dst[:], 7)
	// Traffic class 0xb8 beside flow label 0xe24e8, in network order.
	flow := binary.BigEndian.AppendUint32(nil, 0xb8<<20|0xe24e8)
	all := append(append(cmsg(unix.IPV6_HOPLIMIT, hop), cmsg(unix.IPV6_PKTINFO, pktinfo)...), cmsg(ipv6FlowInfo, flow)...)
	for _, c := range []struct {
		name string
		oob  []byte
		want rxInfo
	}{
		{"all three", all, rxInfo{hops: 57, dst: us6, flow: 0xe24e8}},
		{"hop limit only, as when not tracing", cmsg(unix.IPV6_HOPLIMIT, hop), rxInfo{hops: 57}},
		{"truncated packet information", cmsg(unix.IPV6_PKTINFO, pktinfo[:8]), rxInfo{}},
		{"another level", append(cmsg(unix.IPV6_HOPLIMIT, hop)[:12:12], 0, 0, 0, 0), rxInfo{}},
		{"cut short", all[:5], rxInfo{}},
		{"none", nil, rxInfo{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := parseRxInfo(c.oob); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

var traceTime = regexp.MustCompile(`\(\d+\.\d{4}s\) `)

func TestReceivedIPv6IsTracedAsNmapShowsIt(t *testing.T) {
	t.Parallel()
	na := make([]byte, 32)
	na[0] = icmp6NA
	tb := target6.As16()
	copy(na[8:24], tb[:])
	na[24], na[25] = 2, 1 // target link-layer address
	copy(na[26:32], mac)
	echo := []byte{icmp6EchoReply, 0, 0, 0, 0x12, 0x34, 0, 0} // probe 0, try 0
	rx := rxInfo{hops: 64, dst: us6, flow: 0xe24e8}
	for _, c := range []struct {
		name string
		via  method
		body []byte
		rx   rxInfo
		want string
	}{
		{"advertisement answering the ND ping", viaND, na, rxInfo{hops: 255, dst: us6},
			"RCVD neighbor advertisement 2001:db8:3::10 > 2001:db8:3::1 2001:db8:3::10 is at 02:ab:cd:00:00:10\n"},
		{"advertisement answering the kernel's resolution", viaIP, na, rxInfo{hops: 255, dst: us6},
			"RCVD ICMPv6 (58) 2001:db8:3::10 > 2001:db8:3::1 (type=136/code=0) hopl=255 flow=0 payloadlen=32\n"},
		{"echo reply", viaIP, echo, rx,
			"RCVD ICMPv6 (58) 2001:db8:3::10 > 2001:db8:3::1 (type=129/code=0) hopl=64 flow=e24e8 payloadlen=8\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			cfg := Config{Probes: list, Trace: packettrace.New(&out, time.Now())}
			r := testRunner(cfg, []netip.Addr{target6}, []method{c.via})
			rep, ok := parseICMPv6(c.body, target6, c.rx.hops, m, list)
			if !ok {
				t.Fatal("reply not read")
			}
			r.traceReceived6(58, c.body, target6, c.rx, rep)
			if got := traceTime.ReplaceAllString(out.String(), ""); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestLoopbackEchoIsTracedBothWays pings ::1 with the trace on: the SENT
// line names the source and hop limit the kernel used and the RCVD line
// the destination and hop limit its control messages gave.
func TestLoopbackEchoIsTracedBothWays(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw sockets need root")
	}
	if c, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	var out syncBuffer
	cfg := Config{Probes: list[:1], Timing: ultrascan.DefaultConfig(), Trace: packettrace.New(&out, time.Now())}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg, []netip.Addr{netip.IPv6Loopback()})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Up || res[0].Reason != "echo-reply" {
		t.Fatalf("::1 not up by echo reply: %+v", res[0])
	}
	hops, err := os.ReadFile("/proc/sys/net/ipv6/conf/all/hop_limit")
	if err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(string(hops))
	got := traceTime.ReplaceAllString(out.String(), "")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^SENT ICMPv6 \(58\) ::1 > ::1 \(type=128/code=0\) hopl=` + h + ` flow=0 payloadlen=8$`),
		regexp.MustCompile(`(?m)^RCVD ICMPv6 \(58\) ::1 > ::1 \(type=129/code=0\) hopl=` + h + ` flow=[0-9a-f]+ payloadlen=8$`),
	} {
		if !want.MatchString(got) {
			t.Errorf("no line matching %s in\n%s", want, got)
		}
	}
}

// syncBuffer is a writer a test can read while receivers that outlive Run
// (they stop within their receive timeout) may still trace.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
