package engineio_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/siogen/siogen/engineio"
)

// echo sends every message of its session back.
type echo struct{ s *engineio.Session }

func (e echo) HandleMessage(data []byte, binary bool) {
	if binary {
		_ = e.s.Send(engineio.BinaryFrame(data))
		return
	}
	_ = e.s.Send(engineio.TextFrame(data))
}

func (echo) HandleClose(engineio.CloseReason, error) {}

// received passes a client's text messages on.
type received chan string

func (r received) HandleMessage(data []byte, _ bool)     { r <- string(data) }
func (received) HandleClose(engineio.CloseReason, error) {}

// An echo server with the port to itself: its Listener serves the WebSocket
// handshakes, net/http the rest (polling). The client here opens over
// WebSocket, so its handshake is the Listener's.
func ExampleListen() {
	srv := engineio.NewServer(func(s *engineio.Session) engineio.Handler { return echo{s} }, nil)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)

	ln, err := engineio.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	l := engineio.NewListener(ln)
	l.Handle("/engine.io/", srv)
	hs := &http.Server{Handler: mux}
	go hs.Serve(l)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(received, 1)
	c, err := engineio.Dial(ctx, "http://"+ln.Addr().String(), got,
		&engineio.DialOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}})
	if err != nil {
		panic(err)
	}
	if err := c.Send(engineio.TextFrame([]byte("hello"))); err != nil {
		panic(err)
	}
	fmt.Println(<-got)

	_ = c.Close()
	_ = srv.Shutdown(ctx)
	_ = hs.Shutdown(ctx)
	// Output: hello
}
