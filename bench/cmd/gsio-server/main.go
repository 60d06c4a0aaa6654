// Command gsio-server is the "Go alternative" contender: the same four
// events as siogen-server on github.com/googollee/go-socket.io v1.7.0. That
// library speaks Engine.IO v3 / Socket.IO v4 (socket.io 2.x clients), not
// v4/v5; the load generator speaks that dialect to it (see README.md).
package main

import (
	"flag"
	"log"
	"net/http"

	socketio "github.com/googollee/go-socket.io"

	"github.com/siogen/siogen/bench/internal/ctl"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	flag.Parse()
	ctl.Setup()

	srv := socketio.NewServer(nil)
	srv.OnConnect("/", func(s socketio.Conn) error {
		s.Join("r")
		return nil
	})
	srv.OnEvent("/", "echo", func(s socketio.Conn, msg string) {
		s.Emit("echo", msg)
	})
	srv.OnEvent("/", "echoAck", func(s socketio.Conn, msg string) string {
		return msg // a return value is the acknowledgement
	})
	srv.OnEvent("/", "pub", func(s socketio.Conn, msg string) {
		srv.BroadcastToRoom("/", "r", "msg", msg)
	})
	srv.OnError("/", func(socketio.Conn, error) {})
	srv.OnDisconnect("/", func(socketio.Conn, string) {})
	go func() { _ = srv.Serve() }()
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
