package socketio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/wallclock"
	"github.com/siogen/siogen/runtime/parser"
)

// TestClientOffsetNotFromAckEvents: connection state recovery's offset is
// taken only from events the server stores, which it sends without an ack
// request, as socket.io-client does (there the last argument of an event
// with an ack request is the ack callback, never a string). Before, the
// last string argument of an event with an ack request became the offset:
// Node's server did not know it and did not recover the session.
func TestClientOffsetNotFromAckEvents(t *testing.T) {
	url := clientStartNode(t, "SIO_RECOVERY=1")
	e := &clientEnv{codec: parser.JSON}
	m := e.manager(t, url)
	s := m.Socket("/", nil)
	connects := make(chan bool, 4)
	s.OnConnect(func() { connects <- s.Recovered() })
	back := clientCollect(s, "message-back")
	missed := clientCollect(s, "missed")
	s.On("ping-client", func(e *Event) {
		// Left unanswered: the connection drops with this event's string
		// argument the last one received.
		if err := s.Emit("drop", 1); err != nil {
			t.Error(err)
		}
	})
	clientConnect(t, s)
	if clientWait(t, connects, "first OnConnect") {
		t.Fatal("first connection recovered")
	}
	id := s.ID()
	if err := s.Emit("message", "x"); err != nil {
		t.Fatal(err)
	}
	if args := clientWait(t, back, "message-back").Args; len(args) != 2 {
		t.Fatalf("message-back without an offset: %v", args)
	}
	if err := s.Emit("ask-client", "not an offset"); err != nil {
		t.Fatal(err)
	}
	if !clientWait(t, connects, "second OnConnect") {
		t.Fatal("not recovered")
	}
	if s.ID() != id {
		t.Fatalf("id %q -> %q", id, s.ID())
	}
	var i int
	if err := clientWait(t, missed, "missed").Decode(&i); err != nil || i != 0 {
		t.Fatalf("missed %d, %v", i, err)
	}
}

// TestClientFlushBufferBiggerThanQueue: the events buffered while the
// socket was disconnected are all sent, in order, on one connection, when
// together they are more than the write queue holds
// (ManagerOptions.WriteQueueBytes), as socket.io-client sends its whole
// send buffer. Before, the flush overflowed the queue, which closed the
// connection: the events queued were lost, and so on at every reconnection.
func TestClientFlushBufferBiggerThanQueue(t *testing.T) {
	url := clientStartNode(t)
	for _, mode := range []struct {
		name       string
		transports []engineio.Transport
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				Transports:        mode.transports,
				WriteQueueBytes:   16 << 10,
				ReconnectionDelay: 20 * time.Millisecond,
			})
			defer m.Close()
			closes := make(chan DisconnectReason, 16)
			m.OnClose(func(r DisconnectReason, err error) { closes <- r })
			s := m.Socket("/", nil)
			back := make(chan int, 1000)
			s.On("message-back", func(e *Event) {
				var i int
				e.Decode(&i)
				back <- i
			})
			const n = 200 // 200 KiB, 12 times the queue
			pad := strings.Repeat("x", 1000)
			for i := range n {
				if err := s.Emit("message", i, pad); err != nil {
					t.Fatal(err)
				}
			}
			clientConnect(t, s)
			// Emitted while the buffer may still be being flushed: after
			// it. Short, so that together they fit in the half of the
			// queue the flush leaves when it ended already (clientFlush):
			// an emit past the queue closes the connection, and the
			// flush may have ended while the server reads slowly.
			for i := n; i < n+50; i++ {
				if err := s.Emit("message", i, "y"); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n + 50 {
				if got := clientWait(t, back, "message-back"); got != i {
					t.Fatalf("message-back %d, want %d", got, i)
				}
			}
			select {
			case r := <-closes:
				t.Fatalf("the connection closed (%s)", r)
			default:
			}
		})
	}
}

// TestClientFlushLeavesRoom: while the buffered events of one socket are
// being flushed, the other sockets of the connection can still send: the
// flush does not fill the whole write queue, whose overflow would close
// the connection.
func TestClientFlushLeavesRoom(t *testing.T) {
	url := clientStartNode(t)
	for _, mode := range []struct {
		name       string
		transports []engineio.Transport
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				Transports:        mode.transports,
				WriteQueueBytes:   16 << 10,
				ReconnectionDelay: 20 * time.Millisecond,
			})
			defer m.Close()
			closes := make(chan DisconnectReason, 16)
			m.OnClose(func(r DisconnectReason, err error) { closes <- r })
			admin := m.Socket("/admin", nil)
			clientConnect(t, admin)
			s := m.Socket("/", nil)
			back := make(chan int, 1000)
			s.On("message-back", func(e *Event) {
				var i int
				e.Decode(&i)
				back <- i
			})
			const n = 500
			pad := strings.Repeat("x", 1000)
			for i := range n {
				if err := s.Emit("message", i, pad); err != nil {
					t.Fatal(err)
				}
			}
			go s.Connect(clientCtx(t))
			for i := range 100 {
				if _, err := admin.EmitWithAck(clientCtx(t), "message-with-ack", i, pad); err != nil {
					t.Fatalf("ack %d: %v", i, err)
				}
			}
			for i := range n {
				if got := clientWait(t, back, "message-back"); got != i {
					t.Fatalf("message-back %d, want %d", got, i)
				}
			}
			select {
			case r := <-closes:
				t.Fatalf("the connection closed (%s)", r)
			default:
			}
		})
	}
}

// TestClientOffsetKeptAcrossSessions: the last offset received is sent on
// reconnection even when it came in an earlier session, as socket.io-client
// keeps it: a session that has received no event yet is then recovered.
// Before, the client forgot the offset when the server gave a new session,
// sent none, and such a session was never recovered.
func TestClientOffsetKeptAcrossSessions(t *testing.T) {
	url := clientStartNode(t, "SIO_RECOVERY=1")
	e := &clientEnv{codec: parser.JSON}
	m := e.manager(t, url)
	s := m.Socket("/", nil)
	connects := make(chan bool, 4)
	s.OnConnect(func() { connects <- s.Recovered() })
	back := clientCollect(s, "message-back")
	missed := clientCollect(s, "missed")
	clientConnect(t, s)
	clientWait(t, connects, "first OnConnect")
	if err := s.Emit("message", "x"); err != nil {
		t.Fatal(err)
	}
	if args := clientWait(t, back, "message-back").Args; len(args) != 2 {
		t.Fatalf("message-back without an offset: %v", args)
	}
	// A new session: a disconnection by the client is not recoverable.
	s.Disconnect()
	clientConnect(t, s)
	if clientWait(t, connects, "second OnConnect") {
		t.Fatal("recovered after Disconnect")
	}
	id := s.ID()
	// Lost before any event of the new session.
	if err := s.Emit("drop", 1); err != nil {
		t.Fatal(err)
	}
	if !clientWait(t, connects, "third OnConnect") {
		t.Fatal("not recovered")
	}
	if s.ID() != id {
		t.Fatalf("id %q -> %q", id, s.ID())
	}
	var i int
	if err := clientWait(t, missed, "missed").Decode(&i); err != nil || i != 0 {
		t.Fatalf("missed %d, %v", i, err)
	}
}

// TestClientSlowAuthFuncDelaysNoOtherSocket: on a reconnection, a socket
// whose AuthFunc takes its time (a token refresh) does not hold back the
// CONNECTs of the Manager's other sockets, as a socket.io-client auth
// callback that has not called back yet holds back none. Before, the
// Manager sent them one after the other, each after the AuthFunc before
// it had returned.
func TestClientSlowAuthFuncDelaysNoOtherSocket(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	names := []string{"/a", "/b", "/c", "/d", "/e"}
	for _, n := range append(names, "/slow") {
		srv.Of(n).OnConnection(func(s *Socket) {
			s.On("drop", func(*Event) { s.Conn().Close() })
		})
	}
	m := NewManager(url, &ManagerOptions{
		HTTPClient:        clientHTTPClient(t),
		ReconnectionDelay: 10 * time.Millisecond, ReconnectionDelayMax: 10 * time.Millisecond,
	})
	defer m.Close()
	var mu sync.Mutex
	var release chan struct{} // nil: AuthFunc returns at once
	slow := m.Socket("/slow", &ClientSocketOptions{AuthFunc: func(ctx context.Context) (any, error) {
		mu.Lock()
		r := release
		mu.Unlock()
		if r != nil {
			select {
			case <-r:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return map[string]string{"token": "t"}, nil
	}})
	connects := make(chan string, 100)
	var socks []*ClientSocket
	for _, n := range append(names, "/slow") {
		s := m.Socket(n, nil)
		s.OnConnect(func() { connects <- n })
		socks = append(socks, s)
	}
	for _, s := range socks {
		clientConnect(t, s)
	}
	for range socks {
		clientWait(t, connects, "OnConnect")
	}
	for round := range 3 {
		r := make(chan struct{})
		mu.Lock()
		release = r
		mu.Unlock()
		if err := slow.Emit("drop"); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		deadline := time.After(3 * time.Second)
		for len(seen) < len(names) {
			select {
			case n := <-connects:
				if n == "/slow" {
					t.Fatalf("round %d: /slow connected with its AuthFunc blocked", round)
				}
				seen[n] = true
			case <-deadline:
				t.Fatalf("round %d: only %v reconnected while the AuthFunc of /slow was blocked", round, seen)
			}
		}
		mu.Lock()
		release = nil
		mu.Unlock()
		close(r)
		if n := clientWait(t, connects, "/slow's OnConnect"); n != "/slow" {
			t.Fatalf("round %d: OnConnect of %s", round, n)
		}
	}
}

// TestClientVolatileDroppedWhileWriting: a volatile event is dropped while
// the transport is not writable, here while a long-polling POST is in
// flight, as socket.io-client drops it (its emit checks the engine's
// transport.writable). Before, it was queued and sent after that POST.
func TestClientVolatileDroppedWhileWriting(t *testing.T) {
	var hold atomic.Bool
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	srv, url := clientGoServerWrap(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && hold.CompareAndSwap(true, false) {
				held <- struct{}{}
				<-release
			}
			h.ServeHTTP(w, r)
		})
	})
	releaseNow := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseNow) // before the server's cleanup, which waits for its requests
	got := serverStrings(srv, "m")
	m := NewManager(url, &ManagerOptions{
		Transports: []engineio.Transport{engineio.TransportPolling},
		HTTPClient: clientHTTPClient(t),
	})
	defer m.Close()
	s := m.Socket("/", nil)
	clientConnect(t, s)
	hold.Store(true)
	if err := s.Emit("m", "sent"); err != nil {
		t.Fatal(err)
	}
	clientWait(t, held, "the POST held by the server")
	if err := s.Volatile().Emit("m", "volatile"); err != nil {
		t.Fatal(err)
	}
	releaseNow()
	if err := s.Emit("m", "after"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sent", "after"} {
		if v := clientWait(t, got, want); v != want {
			t.Fatalf("the server got %q, want %q", v, want)
		}
	}
}

// TestClientVolatileDroppedUntilConnected: a volatile event emitted while
// the server has not answered the socket's CONNECT yet is dropped, though
// the transport is writable, as socket.io-client 4.0-4.7 did (4.8 buffers
// it and sends it after the CONNECT reply; see docs/compatibility.md).
func TestClientVolatileDroppedUntilConnected(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	releaseNow := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseNow) // before the server's cleanup
	srv.Use(func(*Socket) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	got := serverStrings(srv, "m")
	m := NewManager(url, &ManagerOptions{
		Transports: []engineio.Transport{engineio.TransportWebSocket},
		HTTPClient: clientHTTPClient(t),
	})
	defer m.Close()
	s := m.Socket("/", nil)
	connected := make(chan error, 1)
	go func() { connected <- s.Connect(context.Background()) }()
	clientWait(t, entered, "the CONNECT at the server's middleware")
	clientWaitFor(t, "a writable transport", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.conn != nil && m.conn.client.Writable()
	})
	if err := s.Volatile().Emit("m", "volatile"); err != nil {
		t.Fatal(err)
	}
	releaseNow()
	if err := clientWait(t, connected, "Connect"); err != nil {
		t.Fatal(err)
	}
	if err := s.Emit("m", "after"); err != nil {
		t.Fatal(err)
	}
	if v := clientWait(t, got, "after"); v != "after" {
		t.Fatalf("the server got %q, want after", v)
	}
}

// clientHandlersRun waits until the handler calls queued so far on s have
// run.
func clientHandlersRun(t *testing.T, s *ClientSocket) {
	t.Helper()
	done := make(chan struct{})
	s.m.mu.Lock()
	s.clientEnqueue(func() { close(done) })
	s.m.mu.Unlock()
	clientWait(t, done, "the socket's handlers")
}

// TestClientTransportError: the transport error that ends an open
// connection (here a message over ReadLimit) is reported to the Manager's
// OnError, before its OnClose, and to the OnConnectError of a socket whose
// CONNECT has no reply yet (Connect's error then names it as the last
// error), as socket.io-client's Manager emits its engine's "error" and its
// sockets not yet connected emit it as "connect_error". A connected socket
// gets OnDisconnect only. A connection that ends without an error (the
// server closes it) reports none. Before, neither was reported.
func TestClientTransportError(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	srv.OnConnection(func(s *Socket) {
		s.On("big", func(*Event) { s.Emit("data", strings.Repeat("x", 2000)) })
		s.On("close", func(*Event) { s.Conn().Close() })
	})
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server's cleanup
	srv.Of("/slow").Use(func(*Socket) error {
		entered <- struct{}{}
		<-release
		return errors.New("too late")
	})
	for _, tc := range []struct {
		name       string
		transports []engineio.Transport
		event      string // what the server does
		reason     DisconnectReason
		wantErr    bool
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}, "big", ReasonTransportError, true},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}, "big", ReasonTransportError, true},
		{"server close", nil, "close", ReasonTransportClose, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				Transports:        tc.transports,
				ReadLimit:         1000,
				ReconnectionDelay: time.Hour, // no reconnection during the test
				HTTPClient:        clientHTTPClient(t),
			})
			defer m.Close()
			events := make(chan string, 8)
			mgrErrs := make(chan error, 4)
			m.OnError(func(err error) { mgrErrs <- err; events <- "error" })
			m.OnClose(func(r DisconnectReason, err error) { events <- "close " + string(r) })
			root := m.Socket("/", nil)
			rootErrs := make(chan error, 4)
			root.OnConnectError(func(err error) { rootErrs <- err })
			reasons := make(chan DisconnectReason, 4)
			root.OnDisconnect(func(r DisconnectReason) { reasons <- r })
			clientConnect(t, root)

			slow := m.Socket("/slow", nil)
			slowErrs := make(chan error, 4)
			slow.OnConnectError(func(err error) { slowErrs <- err })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			connectErr := make(chan error, 1)
			go func() { connectErr <- slow.Connect(ctx) }()
			clientWait(t, entered, "/slow's CONNECT at the server")

			if err := root.Emit(tc.event); err != nil {
				t.Fatal(err)
			}
			if r := clientWait(t, reasons, "OnDisconnect of /"); r != tc.reason {
				t.Fatalf("OnDisconnect(%q), want %q", r, tc.reason)
			}
			var want []string
			if tc.wantErr {
				want = append(want, "error")
			}
			want = append(want, "close "+string(tc.reason))
			for _, w := range want {
				if e := clientWait(t, events, w); e != w {
					t.Fatalf("Manager event %q, want %q", e, w)
				}
			}
			cancel()
			err := clientWait(t, connectErr, "/slow's Connect")
			clientHandlersRun(t, root)
			clientHandlersRun(t, slow)
			select {
			case err := <-rootErrs:
				t.Fatalf("OnConnectError of the connected socket: %v", err)
			default:
			}
			if !tc.wantErr {
				select {
				case err := <-slowErrs:
					t.Fatalf("OnConnectError(%v) without a transport error", err)
				default:
				}
				if errors.Is(err, engineio.ErrMessageTooLarge) || strings.Contains(err.Error(), "last error") {
					t.Fatalf("Connect = %v, want no last error", err)
				}
				return
			}
			if err := <-mgrErrs; !errors.Is(err, engineio.ErrMessageTooLarge) {
				t.Fatalf("OnError(%v), want ErrMessageTooLarge", err)
			}
			if err := clientWait(t, slowErrs, "OnConnectError of /slow"); !errors.Is(err, engineio.ErrMessageTooLarge) {
				t.Fatalf("OnConnectError(%v), want ErrMessageTooLarge", err)
			}
			if !errors.Is(err, context.Canceled) || !errors.Is(err, engineio.ErrMessageTooLarge) {
				t.Fatalf("Connect = %v, want context.Canceled with the transport error", err)
			}
			t.Logf("Connect: %v", err)
		})
	}
}

// clientUseClock makes the connections of m read the wall clock from clock
// (see engineio.Client.PingExpired). Call it before the first Connect.
func clientUseClock(m *Manager, clock *wallclock.Offset) {
	m.ctx = wallclock.WithNow(m.ctx, clock.Now)
}

// clientPingExpiredEmits are the ways to emit "late" of TestClientPingExpired
// and of the interop test, on a socket whose connection missed the server's
// heartbeat. Each returns the emit's error, on a channel since
// EmitWithAck's comes after the reconnection (its ack must repeat "late");
// sent says whether the event reaches the server.
var clientPingExpiredEmits = []struct {
	name    string
	emit    func(s *ClientSocket, event string) <-chan error
	sent    bool
	withAck bool
}{
	{"Emit", func(s *ClientSocket, event string) <-chan error {
		ch := make(chan error, 1)
		ch <- s.Emit(event, "late")
		return ch
	}, true, false},
	{"EmitWithAck", func(s *ClientSocket, event string) <-chan error {
		ch := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := s.EmitWithAck(ctx, event, "late")
			var v string
			if err == nil && (len(res) != 1 || res[0].Decode(&v) != nil || v != "late") {
				err = fmt.Errorf("ack %v, want [late]", res)
			}
			ch <- err
		}()
		return ch
	}, true, true},
	{"Volatile", func(s *ClientSocket, event string) <-chan error {
		ch := make(chan error, 1)
		ch <- s.Volatile().Emit(event, "late")
		return ch
	}, false, false},
}

// TestClientPingExpired: a connected socket whose connection missed the
// server's heartbeat by the wall clock counts as disconnected, as
// socket.io-client 4.8's emit checks its engine's _hasPingExpired. Here
// the wall clock jumps past the deadline, as across a suspend, while the
// ping timer (45 s away) does not fire. The emit ends the connection as a
// ping timeout (OnDisconnect, the Manager's OnClose, a reconnection); the
// event is not written to it but buffered, and reaches the server once,
// over the next connection, before what is emitted after (its ack comes
// back); a volatile one is dropped. Before, the event was written to the
// connection (dead after a real suspend: lost) and nothing was noticed
// until the timer fired.
func TestClientPingExpired(t *testing.T) {
	type got struct{ sid, v string }
	for _, tr := range []engineio.Transport{engineio.TransportPolling, engineio.TransportWebSocket} {
		for _, tc := range clientPingExpiredEmits {
			t.Run(string(tr)+"/"+tc.name, func(t *testing.T) {
				srv, url := clientGoServer(t, nil) // pings every 25 s
				gotCh := make(chan got, 16)
				gone := make(chan string, 4)
				srv.OnConnection(func(s *Socket) {
					s.On("m", func(e *Event) {
						var v string
						e.Decode(&v)
						gotCh <- got{s.ID(), v}
						if e.WantsAck() {
							e.Ack(v)
						}
					})
					s.OnDisconnect(func(DisconnectReason) { gone <- s.ID() })
				})
				var clock wallclock.Offset
				m := NewManager(url, &ManagerOptions{
					Transports:        []engineio.Transport{tr},
					ReconnectionDelay: time.Millisecond,
					HTTPClient:        clientHTTPClient(t),
				})
				clientUseClock(m, &clock)
				defer m.Close()
				closes := make(chan DisconnectReason, 4)
				m.OnClose(func(r DisconnectReason, _ error) { closes <- r })
				s := m.Socket("/", nil)
				reasons, connects := clientConnectWatched(t, s)
				id1 := s.ID()
				if err := s.Emit("m", "before"); err != nil {
					t.Fatal(err)
				}
				if g := clientWait(t, gotCh, "before"); g != (got{id1, "before"}) {
					t.Fatalf("the server got %+v, want before from %s", g, id1)
				}

				clock.Jump(time.Hour) // past pingInterval+pingTimeout, 45 s
				done := tc.emit(s, "m")
				if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonPingTimeout {
					t.Fatalf("OnDisconnect(%q), want %q", r, ReasonPingTimeout)
				}
				if r := clientWait(t, closes, "the Manager's OnClose"); r != ReasonPingTimeout {
					t.Fatalf("OnClose(%q), want %q", r, ReasonPingTimeout)
				}
				clientWait(t, connects, "OnConnect after the reconnection")
				id2 := s.ID()
				if err := s.Emit("m", "after"); err != nil {
					t.Fatal(err)
				}
				var want []got
				if tc.sent {
					want = append(want, got{id2, "late"})
				}
				want = append(want, got{id2, "after"})
				for _, w := range want {
					if g := clientWait(t, gotCh, w.v); g != w {
						t.Fatalf("the server got %+v, want %+v (first socket %s)", g, w, id1)
					}
				}
				if err := clientWait(t, done, "the emit"); err != nil {
					t.Fatal(err)
				}
				// The first socket's disconnect runs after its events: none
				// is still to come over the first connection.
				if id := clientWait(t, gone, "the first socket's disconnect at the server"); id != id1 {
					t.Fatalf("the server disconnected %s, want %s", id, id1)
				}
				select {
				case g := <-gotCh:
					t.Fatalf("the server also got %+v", g)
				default:
				}
			})
		}
	}
}

// serverStrings returns a channel of the string arguments of the event
// name that srv's sockets receive.
func serverStrings(srv *Server, name string) chan string {
	got := make(chan string, 10)
	srv.OnConnection(func(s *Socket) {
		s.On(name, func(e *Event) {
			var v string
			e.Decode(&v)
			got <- v
		})
	})
	return got
}
