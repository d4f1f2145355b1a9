package labd

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// HostileArgs are the scanfw-labd flags for c's hostile ports; empty lists
// give no flag, so an older labd still parses the rest.
func HostileArgs(c Config) []string {
	var out []string
	for _, h := range c.hostile() {
		if len(*h.ports) > 0 {
			out = append(out, "-"+h.flag, FormatPorts(*h.ports))
		}
	}
	return out
}

// serveEach accepts until l closes and runs serve on each connection.
func serveEach(l net.Listener, serve func(net.Conn, time.Duration), holdFor time.Duration) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(holdFor))
			serve(conn, holdFor)
		}()
	}
}

// hold keeps the connection until the peer closes or the deadline passes.
func hold(c net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

func serveHuge(c net.Conn, _ time.Duration) {
	banner := append([]byte("220 "), bytes.Repeat([]byte("huge banner "), (1<<20)/12)...)
	if _, err := c.Write(banner); err != nil {
		return
	}
	hold(c)
}

func serveEndless(c net.Conn, _ time.Duration) {
	line := []byte("220-endless banner line that goes on and on\r\n")
	for {
		if _, err := c.Write(line); err != nil {
			return
		}
	}
}

// serveReDoS sends what makes a backtracking engine try every split: long
// runs of characters that many patterns' greedy and lazy groups can each
// take, nested in the shapes banners have, and never the line end those
// patterns wait for.
func serveReDoS(c net.Conn, _ time.Duration) {
	var b bytes.Buffer
	b.WriteString("220-")
	for range 60 {
		b.WriteString(string(bytes.Repeat([]byte("a "), 30)))
		b.WriteString(string(bytes.Repeat([]byte("\t"), 10)))
	}
	b.WriteString("SSH-2.0-")
	b.Write(bytes.Repeat([]byte("x"), 1000))
	if _, err := c.Write(b.Bytes()); err != nil {
		return
	}
	hold(c)
}

func serveGarbage(c net.Conn, _ time.Duration) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 8192)
	for i := range buf {
		buf[i] = byte(rng.UintN(256))
	}
	if _, err := c.Write(buf); err != nil {
		return
	}
	hold(c)
}

// serveReset aborts the connection: SO_LINGER 0 makes close send RST.
func serveReset(c net.Conn, _ time.Duration) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}
