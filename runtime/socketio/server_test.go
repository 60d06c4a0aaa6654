package socketio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// rawClient speaks Socket.IO packets over our Engine.IO client, so tests see
// exactly what the server sends.
type rawClient struct {
	t       *testing.T
	codec   parser.Codec
	eio     *engineio.Client
	dec     parser.Decoder
	packets chan *parser.Packet
	closed  chan engineio.CloseReason
}

func (c *rawClient) HandleMessage(data []byte, binary bool) {
	p, err := c.dec.Add(data, binary)
	if err != nil {
		c.t.Errorf("client decode: %v", err)
		return
	}
	if p != nil {
		c.packets <- p
	}
}

func (c *rawClient) HandleClose(r engineio.CloseReason, _ error) { c.closed <- r }

type testEnv struct {
	srv   *Server
	http  *httptest.Server
	codec parser.Codec
}

func newEnv(t *testing.T, opts *ServerOptions) *testEnv {
	t.Helper()
	if opts == nil {
		opts = &ServerOptions{}
	}
	srv := NewServer(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return &testEnv{srv: srv, http: hs, codec: srv.Codec()}
}

func (env *testEnv) dial(t *testing.T, transports ...engineio.Transport) *rawClient {
	t.Helper()
	c := &rawClient{t: t, codec: env.codec, dec: env.codec.NewDecoder(parser.DecoderOptions{}),
		packets: make(chan *parser.Packet, 1000), closed: make(chan engineio.CloseReason, 1)}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := engineio.Dial(ctx, env.http.URL+"/socket.io/", c, &engineio.DialOptions{
		Transports: transports, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.eio = e
	t.Cleanup(func() {
		e.Close()
		<-e.Done()
	})
	return c
}

func (c *rawClient) send(p *parser.Packet) {
	c.t.Helper()
	frames, err := c.codec.Encode(p)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.eio.Send(frames...); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) next() *parser.Packet {
	c.t.Helper()
	select {
	case p := <-c.packets:
		return p
	case <-time.After(5 * time.Second):
		c.t.Fatal("no packet within 5s")
		return nil
	}
}

// nothing checks that no packet arrives within d.
func (c *rawClient) nothing(d time.Duration) {
	c.t.Helper()
	select {
	case p := <-c.packets:
		c.t.Fatalf("unexpected packet %v %s", p.Type, show(p))
	case <-time.After(d):
	}
}

func (c *rawClient) waitClosed() engineio.CloseReason {
	c.t.Helper()
	select {
	case r := <-c.closed:
		return r
	case <-time.After(5 * time.Second):
		c.t.Fatal("connection not closed within 5s")
		return ""
	}
}

// connect joins nsp with auth (nil: none) and returns the socket id.
func (c *rawClient) connect(nsp string, auth any) string {
	c.t.Helper()
	p := &parser.Packet{Type: parser.Connect, Namespace: nsp}
	if auth != nil {
		p.Data = []parser.Value{parser.ValueOf(auth)}
	}
	c.send(p)
	r := c.next()
	if r.Type != parser.Connect || r.Namespace != nsp {
		c.t.Fatalf("connect %s: got %v %s %s", nsp, r.Type, r.Namespace, show(r))
	}
	var reply struct {
		SID string `json:"sid"`
	}
	if err := r.Data[0].Decode(&reply); err != nil || reply.SID == "" {
		c.t.Fatalf("connect reply %s: %v", show(r), err)
	}
	return reply.SID
}

func (c *rawClient) emit(nsp, event string, args ...any) {
	c.t.Helper()
	c.send(parser.NewEvent(nsp, event, args...))
}

// expectEvent reads the next packet and checks it is event name; it returns the args.
func (c *rawClient) expectEvent(nsp, name string) []parser.Value {
	c.t.Helper()
	p := c.next()
	got, _ := p.EventName()
	if p.Type != parser.Event || p.Namespace != nsp || got != name {
		c.t.Fatalf("got %v %s %s, want event %q on %s", p.Type, p.Namespace, show(p), name, nsp)
	}
	return p.Args()
}

func show(p *parser.Packet) string {
	var b strings.Builder
	for i, v := range p.Data {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.String())
	}
	return "[" + b.String() + "]"
}

func decodeString(t *testing.T, v parser.Value) string {
	t.Helper()
	var s string
	if err := v.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

var codecs = []parser.Codec{parser.JSON, parser.MessagePack}

var transportModes = []struct {
	name       string
	transports []engineio.Transport
}{
	{"polling", []engineio.Transport{engineio.TransportPolling}},
	{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	{"upgrade", nil},
}

// TestEventsAndAcks runs the core exchange over each codec and transport.
func TestEventsAndAcks(t *testing.T) {
	for _, codec := range codecs {
		for _, mode := range transportModes {
			t.Run(codec.Name()+"/"+mode.name, func(t *testing.T) {
				env := newEnv(t, &ServerOptions{Parser: codec})
				type payload struct {
					Text string `json:"text"`
					Blob []byte `json:"blob"`
				}
				serverGot := make(chan string, 10)
				env.srv.OnConnection(func(s *Socket) {
					var auth struct {
						Token string `json:"token"`
					}
					_ = s.Handshake().Auth.Decode(&auth)
					_ = s.Emit("welcome", auth.Token)
					s.On("echo", func(e *Event) {
						var p payload
						if err := e.Decode(&p); err != nil {
							t.Errorf("decode: %v", err)
						}
						_ = e.Ack(p, "extra")
					})
					s.On("ask-me", func(e *Event) {
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						defer cancel()
						// Awaiting the same client's ack from inside a handler must not deadlock.
						ans, err := s.EmitWithAck(ctx, "question", 41)
						if err != nil {
							serverGot <- "error: " + err.Error()
							return
						}
						var n int
						_ = ans[0].Decode(&n)
						serverGot <- fmt.Sprint(n)
					})
				})
				c := env.dial(t, mode.transports...)
				c.connect("/", map[string]any{"token": "abc"})
				if got := decodeString(t, c.expectEvent("/", "welcome")[0]); got != "abc" {
					t.Fatalf("welcome %q", got)
				}
				// Client event with ack, carrying binary.
				p := parser.NewEvent("/", "echo", payload{Text: "hi", Blob: []byte{0, 1, 2, 255}})
				p.ID, p.HasID = 7, true
				c.send(p)
				ack := c.next()
				if ack.Type != parser.Ack || ack.ID != 7 || len(ack.Data) != 2 {
					t.Fatalf("ack %v id %d %s", ack.Type, ack.ID, show(ack))
				}
				var back payload
				if err := ack.Data[0].Decode(&back); err != nil || back.Text != "hi" || string(back.Blob) != "\x00\x01\x02\xff" {
					t.Fatalf("ack payload %+v %v", back, err)
				}
				// Server asks the client for an ack.
				c.emit("/", "ask-me")
				q := c.next()
				if name, _ := q.EventName(); name != "question" || !q.HasID {
					t.Fatalf("question %s", show(q))
				}
				c.send(&parser.Packet{Type: parser.Ack, Namespace: "/", ID: q.ID, HasID: true,
					Data: []parser.Value{parser.ValueOf(42)}})
				if got := <-serverGot; got != "42" {
					t.Fatalf("server got %q", got)
				}
			})
		}
	}
}

func TestConnectRefusals(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{Parser: codec})
			admin := env.srv.Of("/admin")
			admin.Use(func(s *Socket) error {
				var a struct {
					Token string `json:"token"`
				}
				_ = s.Handshake().Auth.Decode(&a)
				if a.Token != "secret" {
					return NewConnectError("not authorized", map[string]string{"reason": "bad token"})
				}
				return nil
			})
			admin.Use(func(s *Socket) error { return errors.New("plain error") }) // never reached with a bad token
			c := env.dial(t)

			c.send(&parser.Packet{Type: parser.Connect, Namespace: "/random"})
			p := c.next()
			var e struct {
				Message string            `json:"message"`
				Data    map[string]string `json:"data"`
			}
			if p.Type != parser.ConnectError || p.Namespace != "/random" || p.Data[0].Decode(&e) != nil || e.Message != "Invalid namespace" {
				t.Fatalf("unknown namespace: %v %s %s", p.Type, p.Namespace, show(p))
			}
			if codec == parser.JSON && string(p.Data[0].Raw()) != `{"message":"Invalid namespace"}` {
				t.Errorf("payload %s, want exactly {\"message\":\"Invalid namespace\"}", p.Data[0].Raw())
			}

			c.send(&parser.Packet{Type: parser.Connect, Namespace: "/admin", Data: []parser.Value{parser.ValueOf(map[string]string{"token": "bad"})}})
			p = c.next()
			e.Message, e.Data = "", nil
			if p.Type != parser.ConnectError || p.Data[0].Decode(&e) != nil || e.Message != "not authorized" || e.Data["reason"] != "bad token" {
				t.Fatalf("middleware refusal: %v %s", p.Type, show(p))
			}
			// The connection stays usable.
			c.connect("/", nil)
			if env.srv.Of("/admin").Len() != 0 {
				t.Fatal("refused socket was added")
			}
		})
	}
}

func TestRoomsAndBroadcasts(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{Parser: codec})
			env.srv.OnConnection(func(s *Socket) {
				s.On("join", func(e *Event) {
					var room string
					_ = e.Decode(&room)
					s.Join(room)
					_ = e.Ack()
				})
				s.On("to-room", func(e *Event) {
					var room, text string
					_ = e.Decode(&room, &text)
					_ = s.To(room).Emit("room-message", text) // not to the sender
				})
			})
			join := func(c *rawClient, room string) {
				p := parser.NewEvent("/", "join", room)
				p.ID, p.HasID = 1, true
				c.send(p)
				if a := c.next(); a.Type != parser.Ack {
					t.Fatalf("join ack: %v", a.Type)
				}
			}
			a, b, x := env.dial(t), env.dial(t), env.dial(t)
			ida := a.connect("/", nil)
			b.connect("/", nil)
			x.connect("/", nil)
			join(a, "r1")
			join(b, "r1")
			join(x, "other")

			a.emit("/", "to-room", "r1", "hello")
			if got := decodeString(t, b.expectEvent("/", "room-message")[0]); got != "hello" {
				t.Fatalf("b got %q", got)
			}
			x.nothing(100 * time.Millisecond)
			a.nothing(0)

			// Server-wide: except, volatile, own-id room.
			if err := env.srv.Except("other").Emit("news", 1); err != nil {
				t.Fatal(err)
			}
			a.expectEvent("/", "news")
			b.expectEvent("/", "news")
			x.nothing(100 * time.Millisecond)
			_ = env.srv.To(ida).Volatile().Emit("just-a", true)
			a.expectEvent("/", "just-a")
			b.nothing(50 * time.Millisecond)

			// FetchSockets, SocketsJoin, SocketsLeave.
			ctx := context.Background()
			infos, err := env.srv.Of("/").In("r1").FetchSockets(ctx)
			if err != nil || len(infos) != 2 {
				t.Fatalf("FetchSockets r1: %d %v", len(infos), err)
			}
			_ = env.srv.Of("/").In("r1").SocketsJoin("r2")
			_ = env.srv.To("r2").Emit("r2-news")
			a.expectEvent("/", "r2-news")
			b.expectEvent("/", "r2-news")
			x.nothing(50 * time.Millisecond)
			_ = env.srv.Of("/").SocketsLeave("r2")
			_ = env.srv.To("r2").Emit("r2-news")
			a.nothing(50 * time.Millisecond)
			if rooms := env.srv.Of("/").Socket(ida).Rooms(); !slices.Equal(rooms, sorted(ida, "r1")) {
				t.Fatalf("rooms %v", rooms)
			}
		})
	}
}

func sorted(s ...string) []string { sort.Strings(s); return s }

func TestBroadcastWithAck(t *testing.T) {
	env := newEnv(t, nil)
	clients := []*rawClient{env.dial(t), env.dial(t), env.dial(t)}
	ids := make([]string, len(clients))
	for i, c := range clients {
		ids[i] = c.connect("/", nil)
	}
	// answer makes the first two clients answer the next question.
	answer := func() *sync.WaitGroup {
		var wg sync.WaitGroup
		for i, c := range clients[:2] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := c.next()
				c.send(&parser.Packet{Type: parser.Ack, Namespace: "/", ID: p.ID, HasID: true, Data: []parser.Value{parser.ValueOf(i)}})
			}()
		}
		return &wg
	}
	wg := answer()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := env.srv.Of("/").EmitWithAck(ctx, "ask")
	wg.Wait()
	// The third client never answers: two answers and a timeout error.
	if !errors.Is(err, ErrAckTimeout) || len(res) != 2 {
		t.Fatalf("got %d answers, err %v", len(res), err)
	}
	clients[2].next() // the question it ignored
	// Without the silent client every answer arrives and there is no error.
	wg = answer()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	res, err = env.srv.Of("/").Except(ids[2]).EmitWithAck(ctx2, "ask")
	wg.Wait()
	if err != nil || len(res) != 2 {
		t.Fatalf("without the silent client: %d answers, err %v", len(res), err)
	}
	clients[2].nothing(50 * time.Millisecond)
}

func TestDisconnects(t *testing.T) {
	env := newEnv(t, nil)
	reasons := make(chan DisconnectReason, 10)
	env.srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		s.On("kick", func(e *Event) { s.Disconnect(false) })
	})
	env.srv.Of("/custom")

	// Client leaves a namespace: no reply, the connection stays.
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	c.connect("/custom", nil)
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
	if r := <-reasons; r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	c.nothing(100 * time.Millisecond)
	// Server disconnects a socket: the client gets DISCONNECT for that namespace.
	c.connect("/", nil)
	c.emit("/", "kick")
	if p := c.next(); p.Type != parser.Disconnect || p.Namespace != "/" {
		t.Fatalf("got %v %s", p.Type, p.Namespace)
	}
	if r := <-reasons; r != ReasonServerNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	// Transport closed by the client.
	c.connect("/", nil)
	c.eio.Close()
	if r := <-reasons; r != ReasonTransportClose && r != ReasonForcedClose {
		t.Fatalf("reason %q", r)
	}
}

func TestBadPacketsCloseOnlyThatConnection(t *testing.T) {
	tests := []struct{ name, frame string }{
		{"unknown type", "abc"},
		{"event not an array", `2{}`},
		{"bad ack id", `2abc["x"]`},
		{"reserved event", `2["disconnect"]`},
		{"namespace not joined", `2/nope,["x"]`},
		{"connect error from client", `4{"message":"x"}`},
	}
	env := newEnv(t, nil)
	reasons := make(chan DisconnectReason, 10)
	env.srv.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	bystander := env.dial(t)
	bystander.connect("/", nil)
	<-time.After(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.dial(t)
			c.connect("/", nil)
			if err := c.eio.Send(engineio.TextFrame([]byte(tt.frame))); err != nil {
				t.Fatal(err)
			}
			c.waitClosed()
			if r := <-reasons; r != ReasonParseError {
				t.Errorf("reason %q", r)
			}
		})
	}
	if err := env.srv.Emit("still", "here"); err != nil {
		t.Fatal(err)
	}
	bystander.expectEvent("/", "still")
}

func TestConnectTimeout(t *testing.T) {
	env := newEnv(t, &ServerOptions{ConnectTimeout: 100 * time.Millisecond})
	c := env.dial(t)
	c.waitClosed()
}

func TestDynamicNamespaces(t *testing.T) {
	env := newEnv(t, nil)
	parent := env.srv.OfFunc(func(name string, _ parser.Value) bool { return strings.HasPrefix(name, "/dyn-") })
	parent.Use(func(s *Socket) error {
		if s.Namespace().Name() == "/dyn-forbidden" {
			return errors.New("nope")
		}
		return nil
	})
	parent.OnConnection(func(s *Socket) { _ = s.Emit("hello", s.Namespace().Name()) })
	c := env.dial(t)
	c.connect("/dyn-a", nil)
	if got := decodeString(t, c.expectEvent("/dyn-a", "hello")[0]); got != "/dyn-a" {
		t.Fatalf("hello %q", got)
	}
	c.connect("/dyn-b", nil)
	c.expectEvent("/dyn-b", "hello")
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/dyn-forbidden"})
	if p := c.next(); p.Type != parser.ConnectError {
		t.Fatalf("forbidden child: %v", p.Type)
	}
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/other"})
	if p := c.next(); p.Type != parser.ConnectError {
		t.Fatalf("unmatched: %v", p.Type)
	}
	// A broadcast on the parent reaches every child.
	_ = parent.Emit("all")
	got := []string{c.next().Namespace, c.next().Namespace}
	sort.Strings(got)
	if !slices.Equal(got, []string{"/dyn-a", "/dyn-b"}) {
		t.Fatalf("parent broadcast reached %v", got)
	}
}

func TestConnectionStateRecovery(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{Parser: codec, ConnectionStateRecovery: &RecoveryOptions{}})
			middlewareRuns := 0
			env.srv.Use(func(s *Socket) error { middlewareRuns++; return nil })
			env.srv.OnConnection(func(s *Socket) {
				if !s.Recovered() {
					s.Join("room")
					s.SetData("my data")
				}
			})
			c := env.dial(t, engineio.TransportWebSocket)
			c.send(&parser.Packet{Type: parser.Connect, Namespace: "/"})
			reply := c.next()
			var r struct {
				SID string `json:"sid"`
				PID string `json:"pid"`
			}
			if err := reply.Data[0].Decode(&r); err != nil || r.PID == "" {
				t.Fatalf("reply %s: %v", show(reply), err)
			}
			time.Sleep(50 * time.Millisecond) // let the connection handler join the room
			_ = env.srv.To("room").Emit("news", "one")
			args := c.expectEvent("/", "news")
			if len(args) != 2 {
				t.Fatalf("no offset appended: %s", show(&parser.Packet{Data: args}))
			}
			offset := decodeString(t, args[1])

			// The transport drops; events keep coming meanwhile.
			c.eio.Close()
			c.waitClosed()
			waitUntil(t, func() bool { return env.srv.Of("/").Len() == 0 })
			time.Sleep(50 * time.Millisecond) // the state is kept in the socket's event order
			_ = env.srv.To("room").Emit("news", "two")
			_ = env.srv.Emit("news", "three")

			c2 := env.dial(t, engineio.TransportWebSocket)
			c2.send(&parser.Packet{Type: parser.Connect, Namespace: "/",
				Data: []parser.Value{parser.ValueOf(map[string]string{"pid": r.PID, "offset": offset})}})
			// Missed events come first, then the reply with the same ids.
			for _, want := range []string{"two", "three"} {
				if got := decodeString(t, c2.expectEvent("/", "news")[0]); got != want {
					t.Fatalf("replayed %q, want %q", got, want)
				}
			}
			reply = c2.next()
			var r2 struct {
				SID string `json:"sid"`
				PID string `json:"pid"`
			}
			if reply.Type != parser.Connect || reply.Data[0].Decode(&r2) != nil || r2.SID != r.SID || r2.PID != r.PID {
				t.Fatalf("recovery reply %s, want sid %s pid %s", show(reply), r.SID, r.PID)
			}
			s := env.srv.Of("/").Socket(r.SID)
			if s == nil || !s.Recovered() || s.Data() != "my data" || !slices.Contains(s.Rooms(), "room") {
				t.Fatalf("recovered socket: %+v", s)
			}
			if middlewareRuns != 1 {
				t.Fatalf("middleware ran %d times; recovery skips it by default", middlewareRuns)
			}
			// A pid is good once.
			c3 := env.dial(t, engineio.TransportWebSocket)
			c3.send(&parser.Packet{Type: parser.Connect, Namespace: "/",
				Data: []parser.Value{parser.ValueOf(map[string]string{"pid": r.PID, "offset": offset})}})
			reply = c3.next()
			var r3 struct {
				SID string `json:"sid"`
			}
			if reply.Data[0].Decode(&r3) != nil || r3.SID == r.SID {
				t.Fatalf("pid reused: %s", show(reply))
			}
		})
	}
}

func TestShutdownDisconnectsSockets(t *testing.T) {
	srv := NewServer(nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := &testEnv{srv: srv, http: hs, codec: srv.Codec()}
	reasons := make(chan DisconnectReason, 1)
	srv.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-reasons; r != ReasonServerShuttingDown {
		t.Fatalf("reason %q", r)
	}
	c.waitClosed()
}

// closeCounting is the in-memory adapter, counting its Close calls.
type closeCounting struct {
	*MemoryAdapter
	closed *int
}

func (a closeCounting) Close() error { *a.closed++; return a.MemoryAdapter.Close() }

// Shutdown closes the adapter of every namespace, the parents of dynamic
// namespaces included (a Redis adapter subscribes and runs goroutines for
// each).
func TestShutdownClosesEveryAdapter(t *testing.T) {
	closed := map[string]*int{}
	srv := NewServer(&ServerOptions{Adapter: func(n *Namespace) Adapter {
		closed[n.Name()] = new(int)
		return closeCounting{NewMemoryAdapter(n), closed[n.Name()]}
	}})
	srv.Of("/chat")
	srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	srv.OfFunc(func(string, parser.Value) bool { return false })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if len(closed) != 4 {
		t.Fatalf("adapters of %v, want /, /chat and two parents", slices.Collect(maps.Keys(closed)))
	}
	for name, n := range closed {
		if *n != 1 {
			t.Errorf("adapter of %s closed %d times", name, *n)
		}
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSocketMiddlewareAndListeners(t *testing.T) {
	env := newEnv(t, nil)
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	env.srv.OnConnection(func(s *Socket) {
		s.Use(func(e *Event) error {
			if e.Name == "forbidden" {
				return errors.New("not allowed")
			}
			return nil
		})
		s.OnError(func(err error) { add("error:" + err.Error()) })
		s.OnAny(func(e *Event) { add("any:" + e.Name) })
		s.OnAnyOutgoing(func(event string, args []parser.Value) { add("out:" + event) })
		s.On("ok", func(e *Event) { add("ok"); _ = s.Emit("reply") })
	})
	c := env.dial(t)
	c.connect("/", nil)
	c.emit("/", "forbidden")
	c.emit("/", "ok")
	c.expectEvent("/", "reply")
	mu.Lock()
	defer mu.Unlock()
	// As in Node, OnAny handlers see an event before the per-event
	// middleware, even one it refuses.
	want := []string{"any:forbidden", "error:not allowed", "any:ok", "ok", "out:reply"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %v, want %v", log, want)
	}
}

// A client that does not read fills its connection's queue: volatile
// broadcasts are dropped for it, a regular one disconnects it, and the other
// clients get everything.
func TestSlowClientPolicy(t *testing.T) {
	env := newEnv(t, &ServerOptions{Engine: engineio.Options{WriteQueueSize: 64 << 10}})
	reasons := make(chan DisconnectReason, 1)
	env.srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	})
	fast := env.dial(t)
	fast.connect("/", nil)
	// The slow client: polling, and it never polls after connecting.
	sid := rawPollingConnect(t, env)
	big := strings.Repeat("x", 16<<10)
	// Each emit is paced on the fast client's receipt: only the slow
	// client's queue grows. Three regular events fill most of its 64 KiB.
	for i := 0; i < 3; i++ {
		_ = env.srv.Emit("r", big)
		fast.expectEvent("/", "r")
	}
	// Volatile events do not fit any more: dropped for the slow client only.
	for i := 0; i < 3; i++ {
		_ = env.srv.Volatile().Emit("v", big)
		fast.expectEvent("/", "v")
	}
	if n := env.srv.Of("/").Len(); n != 2 {
		t.Fatalf("volatile overflow disconnected someone: %d sockets", n)
	}
	// A regular event that does not fit disconnects the slow client.
	_ = env.srv.Emit("r", big)
	fast.expectEvent("/", "r")
	if r := <-reasons; r != ReasonWriteQueueFull {
		t.Fatalf("reason %q", r)
	}
	if env.srv.Of("/").Len() != 1 || env.srv.Engine().Session(sid) != nil {
		t.Fatal("the slow client is still connected")
	}
}

// rawPollingConnect opens a polling session and joins "/" by hand, then
// stops polling; it returns the Engine.IO session id.
func rawPollingConnect(t *testing.T, env *testEnv) string {
	t.Helper()
	base := env.http.URL + "/socket.io/?EIO=4&transport=polling"
	res, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	_, _ = io.Copy(&body, res.Body)
	res.Body.Close()
	sid := strings.Split(strings.Split(body.String(), `"sid":"`)[1], `"`)[0]
	res, err = http.Post(base+"&sid="+sid, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	waitUntil(t, func() bool { return env.srv.Of("/").Len() == 2 })
	return sid
}

func TestCompressFlag(t *testing.T) {
	srv := NewServer(nil)
	defer srv.Shutdown(context.Background())
	conns := inProcess(t, srv, 1)
	conns[0].record.Store(true)
	for _, compress := range []bool{true, false} {
		if err := srv.Of("/").Compress(compress).Emit("x", "y"); err != nil {
			t.Fatal(err)
		}
		for _, f := range *conns[0].last.Load() {
			if f.NoCompress == compress {
				t.Fatalf("Compress(%v): frame NoCompress=%v", compress, f.NoCompress)
			}
		}
	}
}

// Disconnect(true) disconnects every namespace of the connection, each with
// a DISCONNECT packet, then closes the connection.
func TestDisconnectClose(t *testing.T) {
	env := newEnv(t, nil)
	reasons := make(chan DisconnectReason, 2)
	env.srv.Of("/other").OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	})
	env.srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		s.On("close-all", func(*Event) { s.Disconnect(true) })
	})
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	c.connect("/other", nil)
	c.emit("/", "close-all")
	got := []string{c.next().Namespace, c.next().Namespace}
	sort.Strings(got)
	if !slices.Equal(got, []string{"/", "/other"}) {
		t.Fatalf("DISCONNECT packets for %v", got)
	}
	c.waitClosed()
	for i := 0; i < 2; i++ {
		if r := <-reasons; r != ReasonServerNamespaceDisconnect {
			t.Fatalf("reason %q", r)
		}
	}
}

// With ConcurrentEvents a slow handler does not hold back the next event.
func TestConcurrentEvents(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprint(concurrent), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{ConcurrentEvents: concurrent})
			release := make(chan struct{})
			order := make(chan string, 2)
			env.srv.OnConnection(func(s *Socket) {
				s.On("slow", func(*Event) { <-release; order <- "slow" })
				s.On("fast", func(*Event) { order <- "fast" })
			})
			c := env.dial(t)
			c.connect("/", nil)
			c.emit("/", "slow")
			c.emit("/", "fast")
			if concurrent {
				if got := <-order; got != "fast" {
					t.Fatalf("first done: %s", got)
				}
				close(release)
				<-order
				return
			}
			select {
			case got := <-order:
				t.Fatalf("%s finished while the slow handler blocks", got)
			case <-time.After(100 * time.Millisecond):
			}
			close(release)
			if a, b := <-order, <-order; a != "slow" || b != "fast" {
				t.Fatalf("order %s, %s", a, b)
			}
		})
	}
}

// With ConcurrentEvents, an event that comes while the connection handlers
// still run waits for them (they register its handler), as events do
// without it, and as Node runs its connection listeners before any event.
// Before, its goroutine looked the handlers up at once and the event was
// dropped.
func TestConcurrentEventsWaitForConnectionHandlers(t *testing.T) {
	env := newEnv(t, &ServerOptions{ConcurrentEvents: true})
	emitted := make(chan struct{})
	got := make(chan string, 1)
	env.srv.OnConnection(func(s *Socket) {
		<-emitted
		time.Sleep(50 * time.Millisecond) // the event's goroutine looks for handlers meanwhile
		s.On("ev", func(e *Event) { got <- e.Name })
	})
	c := env.dial(t)
	c.connect("/", nil)
	c.emit("/", "ev")
	close(emitted)
	select {
	case name := <-got:
		if name != "ev" {
			t.Fatalf("got %q", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event was dropped: its handler was registered by the connection handler after it came")
	}
}

// A namespace middleware that takes its time (Node's are asynchronous) does
// not hold up the connection's other namespaces (nor its heartbeat): here it
// waits for an event that the client sends on "/" meanwhile, which Node
// delivers; a middleware run by the connection's reader wedged it.
func TestSlowMiddlewareDoesNotBlockConnection(t *testing.T) {
	for _, mode := range transportModes {
		t.Run(mode.name, func(t *testing.T) {
			env := newEnv(t, nil)
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			entered := make(chan struct{})
			env.srv.Of("/slow").Use(func(*Socket) error {
				close(entered)
				<-release
				return nil
			})
			env.srv.OnConnection(func(s *Socket) {
				s.On("release", func(e *Event) { free(); _ = e.Ack("ok") })
			})
			c := env.dial(t, mode.transports...)
			c.connect("/", nil)
			c.send(&parser.Packet{Type: parser.Connect, Namespace: "/slow"})
			<-entered
			c.send(&parser.Packet{Type: parser.Event, Namespace: "/", ID: 1, HasID: true,
				Data: []parser.Value{parser.ValueOf("release")}})
			var gotAck, gotConnect bool
			for !gotAck || !gotConnect {
				p := c.next()
				switch {
				case p.Type == parser.Ack && p.Namespace == "/" && p.ID == 1:
					gotAck = true
				case p.Type == parser.Connect && p.Namespace == "/slow":
					gotConnect = true
				default:
					t.Fatalf("unexpected %v %s %s", p.Type, p.Namespace, show(p))
				}
			}
		})
	}
}

// socket.io-client's socket.connect() right after manager.socket() on an
// open connection sends a second CONNECT at once: the namespace is joined
// once and nothing is closed (Node answers both over WebSocket), whether the
// namespace has middleware (the second comes while it runs) or not.
func TestSecondConnectIgnored(t *testing.T) {
	env := newEnv(t, nil)
	release := make(chan struct{})
	env.srv.Of("/mw").Use(func(*Socket) error { <-release; return nil })
	handled := make(chan string, 4)
	for _, nsp := range []string{"/", "/mw"} {
		env.srv.Of(nsp).OnConnection(func(s *Socket) {
			handled <- s.Namespace().Name()
			s.On("ping", func(e *Event) { _ = e.Ack(s.ID()) })
		})
	}
	c := env.dial(t, engineio.TransportWebSocket)
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/"})
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/"})
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/mw"})
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/mw"})
	close(release)
	ids := map[string]string{}
	for len(ids) < 2 {
		p := c.next()
		if p.Type != parser.Connect {
			t.Fatalf("got %v %s %s", p.Type, p.Namespace, show(p))
		}
		if _, dup := ids[p.Namespace]; dup {
			t.Fatalf("two CONNECT replies for %s", p.Namespace)
		}
		var r struct {
			SID string `json:"sid"`
		}
		_ = p.Data[0].Decode(&r)
		ids[p.Namespace] = r.SID
	}
	for _, nsp := range []string{"/", "/mw"} {
		c.send(&parser.Packet{Type: parser.Event, Namespace: nsp, ID: 7, HasID: true,
			Data: []parser.Value{parser.ValueOf("ping")}})
		p := c.next()
		if p.Type != parser.Ack || p.Namespace != nsp || len(p.Data) != 1 || decodeString(t, p.Data[0]) != ids[nsp] {
			t.Fatalf("ping on %s: got %v %s %s", nsp, p.Type, p.Namespace, show(p))
		}
	}
	if n := len(handled); n != 2 {
		t.Fatalf("%d connection handlers ran, want 2", n)
	}
}
