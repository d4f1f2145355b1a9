package labd

import (
	"context"
	"errors"
	"net"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// freePort asks the kernel for a free port of network on loopback.
func freePort(t *testing.T, network string) uint16 {
	t.Helper()
	var addr net.Addr
	if network == "tcp" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	} else {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr()
		pc.Close()
	}
	_, p, _ := net.SplitHostPort(addr.String())
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

func TestListeners(t *testing.T) {
	cfg := Config{
		Bind:      "127.0.0.1",
		TCPClose:  []uint16{freePort(t, "tcp")},
		TCPHold:   []uint16{freePort(t, "tcp")},
		UDPEcho:   []uint16{freePort(t, "udp")},
		UDPSilent: []uint16{freePort(t, "udp")},
		HoldFor:   5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	addr := func(p uint16) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p))) }
	dial := func(network string, p uint16) net.Conn {
		for i := 0; i < 50; i++ { // Run binds asynchronously
			c, err := net.Dial(network, addr(p))
			if err == nil {
				_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
				return c
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("cannot dial %s %d", network, p)
		return nil
	}
	buf := make([]byte, 16)

	t.Run("tcp close", func(t *testing.T) {
		c := dial("tcp", cfg.TCPClose[0])
		defer c.Close()
		if _, err := c.Read(buf); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read on a closing port: %v, want EOF or reset", err)
		}
	})
	t.Run("tcp hold", func(t *testing.T) {
		c := dial("tcp", cfg.TCPHold[0])
		defer c.Close()
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read on a holding port: %v, want a timeout (still open)", err)
		}
	})
	for _, c := range []struct {
		name  string
		port  uint16
		reply bool
	}{{"udp echo", cfg.UDPEcho[0], true}, {"udp silent", cfg.UDPSilent[0], false}} {
		t.Run(c.name, func(t *testing.T) {
			var got bool
			for try := 0; try < 3 && !got; try++ {
				conn := dial("udp", c.port)
				_, _ = conn.Write([]byte("ping"))
				n, err := conn.Read(buf)
				got = err == nil && string(buf[:n]) == "ping"
				conn.Close()
			}
			if got != c.reply {
				t.Errorf("reply %v, want %v", got, c.reply)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	c, err := ParseFlags([]string{"-tcp-close", "80,443", "-udp-silent", "9", "-bind", "0.0.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bind: "0.0.0.0", TCPClose: []uint16{80, 443}, UDPSilent: []uint16{9}, HoldFor: time.Minute}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	for _, bad := range []string{"0", "65536", "x", "1,,2"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
	if got := FormatPorts([]uint16{7, 9}); got != "7,9" {
		t.Errorf("FormatPorts = %q", got)
	}
}
