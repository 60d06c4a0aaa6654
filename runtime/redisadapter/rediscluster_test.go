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
	for i, n := range nodes {
		if c, err := n.Of("/").Adapter().ServerCount(ctx5(t)); err != nil || c != 3 {
			t.Fatalf("node %d: ServerCount = %d, %v; want 3", i, c, err)
		}
	}
	a := connect(t, "a", nodes[0])
	b := connect(t, "b", nodes[1])
	join(t, a, "r1")
	socks, err := nodes[2].Of("/").FetchSockets(ctx5(t))
	if err != nil || len(socks) != 2 {
		t.Fatalf("FetchSockets = %d sockets, %v; want 2", len(socks), err)
	}
	rooms, err := nodes[2].Of("/").AllRooms(ctx5(t))
	if err != nil || len(rooms) != 3 {
		t.Fatalf("AllRooms = %v, %v; want r1 and the two sockets' rooms", rooms, err)
	}
	if err := nodes[2].To("r1").Emit("ev", "r1"); err != nil {
		t.Fatal(err)
	}
	expect(t, []*member{a, b}, "r1", "a")
}

// TestRedisClusterSharded: three sharded Go nodes on a Redis Cluster of
// three masters. The namespace's main channel, each node's own channel and
// each room's channel hash to different slots, usually of different
// servers: one SSUBSCRIBE of several of them failed with CROSSSLOT, and
// the nodes heard nothing from each other.
func TestRedisClusterSharded(t *testing.T) {
	rc := redistest.StartCluster(t, 3)
	var nodes []*siotest.Server
	for range 3 {
		nodes = append(nodes, siotest.NewServer(t, &socketio.ServerOptions{
			Adapter: redisadapter.New(rc.Client(t), &redisadapter.Options{Sharded: true})}))
	}
	for i, n := range nodes {
		if c, err := n.Of("/").Adapter().ServerCount(ctx5(t)); err != nil || c != 3 {
			t.Fatalf("node %d: ServerCount = %d, %v; want 3", i, c, err)
		}
	}
	a := connect(t, "a", nodes[0])
	b := connect(t, "b", nodes[1])
	all := []*member{a, b}
	if err := nodes[2].Emit("ev", "all"); err != nil {
		t.Fatal(err)
	}
	expect(t, all, "all", "a", "b")
	// Rooms whose channels fall in different slots.
	rooms := []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	join(t, a, rooms...)
	for _, room := range rooms {
		waitFor(t, func() bool {
			n := 0
			for _, s := range rc.Servers {
				m, err := s.Client(t).PubSubShardNumSub(ctx5(t), "socket.io#/#"+room+"#").Result()
				if err == nil {
					n += int(m["socket.io#/#"+room+"#"])
				}
			}
			return n == 1
		})
		if err := nodes[2].To(room).Emit("ev", room); err != nil {
			t.Fatal(err)
		}
		expect(t, all, room, "a")
	}
	socks, err := nodes[2].Of("/").FetchSockets(ctx5(t))
	if err != nil || len(socks) != 2 {
		t.Fatalf("FetchSockets = %d sockets, %v; want 2", len(socks), err)
	}
	for i, n := range nodes {
		n.Of("/").OnServerSideEmit("ping", func(e *socketio.Event) { _ = e.Ack(i) })
	}
	answers, err := nodes[0].Of("/").ServerSideEmitWithAck(ctx5(t), "ping")
	if err != nil || len(answers) != 2 {
		t.Fatalf("ServerSideEmitWithAck = %v, %v", answers, err)
	}
	res, err := nodes[2].Of("/").Except().EmitWithAck(ctx5(t), "ask")
	if err != nil || len(res) != 2 {
		t.Fatalf("EmitWithAck = %v, %v", res, err)
	}
}
