package socketio

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/nodetest"
	"github.com/siogen/siogen/internal/wallclock"
	"github.com/siogen/siogen/runtime/parser"
)

// The interop tests run the Node socket.io 4.8 server named by
// clientNodeServerEnv (testdata/sio-server.cjs, relative to this package),
// with the node_modules folder clientNodeModulesEnv names as NODE_PATH:
//
//	(mkdir -p /tmp/sio-node && cd /tmp/sio-node && npm i socket.io@4.8 socket.io-msgpack-parser@3.0.2)
//	SIOGEN_SIO_NODE_SERVER=testdata/sio-server.cjs SIOGEN_SIO_NODE_MODULES=/tmp/sio-node/node_modules go test -race ./runtime/socketio
const (
	clientNodeServerEnv  = "SIOGEN_SIO_NODE_SERVER"
	clientNodeModulesEnv = "SIOGEN_SIO_NODE_MODULES"
)

// clientStartNode starts the Node server with env (SIO_PARSER, ...) and
// returns its URL. It stops at the end of the test.
func clientStartNode(t *testing.T, env ...string) string {
	t.Helper()
	return nodetest.Start(t, clientNodeServerEnv, clientNodeModulesEnv, nil, env...).URL
}

// clientEnv is one cell of the interop matrix.
type clientEnv struct {
	url, recoveryURL string
	codec            parser.Codec
	transports       []engineio.Transport
}

// manager returns a Manager with fast reconnection, closed at the end of
// the test.
func (e *clientEnv) manager(t *testing.T, url string) *Manager {
	m := NewManager(url, &ManagerOptions{
		Parser:               e.codec,
		Transports:           e.transports,
		ReconnectionDelay:    20 * time.Millisecond,
		ReconnectionDelayMax: 100 * time.Millisecond,
		Timeout:              5 * time.Second,
	})
	t.Cleanup(func() { m.Close() })
	return m
}

func clientCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clientCollect returns a channel receiving the socket's events named name.
func clientCollect(s *ClientSocket, name string) chan *Event {
	ch := make(chan *Event, 64)
	s.On(name, func(e *Event) { ch <- e })
	return ch
}

// clientRefusedURL returns the URL of a local port where nothing listens:
// a dial there is refused.
func clientRefusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

func clientWait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// clientDecode decodes v into a generic value.
func clientDecode(t *testing.T, v parser.Value) any {
	t.Helper()
	var x any
	if err := v.Decode(&x); err != nil {
		t.Fatalf("decode %v: %v", v, err)
	}
	return clientNormalize(x)
}

// clientNormalize turns the numbers of decoded values into float64, so that
// JSON and MessagePack results compare alike.
func clientNormalize(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = clientNormalize(e)
		}
	case []any:
		for i, e := range v {
			v[i] = clientNormalize(e)
		}
	case int8:
		return float64(v)
	case int16:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case uint8:
		return float64(v)
	case uint16:
		return float64(v)
	case uint32:
		return float64(v)
	case uint64:
		return float64(v)
	case int:
		return float64(v)
	case float32:
		return float64(v)
	}
	return x
}

func clientDecodeAll(t *testing.T, vs []parser.Value) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = clientDecode(t, v)
	}
	return out
}

func clientConnect(t *testing.T, s *ClientSocket) {
	t.Helper()
	if err := s.Connect(clientCtx(t)); err != nil {
		t.Fatalf("Connect %s: %v", s.Namespace(), err)
	}
}

// clientConnectWatched connects s after registering channels for its
// disconnect reasons and its OnConnect calls, and waits for the first.
func clientConnectWatched(t *testing.T, s *ClientSocket) (reasons chan DisconnectReason, connects chan struct{}) {
	t.Helper()
	reasons = make(chan DisconnectReason, 4)
	s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	connects = make(chan struct{}, 4)
	s.OnConnect(func() { connects <- struct{}{} })
	clientConnect(t, s)
	clientWait(t, connects, "OnConnect")
	return reasons, connects
}

func TestClientInterop(t *testing.T) {
	if os.Getenv(clientNodeServerEnv) == "" {
		clientStartNode(t) // skips, naming the variables
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, e *clientEnv)
	}{
		{"ConnectAuth", clientTestConnectAuth},
		{"ConnectError", clientTestConnectError},
		{"EventsAndAcks", clientTestEventsAndAcks},
		{"Binary", clientTestBinary},
		{"Rooms", clientTestRooms},
		{"ServerDisconnect", clientTestServerDisconnect},
		{"ClientDisconnect", clientTestClientDisconnect},
		{"Reconnect", clientTestReconnect},
		{"Recovery", clientTestRecovery},
		{"ParseError", clientTestParseError},
		{"Retries", clientTestRetries},
		{"PingExpired", clientTestPingExpired},
	}
	modes := []struct {
		name       string
		transports []engineio.Transport
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
		{"upgrade", nil},
	}
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			url := clientStartNode(t, "SIO_PARSER="+codec.Name())
			recURL := clientStartNode(t, "SIO_PARSER="+codec.Name(), "SIO_RECOVERY=1")
			for _, mode := range modes {
				t.Run(mode.name, func(t *testing.T) {
					e := &clientEnv{url: url, recoveryURL: recURL, codec: codec, transports: mode.transports}
					for _, c := range cases {
						t.Run(c.name, func(t *testing.T) { c.fn(t, e) })
					}
				})
			}
		})
	}
}

func clientTestConnectAuth(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	admin := m.Socket("/admin", &ClientSocketOptions{Auth: map[string]any{"token": "good", "n": 1}})
	connected := make(chan struct{}, 1)
	admin.OnConnect(func() { connected <- struct{}{} })
	clientConnect(t, admin)
	clientWait(t, connected, "OnConnect")
	if !admin.Connected() || admin.ID() == "" || admin.Recovered() {
		t.Fatalf("Connected %v ID %q Recovered %v", admin.Connected(), admin.ID(), admin.Recovered())
	}
	ack, err := admin.EmitWithAck(clientCtx(t), "get-auth")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := clientDecodeAll(t, ack), []any{map[string]any{"token": "good", "n": 1.0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("auth = %#v, want %#v", got, want)
	}

	// A second namespace on the same connection, with an AuthFunc.
	root := m.Socket("/", &ClientSocketOptions{AuthFunc: func(context.Context) (any, error) {
		return map[string]string{"fn": "yes"}, nil
	}})
	clientConnect(t, root)
	if root.ID() == admin.ID() {
		t.Fatal("the two namespaces have the same socket id")
	}
	ack, err = root.EmitWithAck(clientCtx(t), "get-auth")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := clientDecodeAll(t, ack), []any{map[string]any{"fn": "yes"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("auth = %#v, want %#v", got, want)
	}
	if err := root.Connect(clientCtx(t)); err != nil {
		t.Fatalf("Connect on a connected socket: %v", err)
	}
}

func clientTestConnectError(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	admin := m.Socket("/admin", &ClientSocketOptions{Auth: map[string]any{"token": "bad"}})
	errs := make(chan error, 4)
	admin.OnConnectError(func(err error) { errs <- err })
	err := admin.Connect(clientCtx(t))
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("Connect = %v, want a *ConnectError", err)
	}
	if ce.Message != "unauthorized" {
		t.Fatalf("Message = %q", ce.Message)
	}
	if got, want := clientDecode(t, ce.Data), map[string]any{"reason": "x"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Data = %#v, want %#v", got, want)
	}
	if err := clientWait(t, errs, "OnConnectError"); !errors.As(err, &ce) {
		t.Fatalf("OnConnectError(%v)", err)
	}
	if admin.Connected() {
		t.Fatal("connected after a refusal")
	}
	// Unknown namespace.
	err = m.Socket("/nope", nil).Connect(clientCtx(t))
	if !errors.As(err, &ce) || ce.Message != "Invalid namespace" {
		t.Fatalf("Connect /nope = %v", err)
	}
	// The Manager still works for other namespaces.
	clientConnect(t, m.Socket("/", nil))
}

func clientTestEventsAndAcks(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	back := clientCollect(s, "message-back")
	answers := clientCollect(s, "client-answer")
	var anyNames []string
	var mu sync.Mutex
	s.OnAny(func(e *Event) { mu.Lock(); anyNames = append(anyNames, e.Name); mu.Unlock() })
	s.On("ping-client", func(e *Event) {
		if !e.WantsAck() {
			t.Error("ping-client without an ack request")
		}
		if err := e.Ack(append([]any{"pong"}, clientDecodeAll(t, e.Args)...)...); err != nil {
			t.Error(err)
		}
		if err := e.Ack("again"); !errors.Is(err, ErrNoAck) {
			t.Errorf("second Ack = %v", err)
		}
	})

	// Emitted before Connect: buffered.
	if err := s.Emit("message", "early"); err != nil {
		t.Fatal(err)
	}
	clientConnect(t, s)
	if got := clientDecodeAll(t, clientWait(t, back, "message-back").Args); !reflect.DeepEqual(got, []any{"early"}) {
		t.Fatalf("early message-back %#v", got)
	}

	args := []any{1, "2", map[string]any{"3": []any{false}}, nil, 4.5}
	want := []any{1.0, "2", map[string]any{"3": []any{false}}, nil, 4.5}
	if err := s.Emit("message", args...); err != nil {
		t.Fatal(err)
	}
	ev := clientWait(t, back, "message-back")
	if got := clientDecodeAll(t, ev.Args); !reflect.DeepEqual(got, want) {
		t.Fatalf("message-back %#v, want %#v", got, want)
	}
	if ev.WantsAck() {
		t.Fatal("message-back wants an ack")
	}
	ack, err := s.EmitWithAck(clientCtx(t), "message-with-ack", args...)
	if err != nil {
		t.Fatal(err)
	}
	if got := clientDecodeAll(t, ack); !reflect.DeepEqual(got, want) {
		t.Fatalf("ack %#v, want %#v", got, want)
	}
	// Several acks in flight.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ack, err := s.EmitWithAck(clientCtx(t), "message-with-ack", i)
			if err != nil {
				t.Error(err)
				return
			}
			if got := clientDecodeAll(t, ack); !reflect.DeepEqual(got, []any{float64(i)}) {
				t.Errorf("ack %d = %#v", i, got)
			}
		}()
	}
	wg.Wait()
	// An event without ack never acknowledged: ErrAckTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.EmitWithAck(ctx, "message", "no ack"); !errors.Is(err, ErrAckTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("EmitWithAck without server ack = %v", err)
	}
	clientWait(t, back, "message-back")

	// The server asks the client for an ack.
	if err := s.Emit("ask-client", "hi", 2); err != nil {
		t.Fatal(err)
	}
	got := clientDecodeAll(t, clientWait(t, answers, "client-answer").Args)
	if want := []any{[]any{"pong", "hi", 2.0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("client-answer %#v, want %#v", got, want)
	}
	// Server-emitted events, in order.
	for i := range 20 {
		if err := s.Emit("emit-me", "message-back", i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		got := clientDecodeAll(t, clientWait(t, back, "message-back").Args)
		if !reflect.DeepEqual(got, []any{float64(i)}) {
			t.Fatalf("event %d: %#v", i, got)
		}
	}
	mu.Lock()
	n := len(anyNames)
	mu.Unlock()
	if n < 24 {
		t.Fatalf("OnAny saw %d events", n)
	}
	if err := s.Emit("connect"); !errors.Is(err, ErrReservedEvent) {
		t.Fatalf("Emit(connect) = %v", err)
	}
	// A volatile event is dropped while the transport writes (a POST whose
	// response has not come yet, after the events above): emitted until
	// one is sent.
	deadline := time.After(10 * time.Second)
	for sent := false; !sent; {
		if err := s.Volatile().Emit("message", "volatile"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-back:
			sent = true
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no volatile event was sent")
		}
	}
}

func clientTestBinary(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	back := clientCollect(s, "message-back")
	answers := clientCollect(s, "client-answer")
	s.On("ping-client", func(e *Event) {
		var b []byte
		if err := e.Decode(&b); err != nil {
			t.Error(err)
		}
		e.Ack(append(b, 0xff), map[string]any{"nested": [][]byte{{1}, {2, 3}}})
	})
	clientConnect(t, s)

	type nested struct {
		A []byte `json:"a"`
		B []any  `json:"b"`
	}
	args := []any{[]byte{1, 2, 3}, map[string]any{"a": []byte{4}, "b": []any{[]byte{5, 6}, "x"}}, []byte{}, "text"}
	check := func(what string, vs []parser.Value) {
		t.Helper()
		if len(vs) != 4 {
			t.Fatalf("%s: %d args", what, len(vs))
		}
		var b0, b2 []byte
		var n nested
		var s3 string
		if err := NewEvent("x", vs, nil).Decode(&b0, &n, &b2, &s3); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(b0, []byte{1, 2, 3}) || !bytes.Equal(n.A, []byte{4}) || len(b2) != 0 || s3 != "text" {
			t.Fatalf("%s: %v %+v %v %q", what, b0, n, b2, s3)
		}
		if len(n.B) != 2 || !reflect.DeepEqual(n.B[0], []byte{5, 6}) || n.B[1] != "x" {
			t.Fatalf("%s: b = %#v", what, n.B)
		}
	}
	if err := s.Emit("message", args...); err != nil {
		t.Fatal(err)
	}
	check("message-back", clientWait(t, back, "message-back").Args)
	ack, err := s.EmitWithAck(clientCtx(t), "message-with-ack", args...)
	if err != nil {
		t.Fatal(err)
	}
	check("ack", ack)

	// The client's binary ack to the server.
	if err := s.Emit("ask-client", []byte{9, 8}); err != nil {
		t.Fatal(err)
	}
	var answer []parser.Value
	if err := clientWait(t, answers, "client-answer").Decode(&answer); err != nil {
		t.Fatal(err)
	}
	var b []byte
	var n struct {
		Nested [][]byte `json:"nested"`
	}
	if err := NewEvent("x", answer, nil).Decode(&b, &n); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, []byte{9, 8, 0xff}) || !reflect.DeepEqual(n.Nested, [][]byte{{1}, {2, 3}}) {
		t.Fatalf("client-answer %v %v", b, n.Nested)
	}
}

func clientTestRooms(t *testing.T, e *clientEnv) {
	m1, m2 := e.manager(t, e.url), e.manager(t, e.url)
	a, b := m1.Socket("/", nil), m2.Socket("/", nil)
	ra, rb := clientCollect(a, "room-message"), clientCollect(b, "room-message")
	clientConnect(t, a)
	clientConnect(t, b)
	for _, s := range []*ClientSocket{a, b} {
		ack, err := s.EmitWithAck(clientCtx(t), "join", "r1")
		if err != nil || len(ack) != 1 {
			t.Fatal(ack, err)
		}
	}
	if err := a.Emit("to-room", "r1", "hello", []byte{1}); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan *Event{ra, rb} {
		var s string
		var bin []byte
		if err := clientWait(t, ch, "room-message").Decode(&s, &bin); err != nil || s != "hello" || !bytes.Equal(bin, []byte{1}) {
			t.Fatal(s, bin, err)
		}
	}
}

func clientTestServerDisconnect(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	reasons := make(chan DisconnectReason, 4)
	s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	clientConnect(t, s)
	// An ack pending when the server disconnects fails.
	ackErr := make(chan error, 1)
	go func() {
		_, err := s.EmitWithAck(context.Background(), "message", "never acked")
		ackErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Emit("server-disconnect"); err != nil {
		t.Fatal(err)
	}
	if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonIOServerDisconnect {
		t.Fatalf("reason %q", r)
	}
	if err := clientWait(t, ackErr, "ack error"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("pending ack: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if s.Connected() {
		t.Fatal("reconnected after a server disconnect")
	}
	// Connect again by hand.
	clientConnect(t, s)
}

func clientTestClientDisconnect(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	reasons := make(chan DisconnectReason, 4)
	s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	clientConnect(t, s)
	if err := s.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonIOClientDisconnect {
		t.Fatalf("reason %q", r)
	}
	if s.Connected() || s.ID() != "" {
		t.Fatal("still connected")
	}
	clientConnect(t, s)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonIOClientDisconnect {
		t.Fatalf("reason %q", r)
	}
	if err := s.Connect(clientCtx(t)); !errors.Is(err, ErrManagerClosed) {
		t.Fatalf("Connect after Close = %v", err)
	}
	if err := s.Emit("message"); !errors.Is(err, ErrManagerClosed) {
		t.Fatalf("Emit after Close = %v", err)
	}
}

func clientTestReconnect(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	back := clientCollect(s, "message-back")
	reasons := make(chan DisconnectReason, 4)
	connects := make(chan string, 4)
	s.OnConnect(func() { connects <- s.ID() })
	var once sync.Once
	s.OnDisconnect(func(r DisconnectReason) {
		once.Do(func() {
			// Emitted while disconnected: buffered and sent after the reconnection.
			if err := s.Emit("message", "buffered"); err != nil {
				t.Error(err)
			}
			s.Volatile().Emit("message", "volatile") // dropped
		})
		reasons <- r
	})
	clientConnect(t, s)
	id1 := clientWait(t, connects, "first OnConnect")
	if err := s.Emit("drop"); err != nil {
		t.Fatal(err)
	}
	if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonTransportClose && r != ReasonTransportError {
		t.Fatalf("reason %q", r)
	}
	id2 := clientWait(t, connects, "second OnConnect")
	if id2 == "" || id2 == id1 || s.Recovered() {
		t.Fatalf("ids %q %q, recovered %v", id1, id2, s.Recovered())
	}
	if got := clientDecodeAll(t, clientWait(t, back, "buffered message-back").Args); !reflect.DeepEqual(got, []any{"buffered"}) {
		t.Fatalf("message-back %#v", got)
	}
	ack, err := s.EmitWithAck(clientCtx(t), "message-with-ack", "after")
	if err != nil || len(ack) != 1 {
		t.Fatal(ack, err)
	}
	select {
	case ev := <-back:
		t.Fatalf("unexpected message-back %v", ev.Args)
	default:
	}
}

// clientTestPingExpired is TestClientPingExpired against the Node server:
// after the wall clock jumped past the heartbeat's deadline, an emit ends
// the connection as a ping timeout and its event is sent (a volatile one
// dropped) after the reconnection.
func clientTestPingExpired(t *testing.T, e *clientEnv) {
	for _, tc := range clientPingExpiredEmits {
		t.Run(tc.name, func(t *testing.T) {
			var clock wallclock.Offset
			m := e.manager(t, e.url)
			clientUseClock(m, &clock)
			s := m.Socket("/", nil)
			back := clientCollect(s, "message-back")
			reasons, connects := clientConnectWatched(t, s)
			if err := s.Emit("message", "before"); err != nil {
				t.Fatal(err)
			}
			clientWait(t, back, "message-back before")

			clock.Jump(time.Hour) // past pingInterval+pingTimeout, 45 s
			event := "message"
			if tc.withAck {
				event = "message-with-ack"
			}
			done := tc.emit(s, event)
			if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonPingTimeout {
				t.Fatalf("OnDisconnect(%q), want %q", r, ReasonPingTimeout)
			}
			clientWait(t, connects, "OnConnect after the reconnection")
			if err := s.Emit("message", "after"); err != nil {
				t.Fatal(err)
			}
			var want []any
			if tc.sent && !tc.withAck {
				want = append(want, "late")
			}
			want = append(want, "after")
			for _, w := range want {
				if got := clientDecodeAll(t, clientWait(t, back, "message-back").Args); !reflect.DeepEqual(got, []any{w}) {
					t.Fatalf("message-back %#v, want %q", got, w)
				}
			}
			if err := clientWait(t, done, "the emit"); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-back:
				t.Fatalf("unexpected message-back %v", ev.Args)
			default:
			}
		})
	}
}

func clientTestRecovery(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.recoveryURL)
	s := m.Socket("/", &ClientSocketOptions{Auth: map[string]any{"token": "t"}})
	var mu sync.Mutex
	var log []string
	missed := make(chan *Event, 16)
	s.On("missed", func(e *Event) {
		var i int
		e.Decode(&i)
		mu.Lock()
		log = append(log, "missed")
		mu.Unlock()
		missed <- e
	})
	connects := make(chan bool, 4)
	s.OnConnect(func() {
		mu.Lock()
		log = append(log, "connect")
		mu.Unlock()
		connects <- s.Recovered()
	})
	clientConnect(t, s)
	if clientWait(t, connects, "first OnConnect") {
		t.Fatal("first connection recovered")
	}
	id := s.ID()
	// An event with an offset, so the client has one to send.
	back := clientCollect(s, "message-back")
	s.Emit("message", "x")
	if args := clientWait(t, back, "message-back").Args; len(args) != 2 {
		t.Fatalf("message-back without offset: %v", args)
	}
	if err := s.Emit("drop", 3); err != nil {
		t.Fatal(err)
	}
	if !clientWait(t, connects, "second OnConnect") {
		t.Fatal("not recovered")
	}
	if s.ID() != id || !s.Recovered() {
		t.Fatalf("id %q -> %q", id, s.ID())
	}
	for i := range 3 {
		ev := clientWait(t, missed, "missed event")
		var n int
		if err := ev.Decode(&n); err != nil || n != i || len(ev.Args) != 2 {
			t.Fatalf("missed %d: %v %v %v", i, n, ev.Args, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"connect", "missed", "missed", "missed", "connect"}; !reflect.DeepEqual(log, want) {
		t.Fatalf("order %v, want %v", log, want)
	}
}

// TestClientNoServer needs no Node: connection failures.
func TestClientNoServer(t *testing.T) {
	url := clientRefusedURL(t)

	t.Run("NoReconnection", func(t *testing.T) {
		m := NewManager(url, &ManagerOptions{NoReconnection: true})
		defer m.Close()
		s := m.Socket("/", nil)
		errs := make(chan error, 1)
		s.OnConnectError(func(err error) { errs <- err })
		if err := s.Connect(clientCtx(t)); err == nil {
			t.Fatal("Connect succeeded")
		}
		clientWait(t, errs, "OnConnectError")
	})
	t.Run("Attempts", func(t *testing.T) {
		m := NewManager(url, &ManagerOptions{ReconnectionAttempts: 3, ReconnectionDelay: time.Millisecond, ReconnectionDelayMax: 5 * time.Millisecond})
		defer m.Close()
		s := m.Socket("/", nil)
		var n int
		var mu sync.Mutex
		s.OnConnectError(func(error) { mu.Lock(); n++; mu.Unlock() })
		if err := s.Connect(clientCtx(t)); !errors.Is(err, ErrReconnectFailed) {
			t.Fatalf("Connect = %v", err)
		}
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if n != 4 {
			t.Fatalf("%d connect errors, want 4", n)
		}
	})
	t.Run("ContextEnds", func(t *testing.T) {
		m := NewManager(url, &ManagerOptions{ReconnectionDelay: 10 * time.Millisecond})
		defer m.Close()
		s := m.Socket("admin", nil)
		if s.Namespace() != "/admin" {
			t.Fatal(s.Namespace())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := s.Connect(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Connect = %v", err)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel2()
		if _, err := s.EmitWithAck(ctx2, "x"); !errors.Is(err, ErrAckTimeout) {
			t.Fatalf("EmitWithAck = %v", err)
		}
	})
	t.Run("BadURL", func(t *testing.T) {
		m := NewManager("ftp://x", &ManagerOptions{NoReconnection: true})
		defer m.Close()
		if err := m.Socket("/", nil).Connect(clientCtx(t)); err == nil {
			t.Fatal("Connect succeeded")
		}
	})
}

func clientTestParseError(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", nil)
	reasons, connects := clientConnectWatched(t, s)
	if err := s.Emit("garbage"); err != nil {
		t.Fatal(err)
	}
	if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonParseError {
		t.Fatalf("reason %q", r)
	}
	clientWait(t, connects, "OnConnect after the parse error")
	if _, err := s.EmitWithAck(clientCtx(t), "message-with-ack"); err != nil {
		t.Fatal(err)
	}
}

func clientTestRetries(t *testing.T, e *clientEnv) {
	m := e.manager(t, e.url)
	s := m.Socket("/", &ClientSocketOptions{Retries: 2, AckTimeout: 150 * time.Millisecond})
	clientConnect(t, s)
	// The first try is not acknowledged; the retry is.
	ack, err := s.EmitWithAck(clientCtx(t), "flaky", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := clientDecodeAll(t, ack); !reflect.DeepEqual(got, []any{"a", 2.0}) {
		t.Fatalf("ack %#v", got)
	}
	// Emit goes through the same queue, in order.
	if err := s.Emit("flaky", "b"); err != nil {
		t.Fatal(err)
	}
	ack, err = s.EmitWithAck(clientCtx(t), "flaky", "c")
	if err != nil {
		t.Fatal(err)
	}
	if got := clientDecodeAll(t, ack); !reflect.DeepEqual(got, []any{"c", 6.0}) {
		t.Fatalf("ack %#v", got)
	}
	// Never acknowledged: fails after the retries.
	start := time.Now()
	if _, err := s.EmitWithAck(clientCtx(t), "message", "x"); !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("EmitWithAck = %v", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("failed after %v, before 3 tries", d)
	}
}
