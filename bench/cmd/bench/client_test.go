package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/bench/internal/app"
	"github.com/siogen/siogen/bench/internal/floor"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

func TestGetStampSkipsAnEarlierHash(t *testing.T) {
	buf := make([]byte, payloadSize)
	putStamp(buf, 1234567)
	// a msgpack ACK whose id is 35, the byte '#', before the payload
	frame := append([]byte("\x84\xa2id#\xa4type\x03\xa4data\x91\xd9\x40"), buf...)
	frame = append(frame, "\xa3nsp\xa1/"...)
	if s, ok := getStamp(frame); !ok || s != 1234567 {
		t.Fatalf("getStamp = %d, %v", s, ok)
	}
	if id := msgpackAckID(frame); id != 35 {
		t.Fatalf("msgpackAckID = %d", id)
	}
	for _, id := range []uint64{0, 127, 128, 255, 256, 65535, 65536} {
		b := appendMsgpackUint([]byte("\x83\xa2id"), id)
		b = append(b, "\xa4type\x03"...)
		if got := msgpackAckID(b); got != int64(id) {
			t.Errorf("id %d read back as %d", id, got)
		}
	}
	if id := parseUint([]byte(`12["x"]`)); id != 12 {
		t.Fatalf("parseUint = %d", id)
	}
}

func TestSplitPayload(t *testing.T) {
	pk, err := splitPayload([]byte("42[\"echo\",\"a\"]\x1ebAQIDBA==\x1e6"))
	if err != nil || len(pk) != 3 {
		t.Fatalf("%v %v", pk, err)
	}
	if pk[0].binary || string(pk[0].data) != `42["echo","a"]` || !pk[1].binary || string(pk[1].data) != "\x01\x02\x03\x04" || string(pk[2].data) != "6" {
		t.Fatalf("%+v", pk)
	}
}

// echoServer is a siogen server with the bench servers' events.
func echoServer(t *testing.T, p parser.Codec) string {
	srv := socketio.NewServer(&socketio.ServerOptions{Parser: p})
	app.Register(srv)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return strings.TrimPrefix(hs.URL, "http://")
}

// TestTransports drives the generator's client over each transport and
// parser: a burst of echoes (over polling, several come back in one GET
// payload, split on 0x1e) and acks with ids past 127 (msgpack uint8).
func TestTransports(t *testing.T) {
	for _, pc := range []struct {
		name string
		p    proto
		par  parser.Codec
	}{{"json", pSIO5, nil}, {"msgpack", pSIO5MP, parser.MessagePack}} {
		addr := echoServer(t, pc.par)
		for _, tm := range []tmode{tWS, tPolling, tUpgrade} {
			t.Run(pc.name+"/"+tm.String(), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := dial(ctx, pc.p, tm, addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.close()
				if (c.poll != nil) != (tm == tPolling) {
					t.Fatalf("poll %v ws %v", c.poll != nil, c.ws != nil)
				}
				const n = 50
				for i := range n {
					if err := c.send(ctx, "echo", int64(1000+i)); err != nil {
						t.Fatal(err)
					}
				}
				for i := range n {
					st, err := c.recv(ctx)
					if err != nil || st != int64(1000+i) {
						t.Fatalf("echo %d: %d %v", i, st, err)
					}
				}
				for id := int64(120); id < 300; id++ {
					if err := c.sendAck(ctx, "echoAck", id*7, id); err != nil {
						t.Fatal(err)
					}
					st, err := c.recv(ctx)
					if err != nil || st != id*7 || c.ackID != id {
						t.Fatalf("ack %d: stamp %d id %d %v", id, st, c.ackID, err)
					}
				}
			})
		}
	}
}

// echoAndPublish connects three clients to a server of p at addr and
// checks that echoes come back to their senders only and that a publish
// reaches all three, the publisher's too. It returns the clients (closed
// when the test ends) and a check that the next stamp a client receives is
// the one wanted.
func echoAndPublish(ctx context.Context, t *testing.T, p proto, addr string) ([]*client, func(*client, int64)) {
	t.Helper()
	cs, err := dialAll(ctx, p, addr, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(cs) })
	expect := func(c *client, want int64) {
		t.Helper()
		if st, err := c.recv(ctx); err != nil || st != want {
			t.Fatalf("got %d %v, want %d", st, err, want)
		}
	}
	// An echo on every connection first: each comes back to its sender
	// (the next stamp each receives), and once it has, the server has
	// taken the connection in (the plain-ws floor adds a connection to its
	// publish set after the handshake the client has already seen: a
	// publish right after dialing could miss it).
	for i, c := range cs {
		if err := c.send(ctx, "echo", int64(11+i)); err != nil {
			t.Fatal(err)
		}
		expect(c, int64(11+i))
	}
	if err := cs[1].send(ctx, pubEvent, 22); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		expect(c, 22) // and not the echo
	}
	return cs, expect
}

// startFloors starts the two floor servers for the test and returns their
// addresses: raw TCP, plain WebSocket.
func startFloors(t *testing.T) (tcpAddr, wsAddr string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go floor.ServeTCP(ln)
	hs := httptest.NewServer(floor.WSHandler())
	t.Cleanup(hs.Close)
	return ln.Addr().String(), strings.TrimPrefix(hs.URL, "http://")
}

// TestFloors drives the floor servers with the generator's client: an echo
// comes back to its sender only, a publish goes to every connection (the
// publisher's too), and over TCP a publish split across two writes, or
// behind an echo request in one, is still told apart.
func TestFloors(t *testing.T) {
	tcpAddr, wsAddr := startFloors(t)
	for _, f := range []struct {
		name, addr string
		p          proto
	}{{"raw-tcp", tcpAddr, pTCP}, {"plain-ws", wsAddr, pWS}} {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cs, expect := echoAndPublish(ctx, t, f.p, f.addr)
			if f.p != pTCP {
				return
			}
			rec := func(stamp int64, pub bool) []byte {
				b := make([]byte, payloadSize)
				putStamp(b, stamp)
				if pub {
					floor.MarkPublish(b)
				}
				return b
			}
			both := append(rec(33, false), rec(44, true)...)
			for _, part := range [][]byte{both[:10], both[10:100], both[100:]} {
				if _, err := cs[2].tcp.Write(part); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond) // separate reads on the server
			}
			expect(cs[2], 33)
			for _, c := range cs {
				expect(c, 44)
			}
		})
	}
}

// TestLargePayload sends 1 KiB payloads (the echo-…-1KiB scenarios) to each
// kind of server and checks that the whole payload comes back: over TCP
// as 16 floor records, each reply read whole before the next; elsewhere
// in one message that holds all of its padding.
func TestLargePayload(t *testing.T) {
	tcpAddr, wsAddr := startFloors(t)
	const size = 1024
	padding := strings.Repeat("x", size-20)
	for _, f := range []struct {
		name, addr string
		p          proto
	}{
		{"raw-tcp", tcpAddr, pTCP},
		{"plain-ws", wsAddr, pWS},
		{"json", echoServer(t, nil), pSIO5},
		{"msgpack", echoServer(t, parser.MessagePack), pSIO5MP},
	} {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := dial(ctx, f.p, tWS, f.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			if c.tcp != nil {
				c.tcp.SetDeadline(time.Now().Add(10 * time.Second)) // recv's read takes no ctx
			}
			c.setPayload(size)
			for i := range 5 {
				if err := c.send(ctx, "echo", int64(500+i)); err != nil {
					t.Fatal(err)
				}
				if f.p == pTCP {
					st, err := c.recv(ctx)
					if err != nil || st != int64(500+i) || !strings.HasSuffix(string(c.in), padding) || len(c.in) != size {
						t.Fatalf("echo %d: stamp %d, %d bytes, %v", i, st, len(c.in), err)
					}
					continue
				}
				for {
					_, msg, err := c.ws.read(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if len(msg) == 1 { // a ping
						continue
					}
					// the padding, whole and no longer, after the stamp
					j := strings.Index(string(msg), padding)
					if st, ok := getStamp(msg); !ok || st != int64(500+i) || j < 20 || strings.HasPrefix(string(msg[j+len(padding):]), "x") {
						t.Fatalf("echo %d: %q", i, msg)
					}
					break
				}
			}
		})
	}
}
