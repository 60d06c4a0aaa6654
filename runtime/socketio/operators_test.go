package socketio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// received reads each client's packets up to the event "end" (which the
// test broadcasts to everybody after the emit under test, so that a client
// that got nothing says so without a timeout) and returns the names of the
// clients that got event.
func received(t *testing.T, nsp *Namespace, event string, clients map[string]*rawClient) []string {
	t.Helper()
	if err := nsp.Emit("end"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for name, c := range clients {
		for {
			p := c.next()
			ev, _ := p.EventName()
			if p.Type != parser.Event {
				t.Fatalf("%s: got %v %s", name, p.Type, show(p))
			}
			if ev == "end" {
				break
			}
			if ev != event {
				t.Fatalf("%s: got event %q, want %q or end", name, ev, event)
			}
			got = append(got, name)
		}
	}
	sort.Strings(got)
	return got
}

// The ways of choosing recipients, from a socket and from a namespace, as
// Node's socket.to/in/except/broadcast and io.to/in/except/local select them.
// a and b are in room r1, c in r2; the socket acting is a's.
func TestBroadcastSelections(t *testing.T) {
	env := newEnv(t, nil)
	nsp := env.srv.Of("/")
	clients := map[string]*rawClient{"a": env.dial(t), "b": env.dial(t), "c": env.dial(t)}
	ids := map[string]string{}
	for name, c := range clients {
		ids[name] = c.connect("/", nil)
	}
	sa := nsp.Socket(ids["a"])
	_ = sa.Join("r1")
	_ = nsp.Socket(ids["b"]).Join("r1")
	_ = nsp.Socket(ids["c"]).Join("r2")

	tests := []struct {
		name string
		emit func() error
		want []string
	}{
		{"socket.To", func() error { return sa.To("r1").Emit("ev") }, []string{"b"}},
		{"socket.In", func() error { return sa.In("r1").Emit("ev") }, []string{"b"}},
		{"socket.To two rooms", func() error { return sa.To("r1").To("r2").Emit("ev") }, []string{"b", "c"}},
		{"socket.Except", func() error { return sa.Except("r2").Emit("ev") }, []string{"b"}},
		{"socket.Broadcast", func() error { return sa.Broadcast().Emit("ev") }, []string{"b", "c"}},
		{"socket.Broadcast.In", func() error { return sa.Broadcast().In("r2").Emit("ev") }, []string{"c"}},
		{"socket.Emit", func() error { return sa.Emit("ev") }, []string{"a"}},
		{"socket.Volatile", func() error { return sa.Volatile().Emit("ev") }, []string{"a"}},
		{"socket own room", func() error { return nsp.To(ids["a"]).Emit("ev") }, []string{"a"}},
		{"nsp.Emit", func() error { return nsp.Emit("ev") }, []string{"a", "b", "c"}},
		{"nsp.In", func() error { return nsp.In("r1").Emit("ev") }, []string{"a", "b"}},
		{"nsp.In.Except", func() error { return nsp.In("r1", "r2").Except(ids["b"]).Emit("ev") }, []string{"a", "c"}},
		{"nsp.Except", func() error { return nsp.Except("r1").Emit("ev") }, []string{"c"}},
		{"nsp.Local", func() error { return nsp.Local().Emit("ev") }, []string{"a", "b", "c"}},
		{"nsp.Local.In", func() error { return nsp.Local().In("r2").Emit("ev") }, []string{"c"}},
		{"nsp.In.Local", func() error { return nsp.In("r1").Local().Emit("ev") }, []string{"a", "b"}},
		{"server.In", func() error { return env.srv.In("r2").Emit("ev") }, []string{"c"}},
		{"empty room", func() error { return nsp.In("nobody").Emit("ev") }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.emit(); err != nil {
				t.Fatal(err)
			}
			if got := received(t, nsp, "ev", clients); !slices.Equal(got, tc.want) {
				t.Fatalf("received by %v, want %v", got, tc.want)
			}
		})
	}

	// The memory adapter is one node: every room, itself, nobody to tell.
	ctx := context.Background()
	rooms, err := nsp.AllRooms(ctx)
	sort.Strings(rooms)
	if want := sorted("r1", "r2", ids["a"], ids["b"], ids["c"]); err != nil || !slices.Equal(rooms, want) {
		t.Fatalf("AllRooms = %v, %v; want %v", rooms, err, want)
	}
	if n, err := nsp.Adapter().ServerCount(ctx); n != 1 || err != nil {
		t.Fatalf("ServerCount = %d, %v", n, err)
	}
	if err := nsp.ServerSideEmit(ctx, "hello", 1); err != nil {
		t.Fatal(err)
	}
	if res, err := nsp.ServerSideEmitWithAck(ctx, "hello"); len(res) != 0 || err != nil {
		t.Fatalf("ServerSideEmitWithAck = %v, %v", res, err)
	}
	if err := nsp.ServerSideEmit(ctx, "disconnecting"); err == nil {
		t.Fatal("ServerSideEmit of a reserved event name: no error")
	}
	for _, c := range clients {
		c.nothing(0)
	}
}

// OnDisconnecting runs while the socket is still in its rooms (Node's
// "disconnecting"), OnDisconnect after it left them, for every way a socket
// goes.
func TestDisconnectingSeesRooms(t *testing.T) {
	type seen struct {
		hook   string
		reason DisconnectReason
		rooms  []Room
	}
	tests := []struct {
		name   string
		end    func(env *testEnv, c *rawClient, s *Socket)
		reason DisconnectReason
	}{
		{"server namespace disconnect", func(_ *testEnv, _ *rawClient, s *Socket) { s.Disconnect(false) }, ReasonServerNamespaceDisconnect},
		{"client namespace disconnect", func(_ *testEnv, c *rawClient, _ *Socket) {
			c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
		}, ReasonClientNamespaceDisconnect},
		{"transport close", func(_ *testEnv, c *rawClient, _ *Socket) { c.eio.Close() }, ReasonTransportClose},
		{"DisconnectSockets", func(env *testEnv, _ *rawClient, _ *Socket) {
			_ = env.srv.Of("/").In("r1").DisconnectSockets(false)
		}, ReasonServerNamespaceDisconnect},
		// The client leaves while the connection handler still runs (the
		// CONNECT reply goes out before it): the handler's Join holds,
		// as in Node, where the handler runs before the next packet.
		{"client leaves during the connection handler", nil, ReasonClientNamespaceDisconnect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, nil)
			events := make(chan seen, 2)
			hold := make(chan struct{})
			joined := make(chan error, 1)
			if tc.end != nil {
				close(hold)
			}
			env.srv.OnConnection(func(s *Socket) {
				s.OnDisconnecting(func(r DisconnectReason) { events <- seen{"disconnecting", r, s.Rooms()} })
				s.OnDisconnect(func(r DisconnectReason) { events <- seen{"disconnect", r, s.Rooms()} })
				<-hold
				joined <- s.Join("r1", "r2")
			})
			c := env.dial(t, engineio.TransportWebSocket)
			id := c.connect("/", nil)
			if tc.end != nil {
				// The CONNECT reply comes before the handler has run:
				// wait until it has joined its rooms.
				if err := <-joined; err != nil {
					t.Fatalf("Join in the connection handler: %v", err)
				}
				tc.end(env, c, env.srv.Of("/").Socket(id))
			} else {
				c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
				waitUntil(t, func() bool { return env.srv.Of("/").Socket(id) == nil }) // the server has seen it
				close(hold)
				if err := <-joined; err != nil {
					t.Fatalf("Join in the connection handler: %v", err)
				}
			}
			for _, want := range []seen{
				{"disconnecting", tc.reason, sorted(id, "r1", "r2")},
				{"disconnect", tc.reason, nil},
			} {
				select {
				case got := <-events:
					sort.Strings(got.rooms)
					// ForcedClose is what a transport closed by the peer
					// may also be reported as (see TestDisconnects).
					if got.hook != want.hook || (got.reason != want.reason && !(want.reason == ReasonTransportClose && got.reason == ReasonForcedClose)) ||
						!slices.Equal(got.rooms, want.rooms) {
						t.Fatalf("got %+v, want %+v", got, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no %s", want.hook)
				}
			}
		})
	}
}

// DisconnectSockets disconnects the selected sockets of a namespace (the
// client gets DISCONNECT and keeps its connection), or with close their
// connections; Namespaces lists the namespaces.
func TestDisconnectSockets(t *testing.T) {
	env := newEnv(t, nil)
	env.srv.Of("/other")
	nsp := env.srv.Of("/")
	a, b := env.dial(t, engineio.TransportWebSocket), env.dial(t, engineio.TransportWebSocket)
	ida := a.connect("/", nil)
	a.connect("/other", nil)
	b.connect("/", nil)
	_ = nsp.Socket(ida).Join("r1")

	if err := nsp.In("r1").DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	if p := a.next(); p.Type != parser.Disconnect || p.Namespace != "/" {
		t.Fatalf("a got %v %s", p.Type, p.Namespace)
	}
	if nsp.Socket(ida) != nil {
		t.Fatal("a's socket is still in the namespace")
	}
	// a's connection and its other namespace are still there; b untouched.
	if err := env.srv.Of("/other").Emit("still"); err != nil {
		t.Fatal(err)
	}
	a.expectEvent("/other", "still")
	if err := nsp.Emit("still"); err != nil {
		t.Fatal(err)
	}
	b.expectEvent("/", "still")
	a.nothing(50 * time.Millisecond)

	names := env.srv.Namespaces()
	sort.Strings(names)
	if !slices.Equal(names, []string{"/", "/other"}) {
		t.Fatalf("Namespaces = %v", names)
	}

	// With close: every selected socket's connection ends.
	if err := nsp.DisconnectSockets(true); err != nil {
		t.Fatal(err)
	}
	if p := b.next(); p.Type != parser.Disconnect || p.Namespace != "/" {
		t.Fatalf("b got %v %s", p.Type, p.Namespace)
	}
	b.waitClosed()
	a.nothing(50 * time.Millisecond) // not in "/" any more: not selected
}

// SocketContext is live while the socket is connected and canceled when it
// goes; it has no deadline and no values; contexts derived from it end too.
func TestSocketContext(t *testing.T) {
	env := newEnv(t, nil)
	socks := make(chan *Socket, 1)
	env.srv.OnConnection(func(s *Socket) { socks <- s })
	c := env.dial(t)
	id := c.connect("/", nil)
	s := <-socks
	ctx := SocketContext(s)
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, ok := ctx.Deadline(); ok || ctx.Err() != nil || ctx.Value("k") != nil || derived.Err() != nil {
		t.Fatalf("live: deadline %v, err %v, value %v, derived %v", ok, ctx.Err(), ctx.Value("k"), derived.Err())
	}
	if got := fmt.Sprint(ctx); !strings.Contains(got, id) {
		t.Fatalf("String() = %q, want the socket id", got)
	}
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
	for _, x := range []context.Context{ctx, derived} {
		select {
		case <-x.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("not canceled by the disconnect")
		}
		if !errors.Is(x.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", x.Err())
		}
	}
}
