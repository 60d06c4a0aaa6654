// Command siogen-server is the siogen contender of the benchmark suite: a
// Socket.IO server on runtime/socketio serving internal/app's events.
//
// The harness runs it with GOMAXPROCS=1 pinned to one core. With -redis the
// server is one node of a cluster on runtime/redisadapter (classic adapter,
// key "socket.io"), as examples/cluster wires it.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/siogen/siogen/bench/internal/app"
	"github.com/siogen/siogen/bench/internal/ctl"
	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	codec := flag.String("parser", "json", "json or msgpack")
	raddr := flag.String("redis", "", "Redis address: a cluster node on the Redis adapter")
	flag.Parse()
	ctl.Setup()

	opts := &socketio.ServerOptions{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if *raddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: *raddr})
		if err := rdb.Ping(context.Background()).Err(); err != nil {
			log.Fatal(err)
		}
		opts.Adapter = redisadapter.New(rdb, &redisadapter.Options{})
	}
	if *codec == "msgpack" {
		opts.Parser = parser.MessagePack
	}
	srv := socketio.NewServer(opts)
	app.Register(srv)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	// WebSocket handshakes are served by srv's Listener, without net/http;
	// polling by the mux.
	ln, err := engineio.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(srv.Listener(ln), mux))
}
