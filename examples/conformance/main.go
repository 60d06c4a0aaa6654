// Command conformance runs the server that the official Engine.IO v4 and
// Socket.IO v5 conformance suites expect, on one port (:3000 unless -addr
// says otherwise), with pingInterval 300 ms, pingTimeout 200 ms,
// maxHttpBufferSize 1e6 and CORS open to any origin:
//
//   - /engine.io/ echoes every message;
//   - /socket.io/ serves "/" (emits "auth" on connect, echoes "message" as
//     "message-back", acks "message-with-ack" with its own arguments) and
//     "/custom" (emits "auth"), with connectTimeout 1 s;
//   - /sio-json/, /sio-msgpack/, /sio-json-recovery/, /sio-msgpack-recovery/
//     serve the interop tests' server (interop/SERVER.md).
//
// WebSocket handshakes are served by an engineio.Listener, everything else
// by net/http; with -listener=false, everything by net/http (make test runs
// the interop tests both ways).
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/socketio"
)

func main() {
	addr := flag.String("addr", ":3000", "listen address")
	direct := flag.Bool("listener", true, "serve WebSocket handshakes with an engineio.Listener (false: all through net/http)")
	flag.Parse()

	opts := &engineio.Options{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		MaxHTTPBufferSize: 1_000_000,
		CORS:              &engineio.CORS{Origins: []string{"*"}},
	}
	eio := engineio.NewServer(func(s *engineio.Session) engineio.Handler { return echo{s} }, opts)

	sio := newSocketIO(*opts)

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", sio)
	engines := map[string]*engineio.Server{"/engine.io/": eio, "/socket.io/": sio.Engine()}
	servers := []*socketio.Server{sio}
	for _, ip := range interopPaths {
		srv := newInteropServer(ip.codec, ip.recovery)
		mux.Handle(ip.path, srv)
		engines[ip.path] = srv.Engine()
		servers = append(servers, srv)
	}
	ln, err := engineio.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *direct {
		// The WebSocket handshakes skip net/http; the mux serves the rest.
		l := engineio.NewListener(ln)
		for path, e := range engines {
			l.Handle(path, e)
		}
		ln = l
	}
	srv := &http.Server{Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eio.Shutdown(sctx)
		for _, s := range servers {
			_ = s.Shutdown(sctx)
		}
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("conformance server listening on %s (/engine.io/, /socket.io/)", *addr)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// echo sends every message back as it came, text or binary.
type echo struct{ s *engineio.Session }

func (e echo) HandleMessage(data []byte, binary bool) {
	if binary {
		_ = e.s.Send(engineio.BinaryFrame(data))
	} else {
		_ = e.s.Send(engineio.TextFrame(data))
	}
}

func (e echo) HandleClose(engineio.CloseReason, error) {}

// newSocketIO returns the Socket.IO server of the official v5 suite.
func newSocketIO(eopts engineio.Options) *socketio.Server {
	srv := socketio.NewServer(&socketio.ServerOptions{Engine: eopts, ConnectTimeout: time.Second})
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
		s.On("message", func(e *socketio.Event) {
			_ = s.Emit("message-back", args(e)...)
		})
		s.On("message-with-ack", func(e *socketio.Event) {
			_ = e.Ack(args(e)...)
		})
	})
	srv.Of("/custom").OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
	})
	return srv
}

// args returns an event's arguments as they came, to be sent back byte for byte.
func args(e *socketio.Event) []any {
	out := make([]any, len(e.Args))
	for i, a := range e.Args {
		out[i] = a
	}
	return out
}
