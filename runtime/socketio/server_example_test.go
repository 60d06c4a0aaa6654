package socketio_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/socketio"
)

// A server on its own port: the WebSocket handshakes go to the server's
// Listener, everything else (polling, the rest of the site) to net/http.
func ExampleServer_Listener() {
	srv := socketio.NewServer(nil)
	srv.Of("/").OnConnection(func(s *socketio.Socket) {
		s.On("hello", func(e *socketio.Event) { e.Ack("world") })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)

	ln, err := engineio.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(srv.Listener(ln))

	m := socketio.NewManager("http://"+ln.Addr().String(), &socketio.ManagerOptions{
		Transports: []engineio.Transport{engineio.TransportWebSocket},
	})
	defer m.Close()
	c := m.Socket("/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		panic(err)
	}
	reply, err := c.EmitWithAck(ctx, "hello")
	if err != nil {
		panic(err)
	}
	var s string
	_ = reply[0].Decode(&s)
	fmt.Println(s)

	_ = srv.Shutdown(ctx)
	_ = hs.Shutdown(ctx)
	// Output: world
}
