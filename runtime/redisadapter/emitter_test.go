package redisadapter_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

// TestEmitter: an external process's Emitter drives two Go nodes.
func TestEmitter(t *testing.T) {
	r := startRedis(t)
	nodes := cluster(t, r, 2, nil)
	a := connect(t, "a", nodes[0])
	b := connect(t, "b", nodes[1])
	all := []*member{a, b}
	join(t, a, "room1")
	ctx := ctx5(t)
	em := redisadapter.NewEmitter(r.Client(t), nil)

	if err := em.Emit(ctx, "ev", "all"); err != nil {
		t.Fatal(err)
	}
	expect(t, all, "all", "a", "b")
	if err := em.To("room1").Emit(ctx, "ev", "room1"); err != nil {
		t.Fatal(err)
	}
	expect(t, all, "room1", "a")
	if err := em.Except("room1").Volatile().Compress(false).Emit(ctx, "ev", "except"); err != nil {
		t.Fatal(err)
	}
	expect(t, all, "except", "b")
	if err := em.To(b.c.ID()).Emit(ctx, "bin", []byte{9, 8}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, b.bin); !bytes.Equal(got, []byte{9, 8}) {
		t.Fatalf("bin %v", got)
	}
	if err := em.Emit(ctx, "disconnect"); !errors.Is(err, redisadapter.ErrReserved) {
		t.Fatalf("reserved: %v", err)
	}

	if err := em.In(b.c.ID()).SocketsJoin(ctx, "room7"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return slices.Contains(nodes[1].Of("/").Adapter().SocketRooms(b.c.ID()), "room7") })
	if err := em.In("room7").SocketsLeave(ctx, "room7"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !slices.Contains(nodes[1].Of("/").Adapter().SocketRooms(b.c.ID()), "room7") })

	got := make(chan string, 2)
	for _, n := range nodes {
		n.Of("/").OnServerSideEmit("hello", func(e *socketio.Event) {
			var s string
			_ = e.Decode(&s)
			got <- s
		})
	}
	if err := em.ServerSideEmit(ctx, "hello", "from-emitter"); err != nil {
		t.Fatal(err)
	}
	for range nodes {
		if recv(t, got) != "from-emitter" {
			t.Fatal("serverSideEmit")
		}
	}

	// Another namespace.
	nodes[1].Of("/custom")
	c := nodes[1].Connect(t, "/custom", wsOnly)
	cust := make(chan string, 1)
	c.On("ev", func(e *socketio.Event) {
		var s string
		_ = e.Decode(&s)
		cust <- s
	})
	if err := em.Of("custom").Emit(ctx, "ev", "custom"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, cust); s != "custom" {
		t.Fatal(s)
	}
	none(t, a.ev, "a")

	if err := em.In("room1").DisconnectSockets(ctx, true); err != nil {
		t.Fatal(err)
	}
	recv(t, a.gone)
	none(t, b.gone, "b")
}
