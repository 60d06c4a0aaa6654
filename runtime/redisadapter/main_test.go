package redisadapter_test

import (
	"context"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/internal/redistest"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// redisServer is a redis-server of one test.
type redisServer = redistest.Server

// startRedis starts redis-server for the test (stopped at its end).
func startRedis(t testing.TB) *redisServer { return redistest.Start(t) }

var wsOnly = &siotest.ClientOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}}

// cluster starts n Go nodes sharing r, each with its own Redis client.
func cluster(t testing.TB, r *redisServer, n int, o *redisadapter.Options) []*siotest.Server {
	t.Helper()
	nodes := make([]*siotest.Server, n)
	for i := range nodes {
		rdb := r.Client(t)
		nodes[i] = siotest.NewServer(t, &socketio.ServerOptions{Adapter: redisadapter.New(rdb, o)})
	}
	return nodes
}

func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received within 5s")
		var zero T
		return zero
	}
}

// none checks that nothing arrives on ch for a short while.
func none[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: unexpected %v", what, v)
	case <-time.After(150 * time.Millisecond):
	}
}

func ctx5(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
