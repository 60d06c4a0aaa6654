package redisadapter_test

import (
	"testing"

	"github.com/siogen/siogen/internal/redistest"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

// TestRedisClusterClassic: three Go nodes on a Redis Cluster of three
// masters, each with a go-redis ClusterClient. A node's subscriptions live
// on one master, so the nodes are counted on every master (as Node's
// adapter counts them): PUBSUB NUMSUB asked of one of them counted one
// node, and requests then waited for nobody (FetchSockets missed the other
// nodes' sockets).
func TestRedisClusterClassic(t *testing.T) {
	rc := redistest.StartCluster(t, 3)
	var nodes []*siotest.Server
	for range 3 {
		nodes = append(nodes, siotest.NewServer(t, &socketio.ServerOptions{Adapter: redisadapter.New(rc.Client(t), nil)}))
	}
	ctx := ctx5(t)
	for i, n := range nodes {
		if c, err := n.Of("/").Adapter().ServerCount(ctx); err != nil || c != 3 {
			t.Fatalf("node %d: ServerCount = %d, %v; want 3", i, c, err)
		}
	}
	a := connect(t, "a", nodes[0])
	b := connect(t, "b", nodes[1])
	join(t, a, "r1")
	socks, err := nodes[2].Of("/").FetchSockets(ctx)
	if err != nil || len(socks) != 2 {
		t.Fatalf("FetchSockets = %d sockets, %v; want 2", len(socks), err)
	}
	rooms, err := nodes[2].Of("/").AllRooms(ctx)
	if err != nil || len(rooms) != 3 {
		t.Fatalf("AllRooms = %v, %v; want r1 and the two sockets' rooms", rooms, err)
	}
	if err := nodes[2].To("r1").Emit("ev", "r1"); err != nil {
		t.Fatal(err)
	}
	expect(t, []*member{a, b}, "r1", "a")
}
