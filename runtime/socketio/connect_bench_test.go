package socketio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
)

// BenchmarkConnect opens WebSocket connections to namespace "/" over
// loopback TCP, as bench/'s idle-connect scenario does: the upgrade request,
// the 101 with the open packet, the client's CONNECT and the server's
// answer, through the Listener and a connection handler that joins a room
// and registers three events. Connections stay open (in batches of 1000,
// closed with the timer stopped), so the figures include what a growing
// number of live connections costs the allocator; B/op and allocs/op count
// both ends (the client here allocates little).
func BenchmarkConnect(b *testing.B) {
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		_ = s.Join("r")
		for _, ev := range []string{"echo", "echoAck", "pub"} {
			s.On(ev, func(*Event) {})
		}
	})
	ln, err := engineio.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(srv.Listener(ln))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Shutdown(ctx)
	}()
	addr := ln.Addr().String()

	var open []net.Conn
	closeAll := func() {
		for _, c := range open {
			c.Close()
		}
		open = open[:0]
		deadline := time.Now().Add(10 * time.Second)
		for srv.Of("/").Len() != 0 {
			if time.Now().After(deadline) {
				b.Fatalf("%d sockets left", srv.Of("/").Len())
			}
			time.Sleep(time.Millisecond)
		}
	}
	req := []byte("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n")
	connect := []byte{0x81, 0x82, 1, 2, 3, 4, '4' ^ 1, '0' ^ 2} // "40", masked
	buf := make([]byte, 512)
	r := bufio.NewReaderSize(nil, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if len(open) == 1000 {
			b.StopTimer()
			closeAll()
			b.StartTimer()
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		open = append(open, c)
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		r.Reset(c)
		if err := skipHead(r); err != nil {
			b.Fatal(err)
		}
		if p, err := readTextFrame(r, buf); err != nil || p[0] != '0' {
			b.Fatalf("open packet %q, %v", p, err)
		}
		if _, err := c.Write(connect); err != nil {
			b.Fatal(err)
		}
		if p, err := readTextFrame(r, buf); err != nil || string(p[:2]) != "40" {
			b.Fatalf("connection %d: CONNECT answered %q, %v", i, p, err)
		}
	}
	b.StopTimer()
	closeAll()
}

// skipHead reads an HTTP response head up to its blank line.
func skipHead(r *bufio.Reader) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if string(line[:12]) != "HTTP/1.1 101" {
		return fmt.Errorf("status line %q", line)
	}
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) == 2 {
			return nil
		}
	}
}

// readTextFrame reads one unmasked server frame of at most 125 bytes into buf.
func readTextFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1])
	if h[0] != 0x81 || n > 125 {
		return nil, fmt.Errorf("frame header % x", h)
	}
	_, err := io.ReadFull(r, buf[:n])
	return buf[:n], err
}
