// Command zsio-server is the second Go contender of the benchmark suite: the
// same events as siogen-server on github.com/zishang520/socket.io v3, a port
// of Node's socket.io 4 to Go that speaks the same wire as siogen (Engine.IO
// v4 / Socket.IO v5).
//
//	echo(s)    -> emits "echo" with s back to the sender
//	echoAck(s) -> acknowledges with s
//	pub(s)     -> emits "msg" with s to room "r" (every socket joins it on connect)
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/siogen/siogen/bench/internal/ctl"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	flag.Parse()
	ctl.Setup()

	io := socket.NewServer(nil, nil)
	_ = io.On("connection", func(args ...any) {
		s := args[0].(*socket.Socket)
		s.Join("r")
		_ = s.On("echo", func(a ...any) { _ = s.Emit("echo", a...) })
		_ = s.On("echoAck", func(a ...any) {
			// The library passes the acknowledgement as the last argument.
			if n := len(a); n > 0 {
				if ack, ok := a[n-1].(socket.Ack); ok {
					ack(a[:n-1], nil)
				}
			}
		})
		_ = s.On("pub", func(a ...any) { io.To("r").Emit("msg", a...) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(nil))
	log.Fatal(http.ListenAndServe(*addr, mux))
}
