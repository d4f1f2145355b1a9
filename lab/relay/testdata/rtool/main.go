// Command rtool is the relay tests' traffic tool, run inside test network
// namespaces with ip netns exec. Every mode is bounded in count and time.
//
//	rtool echo  -addr IP:PORT                 UDP and TCP echo until killed
//	rtool rtt   -to IP:PORT -n N -every D     N UDP round trips, one per D; prints RTTs (µs)
//	rtool sink  -addr IP:PORT -idle D -max D  counts UDP datagrams until idle; prints count
//	rtool send  -to IP:PORT -n N -every D     N UDP datagrams, one per D
//	rtool blast -to IP:PORT -n N              N small UDP datagrams, sendmmsg batches
//	rtool ping  -to IP -n N                   N ICMP echo requests; prints replies
//	rtool tcp   -to IP:PORT                   connect, echo 1 KiB, prints connect time (µs)
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/net/ipv4"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rtool MODE flags")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "", "listen address")
	to := fs.String("to", "", "destination")
	n := fs.Int("n", 1, "count")
	every := fs.Duration("every", 0, "interval")
	idle := fs.Duration("idle", time.Second, "sink: stop after this long without a datagram")
	maxDur := fs.Duration("max", 60*time.Second, "upper bound on run time")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "echo":
		err = echo(*addr)
	case "rtt":
		err = rtt(*to, *n, *every)
	case "sink":
		err = sink(*addr, *idle, *maxDur)
	case "send":
		err = send(*to, *n, *every)
	case "blast":
		err = blast(*to, *n)
	case "ping":
		err = ping(*to, *n)
	case "tcp":
		err = tcp(*to)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtool:", err)
		os.Exit(1)
	}
}

func echo(addr string) error {
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	buf := make([]byte, 2048)
	for {
		k, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		pc.WriteTo(buf[:k], from)
	}
}

func rtt(to string, n int, every time.Duration) error {
	c, err := net.Dial("udp4", to)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 64)
	in := make([]byte, 64)
	lost := 0
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(buf, uint64(i))
		start := time.Now()
		if _, err := c.Write(buf); err != nil {
			return err
		}
		deadline := start.Add(time.Second)
		for {
			c.SetReadDeadline(deadline)
			k, err := c.Read(in)
			if err != nil {
				lost++
				break
			}
			if k >= 8 && binary.BigEndian.Uint64(in) == uint64(i) {
				fmt.Println(time.Since(start).Microseconds())
				break
			}
		}
		time.Sleep(every)
	}
	fmt.Fprintln(os.Stderr, "lost", lost)
	return nil
}

func sink(addr string, idle, maxDur time.Duration) error {
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	defer pc.Close()
	if u, ok := pc.(*net.UDPConn); ok {
		u.SetReadBuffer(8 << 20)
	}
	fmt.Fprintln(os.Stderr, "ready")
	buf := make([]byte, 2048)
	count := 0
	end := time.Now().Add(maxDur)
	wait := maxDur // the first datagram may take a while
	for time.Now().Before(end) {
		pc.SetReadDeadline(time.Now().Add(wait))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			break
		}
		count++
		wait = idle
	}
	fmt.Println(count)
	return nil
}

func send(to string, n int, every time.Duration) error {
	c, err := net.Dial("udp4", to)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 32)
	next := time.Now()
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(buf, uint64(i))
		c.Write(buf)
		next = next.Add(every)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	return nil
}

func blast(to string, n int) error {
	ua, err := net.ResolveUDPAddr("udp4", to)
	if err != nil {
		return err
	}
	c, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetWriteBuffer(8 << 20)
	pc := ipv4.NewPacketConn(c)
	const batch = 128
	msgs := make([]ipv4.Message, batch)
	bufs := make([][]byte, batch)
	for i := range msgs {
		bufs[i] = make([]byte, 18)
		msgs[i] = ipv4.Message{Buffers: [][]byte{bufs[i]}, Addr: ua}
	}
	start := time.Now()
	sent, errs := 0, 0
	for sent < n && time.Since(start) < 60*time.Second {
		k := min(batch, n-sent)
		w, err := pc.WriteBatch(msgs[:k], 0)
		if err != nil {
			errs++
			time.Sleep(10 * time.Microsecond)
		}
		sent += w
	}
	el := time.Since(start)
	fmt.Printf("%d %d\n", sent, el.Microseconds())
	fmt.Fprintln(os.Stderr, "send errors", errs)
	return nil
}

func ping(to string, n int) error {
	c, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return err
	}
	defer c.Close()
	dst := &net.IPAddr{IP: net.ParseIP(to)}
	id := uint16(os.Getpid())
	got := 0
	in := make([]byte, 1500)
	for seq := 0; seq < n; seq++ {
		msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'r', 'e', 'l', 'a', 'y', '!', '!', '!'}
		binary.BigEndian.PutUint16(msg[2:], csum(msg))
		if _, err := c.WriteTo(msg, dst); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		for {
			k, _, err := c.ReadFrom(in)
			if err != nil {
				break
			}
			r := in[:k]
			if k >= 8 && r[0] == 0 && binary.BigEndian.Uint16(r[4:]) == id && binary.BigEndian.Uint16(r[6:]) == uint16(seq) && bytes.Equal(r[8:], msg[8:]) {
				got++
				break
			}
		}
	}
	fmt.Println(got)
	return nil
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func tcp(to string) error {
	start := time.Now()
	c, err := net.DialTimeout("tcp4", to, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	connect := time.Since(start)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	out := bytes.Repeat([]byte("scanfw-relay "), 80)
	if _, err := c.Write(out); err != nil {
		return err
	}
	in := make([]byte, len(out))
	if _, err := io.ReadFull(c, in); err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if !bytes.Equal(in, out) {
		return fmt.Errorf("echo mismatch")
	}
	fmt.Println(connect.Microseconds())
	return nil
}
