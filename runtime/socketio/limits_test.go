package socketio

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/syncbuf"
	"github.com/siogen/siogen/runtime/parser"
)

// A client that sends faster than its handler runs is held back: at most
// MaxPendingEvents wait, and none is lost.
func TestMaxPendingEventsBackpressure(t *testing.T) {
	const limit, sent = 8, 60
	env := newEnv(t, &ServerOptions{MaxPendingEvents: limit})
	release := make(chan struct{})
	var handled atomic.Int64
	var sock atomic.Pointer[Socket]
	env.srv.OnConnection(func(s *Socket) {
		sock.Store(s)
		s.On("work", func(e *Event) {
			<-release
			var n int
			_ = e.Decode(&n)
			if int64(n) != handled.Load() {
				t.Errorf("event %d handled in position %d", n, handled.Load())
			}
			handled.Add(1)
		})
	})
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	for i := 0; i < sent; i++ {
		c.emit("/", "work", i)
	}
	time.Sleep(200 * time.Millisecond) // let the server read what it will
	s := sock.Load()
	s.exec.mu.Lock()
	queued := s.exec.pending()
	s.exec.mu.Unlock()
	if queued > limit {
		t.Fatalf("%d events queued, limit %d", queued, limit)
	}
	close(release)
	waitUntil(t, func() bool { return handled.Load() == sent })
}

func TestMaxNamespaces(t *testing.T) {
	env := newEnv(t, &ServerOptions{MaxNamespaces: 2})
	env.srv.OfFunc(func(string, parser.Value) bool { return true })
	c := env.dial(t)
	c.connect("/", nil)
	c.connect("/a", nil)
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/b"})
	p := c.next()
	var e struct {
		Message string `json:"message"`
	}
	if p.Type != parser.ConnectError || p.Data[0].Decode(&e) != nil || e.Message != "too many namespaces" {
		t.Fatalf("third namespace: %v %s", p.Type, show(p))
	}
	// Leaving one makes room again.
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/a"})
	waitUntil(t, func() bool { return env.srv.Of("/a").Len() == 0 })
	c.connect("/b", nil)
}

// Inputs shaped like the known socket.io-parser CVEs close only the
// offending connection; the server and other clients carry on.
//   - CVE-2022-2421: attachment placeholders of the wrong type or range.
//   - CVE-2023-32695: an event name that is not a string or number.
func TestCVEClassPacketsCloseOnlyThatConnection(t *testing.T) {
	tests := []struct {
		name   string
		frames []engineio.Frame
	}{
		{"placeholder num as string", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":"0"}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num as object", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":{"__proto__":0}}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num out of range", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":7}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num negative", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":-1}]`)), engineio.BinaryFrame([]byte{1})}},
		{"attachment count huge", []engineio.Frame{
			engineio.TextFrame([]byte(`5999999999-["x"]`))}},
		{"binary with no attachment expected", []engineio.Frame{engineio.BinaryFrame([]byte{1, 2, 3})}},
		{"text while attachments are expected", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":0}]`)), engineio.TextFrame([]byte(`2["y"]`))}},
		{"event name is an object", []engineio.Frame{engineio.TextFrame([]byte(`2[{"toString":"foo"}]`))}},
		{"event name is an array", []engineio.Frame{engineio.TextFrame([]byte(`2[["x"]]`))}},
		{"event name is null", []engineio.Frame{engineio.TextFrame([]byte(`2[null]`))}},
		{"empty event", []engineio.Frame{engineio.TextFrame([]byte(`2[]`))}},
		{"deeply nested", []engineio.Frame{engineio.TextFrame([]byte(`2["x",` + deep(100000) + `]`))}},
	}
	env := newEnv(t, nil)
	reasons := make(chan DisconnectReason, 1)
	env.srv.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	bystander := env.dial(t)
	bystander.connect("/", nil)
	<-time.After(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.dial(t, engineio.TransportWebSocket)
			c.connect("/", nil)
			for _, f := range tt.frames {
				_ = c.eio.Send(f)
			}
			c.waitClosed()
			if r := <-reasons; r != ReasonParseError {
				t.Errorf("reason %q", r)
			}
		})
	}
	_ = env.srv.Emit("still", "here")
	bystander.expectEvent("/", "still")
}

func deep(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		b = append(b, '[')
	}
	for i := 0; i < n; i++ {
		b = append(b, ']')
	}
	return string(b)
}

// A client that never acknowledges cannot make the server keep more than
// MaxPendingAcks waiting acks for it.
func TestMaxPendingAcks(t *testing.T) {
	env := newEnv(t, &ServerOptions{MaxPendingAcks: 2, ConcurrentEvents: true})
	errs := make(chan error, 3)
	env.srv.OnConnection(func(s *Socket) {
		s.On("ask-me", func(*Event) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question")
			errs <- err
		})
	})
	c := env.dial(t)
	c.connect("/", nil)
	for i := 0; i < 3; i++ {
		c.emit("/", "ask-me")
	}
	var tooMany, timedOut int
	for i := 0; i < 3; i++ {
		switch err := <-errs; {
		case errors.Is(err, ErrTooManyAcks):
			tooMany++
		case errors.Is(err, ErrAckTimeout):
			timedOut++
		default:
			t.Fatalf("EmitWithAck: %v", err)
		}
	}
	if tooMany != 1 || timedOut != 2 {
		t.Fatalf("%d refused, %d timed out; want 1 and 2", tooMany, timedOut)
	}
	// The expired ones are gone: there is room again.
	c.emit("/", "ask-me")
	if err := <-errs; !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("after expiry: %v", err)
	}
}

// An executor that never runs dry (each task queues the next, with a few
// always waiting) runs every task in order and keeps its queue small.
func TestExecutorBusyQueueStaysSmall(t *testing.T) {
	var x executor
	const total, ahead = 10000, 5
	var mu sync.Mutex
	ran, maxCap := 0, 0
	done := make(chan struct{})
	var next func(i int) func()
	next = func(i int) func() {
		return func() {
			mu.Lock()
			if i != ran {
				t.Errorf("task %d ran in position %d", i, ran)
			}
			ran++
			mu.Unlock()
			x.mu.Lock()
			maxCap = max(maxCap, cap(x.queue))
			x.mu.Unlock()
			if i+ahead < total {
				x.run(next(i + ahead))
			}
			if i == total-1 {
				close(done)
			}
		}
	}
	x.mu.Lock() // queue the first ones before the loop starts
	for i := range ahead {
		x.queue = append(x.queue, task{fn: next(i)})
	}
	x.mu.Unlock()
	x.run(func() {})
	<-done
	if maxCap > 4*ahead {
		t.Fatalf("queue capacity reached %d with at most %d tasks waiting", maxCap, ahead+1)
	}
}

// Join takes a socket up to MaxRoomsPerSocket rooms and no further: a join
// beyond joins none of its rooms; rooms already joined, the own id room and
// duplicates are not new ones; leaving makes room.
func TestMaxRoomsPerSocket(t *testing.T) {
	const limit = 3
	env := newEnv(t, &ServerOptions{MaxRoomsPerSocket: limit})
	socks := make(chan *Socket, 1)
	env.srv.OnConnection(func(s *Socket) { socks <- s })
	env.dial(t).connect("/", nil)
	s := <-socks
	own := "<own>" // stands for s.ID() in the table
	tests := []struct {
		name  string
		have  []Room // joined before
		leave []Room // then left
		join  []Room
		err   error
		want  []Room // rooms after, own room left out
	}{
		{"up to the limit", nil, nil, []Room{"a", "b", "c"}, nil, []Room{"a", "b", "c"}},
		{"one by one to the limit", []Room{"a", "b"}, nil, []Room{"c"}, nil, []Room{"a", "b", "c"}},
		{"one more", []Room{"a", "b", "c"}, nil, []Room{"d"}, ErrTooManyRooms, []Room{"a", "b", "c"}},
		{"all or none", []Room{"a"}, nil, []Room{"b", "c", "d"}, ErrTooManyRooms, []Room{"a"}},
		{"more than the limit at once", nil, nil, []Room{"a", "b", "c", "d"}, ErrTooManyRooms, nil},
		{"rooms joined already are free", []Room{"a", "b", "c"}, nil, []Room{"c", "a"}, nil, []Room{"a", "b", "c"}},
		{"own room is free", []Room{"a", "b", "c"}, nil, []Room{own}, nil, []Room{"a", "b", "c"}},
		{"duplicates count once", []Room{"a"}, nil, []Room{"b", "b", "c", "c", "a"}, nil, []Room{"a", "b", "c"}},
		{"leaving frees a slot", []Room{"a", "b", "c"}, []Room{"b"}, []Room{"d"}, nil, []Room{"a", "c", "d"}},
		{"nothing to join", []Room{"a", "b", "c"}, nil, nil, nil, []Room{"a", "b", "c"}},
	}
	ownRoom := func(rooms []Room) []Room {
		out := slices.Clone(rooms)
		for i, r := range out {
			if r == own {
				out[i] = s.ID()
			}
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Leave(s.Rooms()...)
			s.Join(s.ID()) // the table starts from a socket in its own room only
			if err := s.Join(tt.have...); err != nil {
				t.Fatalf("joining %v first: %v", tt.have, err)
			}
			s.Leave(tt.leave...)
			if err := s.Join(ownRoom(tt.join)...); !errors.Is(err, tt.err) {
				t.Fatalf("Join(%v) = %v, want %v", tt.join, err, tt.err)
			}
			if got, want := s.Rooms(), sorted(append([]Room{s.ID()}, tt.want...)...); !slices.Equal(got, want) {
				t.Fatalf("rooms %v, want %v", got, want)
			}
		})
	}
}

// SocketsJoin leaves out the sockets it would take beyond
// MaxRoomsPerSocket (they join none of the rooms, logged at debug level);
// the others join.
func TestSocketsJoinRespectsMaxRooms(t *testing.T) {
	var logs syncbuf.Buffer
	env := newEnv(t, &ServerOptions{MaxRoomsPerSocket: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	socks := make(chan *Socket, 3)
	env.srv.OnConnection(func(s *Socket) { socks <- s })
	var sock [3]*Socket
	for i := range sock {
		env.dial(t).connect("/", nil)
		sock[i] = <-socks
	}
	full, one := sock[0], sock[1]
	if err := full.Join("r", "x"); err != nil {
		t.Fatal(err)
	}
	if err := one.Join("r"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		op    *BroadcastOperator
		rooms []Room
		want  [3][]Room // rooms of full, one, none after, own room left out
	}{
		{"one socket at the limit is left out", env.srv.In("r"), []Room{"z"},
			[3][]Room{{"r", "x"}, {"r", "z"}, nil}},
		{"every socket, two rooms", env.srv.Of("/").Except("x"), []Room{"p", "q"},
			[3][]Room{{"r", "x"}, {"r", "z"}, {"p", "q"}}},
		{"rooms joined already", env.srv.In("r"), []Room{"x"},
			[3][]Room{{"r", "x"}, {"r", "z"}, {"p", "q"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op.SocketsJoin(tt.rooms...); err != nil {
				t.Fatalf("SocketsJoin: %v", err)
			}
			for i, s := range sock {
				if got, want := s.Rooms(), sorted(append([]Room{s.ID()}, tt.want[i]...)...); !slices.Equal(got, want) {
					t.Errorf("socket %d: rooms %v, want %v", i, got, want)
				}
			}
		})
	}
	if n := strings.Count(logs.String(), "socket left out of SocketsJoin"); n != 3 {
		t.Errorf("%d debug lines for sockets left out, want 3 (full once, one twice):\n%s", n, logs.String())
	}
}

// A client that asks its handler to join room after room cannot make the
// server keep more than MaxRoomsPerSocket rooms for it.
func TestMaxRoomsPerSocketBoundsMemory(t *testing.T) {
	const limit, asked = 10, 200
	env := newEnv(t, &ServerOptions{MaxRoomsPerSocket: limit})
	var refused atomic.Int64
	env.srv.OnConnection(func(s *Socket) {
		s.On("join", func(e *Event) {
			var room string
			_ = e.Decode(&room)
			if errors.Is(s.Join(room), ErrTooManyRooms) {
				refused.Add(1)
			}
			_ = e.Ack()
		})
	})
	c := env.dial(t, engineio.TransportWebSocket)
	id := c.connect("/", nil)
	for i := 0; i < asked; i++ {
		p := parser.NewEvent("/", "join", "room-"+strconv.Itoa(i))
		p.ID, p.HasID = uint64(i), true
		c.send(p)
	}
	for i := 0; i < asked; i++ {
		if a := c.next(); a.Type != parser.Ack {
			t.Fatalf("ack %d: %v %s", i, a.Type, show(a))
		}
	}
	nsp := env.srv.Of("/")
	if got := len(nsp.Socket(id).Rooms()); got != limit+1 {
		t.Errorf("socket in %d rooms, want %d (own room included)", got, limit+1)
	}
	if got := len(nsp.Adapter().Rooms()); got != limit+1 {
		t.Errorf("adapter keeps %d rooms, want %d", got, limit+1)
	}
	if got := refused.Load(); got != asked-limit {
		t.Errorf("%d joins refused, want %d", got, asked-limit)
	}
}

// Joins from several goroutines at once (handlers with ConcurrentEvents,
// remote SocketsJoin) together stop at MaxRoomsPerSocket too.
func TestMaxRoomsPerSocketConcurrentJoins(t *testing.T) {
	const limit, goroutines, each = 50, 8, 20
	env := newEnv(t, &ServerOptions{MaxRoomsPerSocket: limit})
	socks := make(chan *Socket, 1)
	env.srv.OnConnection(func(s *Socket) { socks <- s })
	env.dial(t).connect("/", nil)
	s := <-socks
	var joined atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if s.Join(strconv.Itoa(g)+"-"+strconv.Itoa(i)) == nil {
					joined.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := len(s.Rooms()) - 1; got != limit || joined.Load() != limit {
		t.Fatalf("%d rooms, %d joins succeeded; want %d and %d", got, joined.Load(), limit, limit)
	}
}

// A socket that has disconnected joins nothing: rooms joined from a
// goroutine that outlives the socket do not stay in the adapter.
func TestJoinAfterDisconnect(t *testing.T) {
	env := newEnv(t, nil)
	socks := make(chan *Socket, 1)
	gone := make(chan struct{})
	env.srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(DisconnectReason) { close(gone) })
		socks <- s
	})
	c := env.dial(t)
	c.connect("/", nil)
	s := <-socks
	if err := s.Join("before"); err != nil {
		t.Fatal(err)
	}
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
	<-gone
	if err := s.Join("after"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Join after disconnect: %v, want ErrNotConnected", err)
	}
	if rooms := env.srv.Of("/").Adapter().SocketRooms(s.ID()); len(rooms) != 0 {
		t.Fatalf("a gone socket is still in rooms %v", rooms)
	}
}

// Rooms joined by a middleware that then refuses the connection do not stay
// in the adapter.
func TestRefusedSocketLeavesNoRooms(t *testing.T) {
	env := newEnv(t, nil)
	refused := make(chan *Socket, 1)
	env.srv.Of("/").Use(func(s *Socket) error {
		if err := s.Join("lobby"); err != nil {
			return err
		}
		refused <- s
		return errors.New("no")
	})
	c := env.dial(t)
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/"})
	if p := c.next(); p.Type != parser.ConnectError {
		t.Fatalf("got %v, want CONNECT_ERROR", p.Type)
	}
	s := <-refused
	if rooms := env.srv.Of("/").Adapter().SocketRooms(s.ID()); len(rooms) != 0 {
		t.Fatalf("a refused socket is still in rooms %v", rooms)
	}
}

func TestOwnRoomMembership(t *testing.T) {
	// A socket's own room is kept apart from the others (memory_adapter.go);
	// it must behave like any room: listed, left, joined by another socket.
	srv := NewServer(nil)
	conns := inProcess(t, srv, 3)
	a := srv.Of("/").Adapter().(*MemoryAdapter)
	var ids []string
	for _, info := range a.LocalFetchSockets(BroadcastOptions{}) {
		ids = append(ids, info.ID)
	}
	slices.Sort(ids)
	x, y, z := ids[0], ids[1], ids[2]
	a.AddAll(y, Room(x)) // y joins the room named after x
	reach := func(opts BroadcastOptions) []string {
		var got []string
		for _, s := range a.recipients(opts) {
			got = append(got, s.ID())
		}
		slices.Sort(got)
		return got
	}
	tests := []struct {
		name string
		opts BroadcastOptions
		want []string
	}{
		{"own room and a guest", BroadcastOptions{Rooms: []Room{Room(x)}}, []string{x, y}},
		{"two own rooms", BroadcastOptions{Rooms: []Room{Room(x), Room(z)}}, []string{x, y, z}},
		{"except an own room", BroadcastOptions{Except: []Room{Room(x)}}, []string{z}},
		{"own room except another", BroadcastOptions{Rooms: []Room{Room(x)}, Except: []Room{Room(y)}}, []string{x}},
	}
	for _, tt := range tests {
		if got := reach(tt.opts); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if rooms := a.Rooms(); !slices.Equal(rooms, []Room{Room(x), Room(y), Room(z)}) {
		t.Errorf("Rooms %v", rooms)
	}
	a.Del(x, Room(x)) // x leaves its own room; y stays in it
	if got := reach(BroadcastOptions{Rooms: []Room{Room(x)}}); !slices.Equal(got, []string{y}) {
		t.Errorf("after x left its room: %v, want [%s]", got, y)
	}
	if rooms := a.SocketRooms(x); len(rooms) != 0 {
		t.Errorf("x is still in %v", rooms)
	}
	a.Del(y, Room(x))
	if rooms := a.Rooms(); !slices.Equal(rooms, []Room{Room(y), Room(z)}) {
		t.Errorf("Rooms after both left %s: %v", x, rooms)
	}
	a.DelAll(z)
	if got := reach(BroadcastOptions{Rooms: []Room{Room(z)}}); len(got) != 0 {
		t.Errorf("z's room after DelAll: %v", got)
	}
	_ = conns
}

func TestHandlerSet(t *testing.T) {
	// Past maxHandlerList names the set turns into a map; handlers keep
	// their order and names either side of the switch are found.
	for _, names := range []int{1, maxHandlerList, maxHandlerList + 1, 3 * maxHandlerList} {
		var h handlerSet
		calls := map[string][]int{}
		for round := range 2 {
			for i := range names {
				name := "ev" + strconv.Itoa(i)
				h.add(name, func(*Event) { calls[name] = append(calls[name], round) })
			}
		}
		for i := range names {
			name := "ev" + strconv.Itoa(i)
			fns := h.get(name)
			if len(fns) != 2 {
				t.Fatalf("%d names: %s has %d handlers", names, name, len(fns))
			}
			for _, fn := range fns {
				fn(nil)
			}
			if !slices.Equal(calls[name], []int{0, 1}) {
				t.Fatalf("%d names: %s ran %v", names, name, calls[name])
			}
		}
		if h.get("missing") != nil {
			t.Fatalf("%d names: a missing name has handlers", names)
		}
		if (h.m != nil) != (names > maxHandlerList) {
			t.Fatalf("%d names: map %v", names, h.m != nil)
		}
	}
}
