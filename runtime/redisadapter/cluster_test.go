package redisadapter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
	"github.com/vmihailenco/msgpack/v5"
)

var modes = []struct {
	name string
	opts *redisadapter.Options
}{
	{"classic", nil},
	{"classic-specific-response", &redisadapter.Options{PublishOnSpecificResponseChannel: true}},
	{"sharded", &redisadapter.Options{Sharded: true}},
}

// member is a Go client of one node, recording what it receives.
type member struct {
	name string
	node *siotest.Server
	c    *socketio.ClientSocket
	ev   chan string
	bin  chan []byte
	gone chan socketio.DisconnectReason
}

func join(t *testing.T, m *member, rooms ...string) {
	t.Helper()
	s := m.node.Of("/").Socket(m.c.ID())
	if s == nil {
		t.Fatalf("%s: no server socket %s", m.name, m.c.ID())
	}
	s.Join(rooms...)
}

func connect(t *testing.T, name string, node *siotest.Server) *member {
	t.Helper()
	m := &member{name: name, node: node, ev: make(chan string, 16), bin: make(chan []byte, 4),
		gone: make(chan socketio.DisconnectReason, 1)}
	m.c = node.Connect(t, "/", wsOnly)
	m.c.On("ev", func(e *socketio.Event) {
		var s string
		_ = e.Decode(&s)
		m.ev <- s
	})
	m.c.On("bin", func(e *socketio.Event) {
		var b []byte
		_ = e.Decode(&b)
		m.bin <- b
	})
	m.c.On("ask", func(e *socketio.Event) { _ = e.Ack("ack-" + name) })
	m.c.OnDisconnect(func(r socketio.DisconnectReason) { m.gone <- r })
	return m
}

// expect checks that exactly the members in want receive ev with text.
func expect(t *testing.T, all []*member, text string, want ...string) {
	t.Helper()
	for _, m := range all {
		if slices.Contains(want, m.name) {
			if got := recv(t, m.ev); got != text {
				t.Fatalf("%s got %q, want %q", m.name, got, text)
			}
		}
	}
	for _, m := range all {
		if !slices.Contains(want, m.name) {
			none(t, m.ev, m.name+" (for "+text+")")
		}
	}
}

// waitShardSubs waits until n nodes subscribed to a sharded room channel.
func waitShardSubs(t *testing.T, r *redisServer, room string, n int) {
	t.Helper()
	waitShardChannel(t, r, "socket.io#/#"+room+"#", n)
}

// waitShardChannel waits until n nodes have subscribed to channel ch (a
// sharded subscription).
func waitShardChannel(t *testing.T, r *redisServer, ch string, n int) {
	t.Helper()
	rdb := r.Client(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := rdb.PubSubShardNumSub(context.Background(), ch).Result()
		if err == nil && int(m[ch]) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v subscribers, want %d (%v)", ch, m[ch], n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCluster: three Go nodes, two clients on each, in every mode:
// broadcasts to all / rooms / except across nodes, binary, fetchSockets,
// allRooms, socketsJoin/Leave, serverSideEmit with acks, broadcasts with
// acks from every node's clients, disconnectSockets.
func TestCluster(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			r := startRedis(t)
			nodes := cluster(t, r, 3, mode.opts)
			var all []*member
			for i, n := range nodes {
				for j := 0; j < 2; j++ {
					all = append(all, connect(t, fmt.Sprintf("%c%d", 'a'+i, j), n))
				}
			}
			a0, a1, b0, b1, c0 := all[0], all[1], all[2], all[3], all[4]
			join(t, a0, "r1")
			join(t, b1, "r1")
			join(t, c0, "r2")
			if mode.opts != nil && mode.opts.Sharded {
				waitShardSubs(t, r, "r1", 2)
				waitShardSubs(t, r, "r2", 1)
			}
			ctx := ctx5(t)

			if n, err := nodes[1].Of("/").Adapter().ServerCount(ctx); err != nil || n != 3 {
				t.Fatalf("ServerCount = %d, %v", n, err)
			}
			if err := nodes[0].Emit("ev", "all"); err != nil {
				t.Fatal(err)
			}
			expect(t, all, "all", "a0", "a1", "b0", "b1", "c0", "c1")
			if err := nodes[1].To("r1").Emit("ev", "r1"); err != nil {
				t.Fatal(err)
			}
			expect(t, all, "r1", "a0", "b1")
			if err := nodes[2].To("r1", "r2").Except("r2").Emit("ev", "r1r2-r2"); err != nil {
				t.Fatal(err)
			}
			expect(t, all, "r1r2-r2", "a0", "b1")
			if err := nodes[2].Except("r1").Emit("ev", "ex"); err != nil {
				t.Fatal(err)
			}
			expect(t, all, "ex", "a1", "b0", "c0", "c1")
			if err := nodes[0].To("r2").Emit("bin", []byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			if b := recv(t, c0.bin); !bytes.Equal(b, []byte{1, 2, 3}) {
				t.Fatalf("binary: %v", b)
			}

			// fetchSockets from every node sees all six; rooms across nodes.
			for i, n := range nodes {
				socks, err := n.Of("/").FetchSockets(ctx)
				if err != nil || len(socks) != 6 {
					t.Fatalf("node %d FetchSockets: %d, %v", i, len(socks), err)
				}
			}
			socks, err := nodes[2].To("r1").FetchSockets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range socks {
				ids = append(ids, s.ID)
				if !slices.Contains(s.Rooms, "r1") || len(s.ID) != 20 {
					t.Fatalf("socket %+v", s)
				}
				if s.Handshake.Issued() == 0 {
					t.Fatalf("no handshake time: %+v", s.Handshake)
				}
			}
			sort.Strings(ids)
			want := []string{a0.c.ID(), b1.c.ID()}
			sort.Strings(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("r1 sockets %v, want %v", ids, want)
			}
			if mode.opts == nil || !mode.opts.Sharded {
				rooms, err := nodes[0].Of("/").AllRooms(ctx)
				if err != nil || !slices.Contains(rooms, "r1") || !slices.Contains(rooms, "r2") || !slices.Contains(rooms, c0.c.ID()) {
					t.Fatalf("AllRooms = %v, %v", rooms, err)
				}
			}

			// socketsJoin from node 0 acts on node 2's socket.
			if err := nodes[0].In("r2").SocketsJoin("r3"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return slices.Contains(nodes[2].Of("/").Adapter().SocketRooms(c0.c.ID()), "r3") })
			if mode.opts != nil && mode.opts.Sharded {
				waitShardSubs(t, r, "r3", 1)
			}
			if err := nodes[1].To("r3").Emit("ev", "r3"); err != nil {
				t.Fatal(err)
			}
			expect(t, all, "r3", "c0")
			if err := nodes[1].In("r3").SocketsLeave("r3"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return !slices.Contains(nodes[2].Of("/").Adapter().SocketRooms(c0.c.ID()), "r3") })

			// serverSideEmit, with and without acks.
			got := make(chan string, 4)
			for i, n := range nodes {
				n.Of("/").OnServerSideEmit("ping", func(e *socketio.Event) {
					var s string
					_ = e.Decode(&s)
					got <- fmt.Sprintf("%d:%s", i, s)
					if e.WantsAck() {
						_ = e.Ack(fmt.Sprintf("pong-%d", i))
					}
				})
			}
			if err := nodes[0].Of("/").ServerSideEmit(ctx, "ping", "x"); err != nil {
				t.Fatal(err)
			}
			seen := []string{recv(t, got), recv(t, got)}
			sort.Strings(seen)
			if !slices.Equal(seen, []string{"1:x", "2:x"}) {
				t.Fatalf("serverSideEmit reached %v", seen)
			}
			answers, err := nodes[1].Of("/").ServerSideEmitWithAck(ctx, "ping", "y")
			if err != nil || len(answers) != 2 {
				t.Fatalf("ServerSideEmitWithAck = %v, %v", answers, err)
			}
			var pongs []string
			for _, a := range answers {
				var s string
				_ = a[0].Decode(&s)
				pongs = append(pongs, s)
			}
			sort.Strings(pongs)
			if !slices.Equal(pongs, []string{"pong-0", "pong-2"}) {
				t.Fatalf("pongs %v", pongs)
			}
			recv(t, got)
			recv(t, got)

			// broadcast with acks collects every node's clients.
			res, err := nodes[2].Of("/").Except().Timeout(3*time.Second).EmitWithAck(ctx, "ask", "q")
			if err != nil || len(res) != 6 {
				t.Fatalf("EmitWithAck = %v, %v", res, err)
			}
			var acks []string
			for _, r := range res {
				var s string
				_ = r.Args[0].Decode(&s)
				acks = append(acks, s)
			}
			sort.Strings(acks)
			if !slices.Equal(acks, []string{"ack-a0", "ack-a1", "ack-b0", "ack-b1", "ack-c0", "ack-c1"}) {
				t.Fatalf("acks %v", acks)
			}
			res, err = nodes[0].To("r1").Timeout(3*time.Second).EmitWithAck(ctx, "ask", "q")
			if err != nil || len(res) != 2 {
				t.Fatalf("EmitWithAck r1 = %v, %v", res, err)
			}

			// disconnectSockets from node 2 reaches nodes 0 and 1.
			if err := nodes[2].In("r1").DisconnectSockets(false); err != nil {
				t.Fatal(err)
			}
			recv(t, a0.gone)
			recv(t, b1.gone)
			none(t, a1.gone, "a1")
			none(t, b0.gone, "b0")
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRequestTimeout: a node that is counted but never answers (a bare
// subscriber) makes requests end with ErrTimeout after RequestsTimeout.
func TestRequestTimeout(t *testing.T) {
	r := startRedis(t)
	o := &redisadapter.Options{RequestsTimeout: 300 * time.Millisecond}
	nodes := cluster(t, r, 1, o)
	rdb := r.Client(t)
	ps := rdb.Subscribe(context.Background(), "socket.io-request#/#")
	defer ps.Close()
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := ctx5(t)
	start := time.Now()
	_, err := nodes[0].Of("/").FetchSockets(ctx)
	if !errors.Is(err, redisadapter.ErrTimeout) {
		t.Fatalf("FetchSockets: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timeout after %v", d)
	}
	_, err = nodes[0].Of("/").ServerSideEmitWithAck(ctx, "x")
	if !errors.Is(err, redisadapter.ErrTimeout) {
		t.Fatalf("ServerSideEmitWithAck: %v", err)
	}
	_, err = nodes[0].Of("/").AllRooms(ctx)
	if !errors.Is(err, redisadapter.ErrTimeout) {
		t.Fatalf("AllRooms: %v", err)
	}
	t.Logf("error: %v", err)
	// A broadcast with acks: the silent node never says how many clients
	// it reached; the local client's answer is returned with the error.
	connect(t, "a", nodes[0])
	res, err := nodes[0].Of("/").Timeout(2*time.Second).EmitWithAck(ctx, "ask", "q")
	if !errors.Is(err, redisadapter.ErrTimeout) || !errors.Is(err, socketio.ErrAckTimeout) || len(res) != 1 {
		t.Fatalf("EmitWithAck = %v, %v; want the local answer and a timeout", res, err)
	}
	var s string
	if err := res[0].Args[0].Decode(&s); err != nil || s != "ack-a" {
		t.Fatalf("answer %q, %v", s, err)
	}
}

var _ = parser.Value{}

// A broadcast-with-acks request that a node itself published is never
// delivered again to its own sockets, even once nobody waits for its
// answers (a request published late, after a Redis outage); another
// node's is.
func TestOwnBroadcastRequestIgnored(t *testing.T) {
	r := startRedis(t)
	nodes := cluster(t, r, 1, nil)
	m := connect(t, "a", nodes[0])
	uid := nodes[0].Of("/").Adapter().(*redisadapter.Adapter).UID()
	rdb := r.Client(t)
	publish := func(from, text string) {
		b, err := msgpack.Marshal(map[string]any{
			"uid": from, "requestId": "req-" + from, "type": 7,
			"packet": map[string]any{"type": 2, "data": []any{"ev", text}, "nsp": "/"},
			"opts":   map[string]any{"rooms": []string{}, "except": []string{}, "flags": map[string]any{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.Publish(ctx5(t), "socket.io-request#/#", b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	publish(uid, "own")
	publish("another-node", "theirs")
	if got := recv(t, m.ev); got != "theirs" {
		t.Fatalf("got %q first: the node's own request was delivered again", got)
	}
	none(t, m.ev, "a second event")
}
