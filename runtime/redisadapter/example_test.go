package redisadapter_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

// One node of a cluster: its broadcasts reach the sockets of every node on
// the same Redis, Go or Node (@socket.io/redis-adapter). (Compiled, not run:
// it needs a Redis server.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	srv := socketio.NewServer(&socketio.ServerOptions{Adapter: redisadapter.New(rdb, nil)})
	srv.Of("/chat").OnConnection(func(s *socketio.Socket) {
		_ = s.Join("lobby")
		s.On("say", func(e *socketio.Event) {
			var text string
			if e.Decode(&text) == nil {
				// Every socket in "lobby", on this node and the others.
				_ = srv.Of("/chat").To("lobby").Emit("said", text)
			}
		})
	})
	http.Handle("/socket.io/", srv)
	log.Fatal(http.ListenAndServe(":3000", nil))
}

// Emitting from a process that is not a server (a job, a cron task), as
// @socket.io/redis-emitter and python-socketio's external emitters do.
// (Compiled, not run: it needs a Redis server.)
func ExampleNewEmitter() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	e := redisadapter.NewEmitter(rdb, nil)
	ctx := context.Background()
	if err := e.Of("/chat").To("lobby").Emit(ctx, "said", "the build is green"); err != nil {
		log.Fatal(err)
	}
	// Make every socket of user 42 leave "lobby", on all nodes.
	if err := e.Of("/chat").In("user:42").SocketsLeave(ctx, "lobby"); err != nil {
		log.Fatal(err)
	}
}
