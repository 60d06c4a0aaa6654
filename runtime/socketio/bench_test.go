package socketio

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/idlemem"
	"github.com/siogen/siogen/runtime/parser"
)

// countConn is an in-process engineio.Conn that counts what it is sent.
type countConn struct {
	id     string
	frames atomic.Int64
	record atomic.Bool // keep the last frames in last (allocates: tests only)
	last   atomic.Pointer[[]engineio.Frame]
}

func (c *countConn) ID() string                    { return c.id }
func (c *countConn) Transport() engineio.Transport { return engineio.TransportWebSocket }
func (c *countConn) Send(f ...engineio.Frame) error {
	c.frames.Add(int64(len(f)))
	if c.record.Load() {
		cp := make([]engineio.Frame, len(f)) // so that f itself does not escape to the heap
		for i, fr := range f {
			cp[i] = fr.Kept() // as a Session keeps a frame
		}
		c.last.Store(&cp)
	}
	return nil
}
func (c *countConn) SendVolatile(f ...engineio.Frame) error { return c.Send(f...) }
func (c *countConn) Close() error                           { return nil }

// inProcess connects n sockets to namespace "/" of srv without a network.
func inProcess(tb testing.TB, srv *Server, n int) []*countConn {
	tb.Helper()
	req := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=websocket", nil)
	conns := make([]*countConn, n)
	connect, _ := srv.codec.Encode(&parser.Packet{Type: parser.Connect, Namespace: "/"})
	for i := range conns {
		cc := &countConn{id: fmt.Sprint(i)}
		c := srv.attach(cc, req)
		data := connect[0].Data
		if !connect[0].Binary {
			data = data[1:]
		}
		c.HandleMessage(data, connect[0].Binary)
		conns[i] = cc
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Of("/").Len() != n { // sockets join in their connect task
		if time.Now().After(deadline) {
			tb.Fatalf("%d sockets connected, want %d", srv.Of("/").Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return conns
}

type benchMessage struct {
	Room   string `json:"room"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// BenchmarkBroadcast emits one event to every socket of a namespace: the
// packet is encoded once and the same frames are queued to each socket.
func BenchmarkBroadcast(b *testing.B) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/%d-sockets", codec.Name(), n), func(b *testing.B) {
				srv := NewServer(&ServerOptions{Parser: codec})
				defer srv.Shutdown(context.Background())
				conns := inProcess(b, srv, n)
				msg := benchMessage{Room: "general", Author: "ada", Text: "hello, everyone"}
				b.ReportAllocs()
				for b.Loop() {
					if err := srv.Emit("message", msg); err != nil {
						b.Fatal(err)
					}
				}
				var delivered int64
				for _, c := range conns {
					delivered += c.frames.Load()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(delivered), "ns/delivery")
			})
		}
	}
}

// BenchmarkBroadcastRoom emits to one room of 100 sockets among 10 000.
func BenchmarkBroadcastRoom(b *testing.B) {
	srv := NewServer(nil)
	defer srv.Shutdown(context.Background())
	inProcess(b, srv, 10000)
	i := 0
	for _, info := range srv.Of("/").Adapter().(*MemoryAdapter).LocalFetchSockets(BroadcastOptions{}) {
		if i++; i <= 100 {
			srv.Of("/").Socket(info.ID).Join("room")
		}
	}
	msg := benchMessage{Room: "room", Author: "ada", Text: "hello, room"}
	b.ReportAllocs()
	for b.Loop() {
		_ = srv.To("room").Emit("message", msg)
	}
}

// BenchmarkBroadcastRecovery is BenchmarkBroadcast, for 1000 sockets,
// with connection state recovery on: every packet gets an offset and is
// kept. Parallel emits from several goroutines at once, whose deliveries
// to each socket follow the order of their offsets.
func BenchmarkBroadcastRecovery(b *testing.B) {
	msg := benchMessage{Room: "general", Author: "ada", Text: "hello, everyone"}
	for _, parallel := range []bool{false, true} {
		b.Run(fmt.Sprintf("parallel=%v", parallel), func(b *testing.B) {
			srv := NewServer(&ServerOptions{ConnectionStateRecovery: &RecoveryOptions{}})
			defer srv.Shutdown(context.Background())
			inProcess(b, srv, 1000)
			b.ReportAllocs()
			if !parallel {
				for b.Loop() {
					if err := srv.Emit("message", msg); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := srv.Emit("message", msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSocketEmit sends one event to one socket.
func BenchmarkSocketEmit(b *testing.B) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		b.Run(codec.Name(), func(b *testing.B) {
			srv := NewServer(&ServerOptions{Parser: codec})
			defer srv.Shutdown(context.Background())
			inProcess(b, srv, 1)
			var s *Socket
			for _, info := range srv.Of("/").Adapter().(*MemoryAdapter).LocalFetchSockets(BroadcastOptions{}) {
				s = srv.Of("/").Socket(info.ID)
			}
			msg := benchMessage{Room: "general", Author: "ada", Text: "hello"}
			b.ReportAllocs()
			for b.Loop() {
				_ = s.Emit("message", msg)
			}
		})
	}
}

// benchIncoming connects one socket, lets on register its handlers (the
// handler must send on done once per event), and hands the socket packet p,
// encoded with codec, over and over. It returns how many frames the server
// sent meanwhile.
func benchIncoming(b *testing.B, codec parser.Codec, p *parser.Packet, on func(s *Socket, done chan<- struct{})) int64 {
	srv := NewServer(&ServerOptions{Parser: codec})
	defer srv.Shutdown(context.Background())
	done := make(chan struct{}, 1)
	srv.OnConnection(func(s *Socket) { on(s, done) })
	cc := inProcess(b, srv, 1)[0]
	c := srv.Of("/").Socket(firstID(srv)).conn
	frames, _ := codec.Encode(p)
	data := frames[0].Data
	if !frames[0].Binary {
		data = data[1:]
	}
	before := cc.frames.Load()
	b.ReportAllocs()
	for b.Loop() {
		c.HandleMessage(data, frames[0].Binary)
		<-done
	}
	return cc.frames.Load() - before
}

// BenchmarkIncomingEvent decodes a client's event and runs its handler,
// which decodes the payload and acks it.
func BenchmarkIncomingEvent(b *testing.B) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		b.Run(codec.Name(), func(b *testing.B) {
			p := parser.NewEvent("/", "message", benchMessage{Room: "general", Author: "ada", Text: "hello"})
			p.ID, p.HasID = 1, true
			benchIncoming(b, codec, p, func(s *Socket, done chan<- struct{}) {
				s.On("message", func(e *Event) {
					var m benchMessage
					_ = e.Decode(&m)
					_ = e.Ack(true)
					done <- struct{}{}
				})
			})
		})
	}
}

// BenchmarkEchoEvent is bench/'s echo in-process: a client's event with a
// 64-byte (or 1 KiB) string, whose handler decodes it and emits it back; it
// includes the hand-off to the socket's executor and back to the benchmark.
func BenchmarkEchoEvent(b *testing.B) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, size := range []int{64, 1024} {
			name := codec.Name()
			if size != 64 {
				name += "-1KiB"
			}
			b.Run(name, func(b *testing.B) { benchEcho(b, codec, size) })
		}
	}
}

func benchEcho(b *testing.B, codec parser.Codec, size int) {
	sent := benchIncoming(b, codec, parser.NewEvent("/", "echo", strings.Repeat("x", size)), func(s *Socket, done chan<- struct{}) {
		s.On("echo", func(e *Event) {
			var msg string
			if e.Decode(&msg) == nil {
				_ = s.Emit("echo", msg)
			}
			done <- struct{}{}
		})
	})
	if sent != int64(b.N) {
		b.Fatalf("%d echoes sent for %d events", sent, b.N)
	}
}

func firstID(srv *Server) string {
	for _, info := range srv.Of("/").Adapter().(*MemoryAdapter).LocalFetchSockets(BroadcastOptions{}) {
		return info.ID
	}
	return ""
}

// BenchmarkIdleSockets connects 2000 Socket.IO clients over WebSocket (each
// joins a room and has one handler, as in bench/) and reports what an idle
// one costs the server after a GC: goroutine stacks, and the heap of both
// sides (the clients are small: raw WebSocket connections). The handshakes
// go through net/http, or through the server's Listener.
func BenchmarkIdleSockets(b *testing.B) {
	for _, listener := range []bool{false, true} {
		name := "net-http"
		if listener {
			name = "listener"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				srv := NewServer(nil)
				srv.OnConnection(func(s *Socket) {
					_ = s.Join("r")
					s.On("echo", func(e *Event) {})
				})
				hs := httptest.NewUnstartedServer(srv)
				if listener {
					hs.Listener = srv.Listener(hs.Listener)
				}
				hs.Start()
				stack, heap := idlemem.Measure(b, hs.URL+"/socket.io/?EIO=4&transport=websocket", 2000,
					func(ctx context.Context, c *websocket.Conn) error {
						if _, _, err := c.Read(ctx); err != nil { // open
							return err
						}
						if err := c.Write(ctx, websocket.MessageText, []byte("40")); err != nil {
							return err
						}
						_, _, err := c.Read(ctx) // CONNECT
						return err
					})
				b.ReportMetric(stack, "stack-B/socket")
				b.ReportMetric(heap, "heap-B/socket")
				_ = srv.Shutdown(context.Background())
				hs.Close()
			}
		})
	}
}
