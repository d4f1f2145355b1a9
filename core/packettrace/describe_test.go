package packettrace

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Packets captured on lo while Nmap 7.93 scanned it with --packet-trace;
// want is the line Nmap printed for that very packet (after "SENT (t) " or
// "RCVD (t) "), trailing spaces included.
var captured = []struct {
	name, hex, want string
}{
	{"TCP SYN with MSS", "4500002cd54100002506c2887f0000017f000001fe74001671f82c910000000060020400f90f0000020405b4",
		"TCP 127.0.0.1:65140 > 127.0.0.1:22 S ttl=37 id=54593 iplen=44  seq=1912089745 win=1024 <mss 1460>"},
	{"TCP SYN/ACK", "4500002c0000400040063cca7f0000017f00000107e8fe7478fccd6c71f82c926012ffd7fe2000000204ffd7",
		"TCP 127.0.0.1:2024 > 127.0.0.1:65140 SA ttl=64 id=0 iplen=44  seq=2029833580 win=65495 <mss 65495>"},
	{"TCP RST/ACK from a closed port", "450000280000400040063cce7f0000017f0000010016fe740000000071f82c925014000014b90000",
		"TCP 127.0.0.1:22 > 127.0.0.1:65140 RA ttl=64 id=0 iplen=40  seq=0 win=0 "},
	{"TCP ACK probe", "45000028a83b00002b06e9927f0000017f000001f2a0001600000000c559a43550100400518c0000",
		"TCP 127.0.0.1:62112 > 127.0.0.1:22 A ttl=43 id=43067 iplen=40  seq=0 win=1024 "},
	{"TCP RST to an ACK probe", "450000280000400040063cce7f0000017f0000010016f2a0c559a435000000005004000055980000",
		"TCP 127.0.0.1:22 > 127.0.0.1:62112 R ttl=64 id=0 iplen=40  seq=3310986293 win=0 "},
	{"TCP FIN probe", "45000028800a0000250617c47f0000017f000001d9ad001609919d5300000000500104002d390000",
		"TCP 127.0.0.1:55725 > 127.0.0.1:22 F ttl=37 id=32778 iplen=40  seq=160537939 win=1024 "},
	{"UDP empty probe", "4500002859f8000038112acb7f0000017f000001d00b003500142183000010000000000000000000",
		"UDP 127.0.0.1:53259 > 127.0.0.1:53 ttl=56 id=23032 iplen=40 "},
	{"UDP DNS payload", "4500003a59f8000028113ab97f0000017f000001d00b0035002697427777010000010000000000000776657273696f6e0462696e640000100003",
		"UDP 127.0.0.1:53259 > 127.0.0.1:53 ttl=40 id=23032 iplen=58 "},
	{"ICMP port unreachable quoting UDP", "45c00044f5f20000400186047f0000017f0000010303fb24000000004500002859f8000038112acb7f0000017f000001d00b003500142183000010000000000000000000",
		"ICMP [127.0.0.1 > 127.0.0.1 Port 53 unreachable (type=3/code=3) ] IP [ttl=64 id=62962 iplen=68 ]"},
	{"ICMP port unreachable quoting SNMP", "45c00074f5f40000400185d27f0000017f0000010303fb540000000045000058261600003011667d7f0000017f000001d00b00a10044e8dd303a020103300f02024a69020300ffe30401040201030410300e0400020100020100040004000400301204000400a00c020237f00201000201003000",
		"ICMP [127.0.0.1 > 127.0.0.1 Port 161 unreachable (type=3/code=3) ] IP [ttl=64 id=62964 iplen=116 ]"},
	{"IPv6 TCP SYN", "60000000001806ff0000000000000000000000000000000100000000000000000000000000000001dbf20016d2c4e110000000006002040004470000020405b4",
		"TCP ::1:56306 > ::1:22 S hopl=255 flow=0 payloadlen=24 seq=3536118032 win=1024 <mss 1460>"},
	{"IPv6 TCP RST/ACK", "600ed29a0014064000000000000000000000000000000001000000000000000000000000000000010016dbf200000000d2c4e11150140000001c0000",
		"TCP ::1:22 > ::1:56306 RA hopl=64 flow=ed29a payloadlen=20 seq=0 win=0 "},
}

func TestDescribeMatchesNmap(t *testing.T) {
	t.Parallel()
	for _, c := range captured {
		t.Run(c.name, func(t *testing.T) {
			pkt, err := hex.DecodeString(c.hex)
			if err != nil {
				t.Fatal(err)
			}
			if got := Describe(pkt); got != c.want {
				t.Errorf("Describe\n got %q\nwant %q", got, c.want)
			}
			// The same packet behind an Ethernet header reads the same.
			frame := append(make([]byte, 12), 0x08, 0x00)
			if pkt[0]>>4 == 6 {
				frame[12], frame[13] = 0x86, 0xdd
			}
			if got := DescribeFrame(append(frame, pkt...)); got != c.want {
				t.Errorf("DescribeFrame\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestDescribeOthers(t *testing.T) {
	t.Parallel()
	arp := "ffffffffffff02000000000108060001080006040001020000000001c6120001000000000000c6120102"
	cases := []struct {
		name, hex, want string
		frame           bool
	}{
		{"ARP request", arp, "ARP who-has 198.18.1.2 tell 198.18.0.1", true},
		{"ARP reply", "0200000000010200000000020806000108000604000202000000000" + "2c612010202000000000001c6120001", "ARP reply 198.18.1.2 is-at 02:00:00:00:00:02", true},
		{"not IP", "", bogus, false},
		{"ICMP echo request", "4500001c000100004001f7ce7f0000017f0000010800f7fe00010000", "ICMP [127.0.0.1 > 127.0.0.1 Echo request (type=8/code=0) id=1 seq=0] IP [ttl=64 id=1 iplen=28 ]", false},
		{"ICMP unreachable with the quote cut short", "45000024000100004001f7c67f0000017f0000010303fcfc0000000045000028", "ICMP 127.0.0.1 > 127.0.0.1 Destination unreachable (type=3/code=3) ttl=64 id=1 iplen=36 ", false},
		{"TCP options in Nmap's words", "45000040000000004006000000000000000000000016fe740000000100000000b0120000000000000204ffd70402080a00000001000000000103030700000000",
			"TCP 0.0.0.0:22 > 0.0.0.0:65140 SA ttl=64 id=0 iplen=64  seq=1 win=0 <mss 65495,sackOK,timestamp 1 0,nop,wscale 7,eol,eol,eol,eol>", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := hex.DecodeString(c.hex)
			if err != nil {
				t.Fatal(err)
			}
			got := Describe(b)
			if c.frame {
				got = DescribeFrame(b)
			}
			if got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// Every prefix of every captured packet (the receive ring cuts packets at
// its snap length) is described without reading past its end.
func TestDescribeTruncated(t *testing.T) {
	t.Parallel()
	for _, c := range captured {
		pkt, _ := hex.DecodeString(c.hex)
		for n := range len(pkt) {
			s := Describe(pkt[:n])
			if s == "" {
				t.Errorf("%s cut at %d: empty description", c.name, n)
			}
		}
	}
}

func FuzzDescribe(f *testing.F) {
	for _, c := range captured {
		pkt, _ := hex.DecodeString(c.hex)
		f.Add(pkt)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Describe(b)
		_ = DescribeFrame(b)
	})
}

func TestTracerLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := New(&out, start)
	tr.now = func() time.Time { return start.Add(31400 * time.Microsecond) }
	syn, _ := hex.DecodeString(captured[0].hex)
	tr.Sent(syn, false)
	tr.Received(syn, false, start.Add(40*time.Millisecond))
	tr.Connect(netip.MustParseAddrPort("127.0.0.1:22"), syscall.EINPROGRESS)
	tr.Connect(netip.MustParseAddrPort("127.0.0.1:22"), syscall.ECONNREFUSED)
	tr.Connect(netip.MustParseAddrPort("[::1]:2024"), nil)
	tr.Connect(netip.MustParseAddrPort("127.0.0.1:9"), errors.New("no route to host"))
	var nilTracer *Tracer
	nilTracer.Sent(syn, false) // tracing off: nothing, no panic
	want := strings.Join([]string{
		"SENT (0.0314s) " + captured[0].want,
		"RCVD (0.0400s) " + captured[0].want,
		"CONN (0.0314s) TCP localhost > 127.0.0.1:22 => Operation now in progress",
		"CONN (0.0314s) TCP localhost > 127.0.0.1:22 => Connection refused",
		"CONN (0.0314s) TCP localhost > ::1:2024 => Connected",
		"CONN (0.0314s) TCP localhost > 127.0.0.1:9 => No route to host",
	}, "\n") + "\n"
	if out.String() != want {
		t.Errorf("\n got %q\nwant %q", out.String(), want)
	}
}

// TestProtocolNames: a protocol the trace does not decode is named from
// the table in use (the project's by default, or the one set), and a
// number without a name is "unknown", as in Nmap's trace.
func TestProtocolNames(t *testing.T) {
	igmp := "4500001c00000000400200007f0000017f0000011100eeff00000000"
	p200 := "450000140000000040c800007f0000017f000001"
	for _, c := range []struct {
		name, hex, want string
		names           *[256]string
	}{
		{"the built-in table", igmp, "igmp (2) 127.0.0.1 > 127.0.0.1: ttl=64 id=0 iplen=28 ", nil},
		{"no name", p200, "unknown (200) 127.0.0.1 > 127.0.0.1: ttl=64 id=0 iplen=20 ", nil},
		{"a table set", p200, "example (200) 127.0.0.1 > 127.0.0.1: ttl=64 id=0 iplen=20 ", &[256]string{200: "example"}},
		{"a table set without the name", igmp, "unknown (2) 127.0.0.1 > 127.0.0.1: ttl=64 id=0 iplen=28 ", &[256]string{200: "example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.names != nil {
				SetProtocolNames(*c.names)
				defer protocolNames.Store(nil)
			}
			b, err := hex.DecodeString(c.hex)
			if err != nil {
				t.Fatal(err)
			}
			if got := Describe(b); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
