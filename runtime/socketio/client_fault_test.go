package socketio

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
)

// clientGoServer starts a Go server with opts, stopped at the end of the
// test, and returns it with its URL.
func clientGoServer(t *testing.T, opts *ServerOptions) (*Server, string) {
	t.Helper()
	return clientGoServerWrap(t, opts, nil)
}

// clientGoServerWrap is clientGoServer with the server's handler wrapped
// by wrap, when not nil, which sees every HTTP request first.
func clientGoServerWrap(t *testing.T, opts *ServerOptions, wrap func(http.Handler) http.Handler) (*Server, string) {
	t.Helper()
	srv := NewServer(opts)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Shutdown(context.Background())
	})
	return srv, hs.URL
}

// clientPartition is a network between the client and the server that can
// be cut: once cut, writes block and reads deliver nothing, until the
// connection is closed (as a partition looks to TCP before its timeouts).
type clientPartition struct {
	cut     chan struct{}
	cutOnce sync.Once
	mu      sync.Mutex
	conns   []*clientPartitionConn
}

func newClientPartition(t *testing.T) *clientPartition {
	p := &clientPartition{cut: make(chan struct{})}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

// httpClient returns an HTTP client whose connections go through p.
func (p *clientPartition) httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := &clientPartitionConn{Conn: conn, p: p, closed: make(chan struct{})}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		return c, nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func (p *clientPartition) cutNow() { p.cutOnce.Do(func() { close(p.cut) }) }

type clientPartitionConn struct {
	net.Conn
	p         *clientPartition
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *clientPartitionConn) Write(b []byte) (int, error) {
	select {
	case <-c.p.cut:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return c.Conn.Write(b)
	}
}

func (c *clientPartitionConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	select {
	case <-c.p.cut:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return n, err
	}
}

func (c *clientPartitionConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// clientReturns waits for fn to return; a hang fails the test (the bound
// is generous: it detects a hang, it does not measure speed).
func clientReturns(t *testing.T, what string, within time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(within):
		t.Errorf("%s did not return within %v", what, within)
	}
}

// TestClientCloseDuringPartition: Disconnect and Manager.Close return
// during a network partition, even with an emit stuck in the transport's
// write (the Engine.IO close is bounded). Before, Manager.Close waited for
// the graceful close forever.
func TestClientCloseDuringPartition(t *testing.T) {
	for _, tr := range []engineio.Transport{engineio.TransportWebSocket, engineio.TransportPolling} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel() // each waits for the close bound
			srv, url := clientGoServer(t, nil)
			got := make(chan struct{}, 1)
			srv.OnConnection(func(s *Socket) { s.On("x", func(*Event) { got <- struct{}{} }) })
			p := newClientPartition(t)
			m := NewManager(url, &ManagerOptions{
				Transports: []engineio.Transport{tr},
				HTTPClient: p.httpClient(t),
			})
			s := m.Socket("/", nil)
			clientConnect(t, s)
			if err := s.Emit("x"); err != nil {
				t.Fatal(err)
			}
			clientWait(t, got, "the first event")

			p.cutNow()
			if err := s.Emit("x", strings.Repeat("a", 1000)); err != nil {
				t.Fatal(err)
			}
			clientReturns(t, "Disconnect", 30*time.Second, func() { s.Disconnect() })
			clientReturns(t, "Manager.Close", 30*time.Second, func() { m.Close() })
		})
	}
}

// TestClientConnectLateReply: a CONNECT the client gave up on (its context
// ended, or Disconnect) but the server accepts later is answered with a
// DISCONNECT, so the namespace is not left half-open on the server; a
// Connect again meanwhile takes the late acceptance instead of sending a
// second CONNECT (which Node's server refuses by closing the connection); a
// late refusal only clears the pending state.
func TestClientConnectLateReply(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	entered := make(chan struct{}, 1)
	release := make(chan error, 1)
	slow := srv.Of("/slow")
	slow.Use(func(*Socket) error {
		entered <- struct{}{}
		return <-release
	})
	srv.OnConnection(func(s *Socket) { s.On("ping", func(e *Event) { e.Ack() }) })
	disconnects := make(chan DisconnectReason, 4)
	slow.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { disconnects <- r })
	})
	m := NewManager(url, &ManagerOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}})
	defer m.Close()
	root := m.Socket("/", nil)
	rootGone := make(chan DisconnectReason, 1)
	root.OnDisconnect(func(r DisconnectReason) { rootGone <- r })
	clientConnect(t, root) // keeps the connection open
	s := m.Socket("/slow", nil)
	// giveUp makes a Connect whose context ends while the server holds
	// its CONNECT.
	giveUp := func() {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-entered; cancel() }()
		if err := s.Connect(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Connect = %v, want context.Canceled", err)
		}
	}
	// serverLeft waits for the server's socket of /slow to be disconnected
	// by the client.
	serverLeft := func() {
		t.Helper()
		if r := clientWait(t, disconnects, "the server's namespace disconnect"); r != ReasonClientNamespaceDisconnect {
			t.Fatalf("server-side reason %q", r)
		}
	}

	giveUp()
	release <- nil
	serverLeft()

	// Disconnect while the server holds the CONNECT.
	errc := make(chan error, 1)
	go func() { errc <- s.Connect(context.Background()) }()
	<-entered
	s.Disconnect()
	if err := clientWait(t, errc, "Connect"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Connect = %v, want ErrNotConnected", err)
	}
	release <- nil
	serverLeft()

	// Connect gives up, then Connect again before the server answers: the
	// late acceptance connects it.
	giveUp()
	go func() { errc <- s.Connect(clientCtx(t)) }()
	waitUntil(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return s.active
	})
	release <- nil
	if err := clientWait(t, errc, "Connect"); err != nil {
		t.Fatalf("Connect again = %v", err)
	}
	s.Disconnect()
	serverLeft()

	// A late refusal: the next Connect sends a CONNECT of its own.
	giveUp()
	release <- NewConnectError("late no", nil)
	// The refusal clears the pending CONNECT (the server runs the
	// middleware on a goroutine of its own: an event's answer may come
	// before it).
	waitUntil(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return s.connectPending == nil
	})
	if _, err := root.EmitWithAck(clientCtx(t), "ping"); err != nil {
		t.Fatal(err)
	}
	go func() { <-entered; release <- nil }()
	clientConnect(t, s)

	select {
	case r := <-rootGone:
		t.Fatalf("the connection was lost: %q", r)
	default:
	}
}

// TestClientConnectKeepsBackoff: a Connect while the Manager waits to
// reconnect for another socket keeps the schedule (socket.io-client's
// connect() does not open a reconnecting Manager); before, each such call
// dialled at once, so Connect in a loop made a storm of dials. A Connect
// while no socket is active still dials at once.
func TestClientConnectKeepsBackoff(t *testing.T) {
	dials := make(chan struct{}, 100)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		dials <- struct{}{}
		return nil, errors.New("test: unreachable")
	}}}
	m := NewManager("http://unreachable.test", &ManagerOptions{
		HTTPClient:           hc,
		ReconnectionDelay:    time.Hour,
		ReconnectionDelayMax: time.Hour,
		RandomizationFactor:  -1,
	})
	defer m.Close()
	a := m.Socket("/a", nil)
	aErrs := make(chan error, 4)
	a.OnConnectError(func(err error) { aErrs <- err })
	ctxA, cancelA := context.WithCancel(context.Background())
	aDone := make(chan error, 1)
	go func() { aDone <- a.Connect(ctxA) }()
	clientWait(t, dials, "the first dial")
	clientWait(t, aErrs, "a's connect error") // the Manager now waits an hour

	b := m.Socket("/b", nil)
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Connect(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Connect = %v", err)
		}
	}
	// Absence of a dial can only be observed for a while.
	select {
	case <-dials:
		t.Fatal("a Connect during the backoff dialled at once")
	case <-time.After(300 * time.Millisecond):
	}

	// a gives up: no socket is active; a Connect dials now.
	cancelA()
	if err := clientWait(t, aDone, "a's Connect"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a's Connect = %v", err)
	}
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	go b.Connect(ctxB)
	clientWait(t, dials, "the dial of a fresh Connect")
}

// TestClientConnectGiveUpCause: the error of a Connect whose context ends
// wraps the last failed attempt's error as well.
func TestClientConnectGiveUpCause(t *testing.T) {
	url := clientRefusedURL(t)
	m := NewManager(url, &ManagerOptions{ReconnectionDelay: time.Hour, HTTPClient: clientHTTPClient(t)})
	defer m.Close()
	s := m.Socket("/", nil)
	errs := make(chan error, 4)
	s.OnConnectError(func(err error) { errs <- err })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Connect(ctx) }()
	clientWait(t, errs, "OnConnectError")
	cancel()
	err := clientWait(t, done, "Connect")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Connect = %v, want context.Canceled and ECONNREFUSED", err)
	}
	t.Logf("error: %v", err)
}

// clientHTTPClient returns an HTTP client whose idle connections are closed
// at the end of the test.
func clientHTTPClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestClientConnectNoSID: a CONNECT reply without a sid is an error of that
// attempt (OnConnectError), as in socket.io-client, but does not deactivate
// the socket: a valid reply that follows connects it.
func TestClientConnectNoSID(t *testing.T) {
	eio := engineio.NewServer(func(ss *engineio.Session) engineio.Handler {
		return clientFuncHandler(func(data []byte) {
			if string(data) == "0" { // CONNECT to "/"
				ss.Send(engineio.TextFrame([]byte("0")))
				ss.Send(engineio.TextFrame([]byte(`0{"sid":"abc"}`)))
			}
		})
	}, nil)
	hs := httptest.NewServer(eio)
	defer hs.Close()
	defer eio.Shutdown(context.Background())
	m := NewManager(hs.URL, &ManagerOptions{
		Transports: []engineio.Transport{engineio.TransportWebSocket},
		HTTPClient: clientHTTPClient(t),
	})
	defer m.Close()
	s := m.Socket("/", nil)
	errs := make(chan error, 4)
	s.OnConnectError(func(err error) { errs <- err })
	if err := s.Connect(clientCtx(t)); err != nil {
		t.Fatalf("Connect = %v, want the valid reply's connection", err)
	}
	var ce *ConnectError
	if err := clientWait(t, errs, "OnConnectError"); !errors.As(err, &ce) {
		t.Fatalf("OnConnectError(%v), want a *ConnectError", err)
	}
	if s.ID() != "abc" {
		t.Fatalf("ID %q", s.ID())
	}
}

type clientFuncHandler func(data []byte)

func (h clientFuncHandler) HandleMessage(data []byte, binary bool) { h(data) }
func (clientFuncHandler) HandleClose(engineio.CloseReason, error)  {}

// TestClientEmitTooLarge: an event bigger than WriteQueueBytes is refused
// at once with ErrMessageTooLarge, through every way of sending, and the
// connection stays up.
func TestClientEmitTooLarge(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	srv.OnConnection(func(s *Socket) { s.On("echo", func(e *Event) { e.Ack(e.Args) }) })
	m := NewManager(url, &ManagerOptions{WriteQueueBytes: 1000, HTTPClient: clientHTTPClient(t)})
	defer m.Close()
	s := m.Socket("/", nil)
	retry := m.Socket("/retry", &ClientSocketOptions{Retries: 2})
	big := strings.Repeat("a", 1000)
	bin := make([]byte, 1000)
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, engineio.ErrMessageTooLarge) {
			t.Errorf("%s = %v, want ErrMessageTooLarge", what, err)
		}
	}
	check("Emit before Connect", s.Emit("echo", big))
	reasons := make(chan DisconnectReason, 4)
	s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
	clientConnect(t, s)
	check("Emit", s.Emit("echo", big))
	check("Emit of binary", s.Emit("echo", bin))
	check("Volatile().Emit", s.Volatile().Emit("echo", big))
	_, err := s.EmitWithAck(clientCtx(t), "echo", big)
	check("EmitWithAck", err)
	check("Emit with retries", retry.Emit("echo", big))
	_, err = retry.EmitWithAck(clientCtx(t), "echo", big)
	check("EmitWithAck with retries", err)

	// Still connected: what fits goes through.
	ack, err := s.EmitWithAck(clientCtx(t), "echo", big[:900])
	if err != nil || len(ack) != 1 {
		t.Fatalf("EmitWithAck = %v, %v", ack, err)
	}
	select {
	case r := <-reasons:
		t.Fatalf("disconnected: %q", r)
	default:
	}
}

// TestClientReadLimit: a message from the server bigger than ReadLimit ends
// the connection: pending acks fail with an error that says so, and the
// Manager reconnects. By default a message bigger than Node's
// maxHttpBufferSize (1e6) arrives: servers send what browsers accept.
func TestClientReadLimit(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	srv.OnConnection(func(s *Socket) {
		s.On("send", func(e *Event) {
			var n int
			var binary bool
			e.Decode(&n, &binary)
			if binary {
				s.Emit("data", make([]byte, n))
			} else {
				s.Emit("data", strings.Repeat("x", n))
			}
			e.Ack()
		})
	})
	for _, tc := range []struct {
		name   string
		limit  int64
		n      int
		binary bool
	}{
		{"text", 1000, 1000, false},
		{"binary", 1000, 1000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				ReadLimit:         tc.limit,
				ReconnectionDelay: 10 * time.Millisecond,
				HTTPClient:        clientHTTPClient(t),
			})
			defer m.Close()
			s := m.Socket("/", nil)
			data := clientCollect(s, "data")
			reasons, connects := clientConnectWatched(t, s)
			// What fits arrives (a text event has its name and quotes).
			if _, err := s.EmitWithAck(clientCtx(t), "send", tc.n-100, tc.binary); err != nil {
				t.Fatal(err)
			}
			clientWait(t, data, "data")
			_, err := s.EmitWithAck(clientCtx(t), "send", tc.n+1, tc.binary)
			if !errors.Is(err, ErrNotConnected) || !errors.Is(err, engineio.ErrMessageTooLarge) {
				t.Fatalf("EmitWithAck = %v, want ErrNotConnected and ErrMessageTooLarge", err)
			}
			t.Logf("error: %v", err)
			if r := clientWait(t, reasons, "OnDisconnect"); r != ReasonTransportError {
				t.Fatalf("reason %q", r)
			}
			clientWait(t, connects, "OnConnect after the reconnection")
		})
	}
	t.Run("default", func(t *testing.T) {
		m := NewManager(url, &ManagerOptions{HTTPClient: clientHTTPClient(t)})
		defer m.Close()
		s := m.Socket("/", nil)
		data := clientCollect(s, "data")
		clientConnect(t, s)
		for _, binary := range []bool{false, true} {
			if _, err := s.EmitWithAck(clientCtx(t), "send", 2e6, binary); err != nil {
				t.Fatal(err)
			}
			clientWait(t, data, "data")
		}
	})
}

// clientWaitFor polls cond until it holds, failing the test after 10 s.
func clientWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readerParked reports whether some goroutine waits in executor.waitRoom:
// a client's reader held back by its socket's handlers.
func readerParked() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*executor).waitRoom(")
}

// TestClientBackpressure: a server faster than the client's handlers fills
// the socket's queue up to MaxPendingEvents, then the client stops reading
// (and the server's writes wait) until the handlers catch up; nothing is
// lost. Manager.Close, also from a handler, returns while the reader is
// held back.
func TestClientBackpressure(t *testing.T) {
	const limit, n = 8, 200
	for _, tc := range []struct {
		name      string
		transport engineio.Transport
		close     string // "": release the handler; "manager", "handler": Close while held back
	}{
		{"websocket", engineio.TransportWebSocket, ""},
		{"polling", engineio.TransportPolling, ""},
		{"close", engineio.TransportWebSocket, "manager"},
		{"close from handler", engineio.TransportPolling, "handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := clientGoServer(t, nil)
			srv.OnConnection(func(s *Socket) {
				s.On("flood", func(e *Event) {
					for i := range n {
						s.Emit("data", i)
					}
					e.Ack()
				})
			})
			m := NewManager(url, &ManagerOptions{
				MaxPendingEvents: limit,
				Transports:       []engineio.Transport{tc.transport},
				HTTPClient:       clientHTTPClient(t),
			})
			defer m.Close()
			s := m.Socket("/", nil)
			release := make(chan struct{})
			closed := make(chan struct{}) // Close from the handler returned
			got := make(chan int, n)
			s.On("data", func(e *Event) {
				var i int
				e.Decode(&i)
				if i == 0 {
					if tc.close == "handler" {
						for !readerParked() {
							time.Sleep(5 * time.Millisecond)
						}
						m.Close()
						close(closed)
					}
					<-release
				}
				got <- i
			})
			clientConnect(t, s)
			// The flood's ack comes after the events: it is read only once
			// the handlers caught up, so it is not waited for here.
			go s.EmitWithAck(clientCtx(t), "flood")
			if tc.close == "handler" {
				clientWait(t, closed, "Manager.Close from the handler")
				close(release)
				return
			}
			clientWaitFor(t, "the reader to be held back", readerParked)
			s.exec.mu.Lock()
			pending := s.exec.pending()
			s.exec.mu.Unlock()
			if pending > limit+1 {
				t.Fatalf("%d events queued, more than MaxPendingEvents %d", pending, limit)
			}
			if tc.close == "manager" {
				done := make(chan struct{})
				go func() { m.Close(); close(done) }()
				clientWait(t, done, "Manager.Close")
				close(release)
				return
			}
			close(release)
			for i := range n {
				if j := clientWait(t, got, "data"); j != i {
					t.Fatalf("event %d arrived as %d", i, j)
				}
			}
		})
	}
}

type clientCloseHandler struct {
	clientFuncHandler
	closed chan struct{}
}

func (h clientCloseHandler) HandleClose(engineio.CloseReason, error) { close(h.closed) }

// TestClientEventsBeforeConnect: events a server sends before its CONNECT
// reply (a middleware's emits) are delivered once it comes, up to
// MaxPendingEvents; a server that sends more closes the connection, which
// cannot hold them (its reader waits for that reply).
func TestClientEventsBeforeConnect(t *testing.T) {
	const limit = 8
	for _, tc := range []struct {
		events int
		reply  bool
	}{{limit, true}, {limit + 1, false}} {
		t.Run(strconv.Itoa(tc.events), func(t *testing.T) {
			closed := make(chan struct{})
			eio := engineio.NewServer(func(ss *engineio.Session) engineio.Handler {
				return clientCloseHandler{clientFuncHandler(func(data []byte) {
					if string(data) != "0" { // CONNECT to "/"
						return
					}
					for i := range tc.events {
						ss.Send(engineio.TextFrame([]byte(`2["x",` + strconv.Itoa(i) + `]`)))
					}
					if tc.reply {
						ss.Send(engineio.TextFrame([]byte(`0{"sid":"abc"}`)))
					}
				}), closed}
			}, nil)
			hs := httptest.NewServer(eio)
			defer hs.Close()
			defer eio.Shutdown(context.Background())
			m := NewManager(hs.URL, &ManagerOptions{
				MaxPendingEvents: limit,
				NoReconnection:   true,
				Transports:       []engineio.Transport{engineio.TransportWebSocket},
				HTTPClient:       clientHTTPClient(t),
			})
			defer m.Close()
			s := m.Socket("/", nil)
			got := clientCollect(s, "x")
			if !tc.reply {
				go s.Connect(clientCtx(t))
				clientWait(t, closed, "the connection's close")
				return
			}
			clientConnect(t, s)
			for i := range tc.events {
				var j int
				if clientWait(t, got, "x").Decode(&j); j != i {
					t.Fatalf("event %d arrived as %d", i, j)
				}
			}
		})
	}
}

// TestManagerEvents: the Manager's events come as socket.io-client's
// manager emits them: open; close then reconnect_attempt, open, reconnect
// when the connection is lost; error for every failed attempt,
// reconnect_error for the failed reconnections, reconnect_failed when it
// gives up.
func TestManagerEvents(t *testing.T) {
	record := func(m *Manager) chan string {
		ch := make(chan string, 32)
		m.OnOpen(func() { ch <- "open" })
		m.OnClose(func(r DisconnectReason, err error) { ch <- "close " + string(r) })
		m.OnError(func(err error) { ch <- "error" })
		m.OnReconnectAttempt(func(n int) { ch <- "reconnect_attempt " + strconv.Itoa(n) })
		m.OnReconnect(func(n int) { ch <- "reconnect " + strconv.Itoa(n) })
		m.OnReconnectError(func(err error) { ch <- "reconnect_error" })
		m.OnReconnectFailed(func() { ch <- "reconnect_failed" })
		return ch
	}
	expect := func(t *testing.T, ch chan string, want ...string) {
		t.Helper()
		for _, w := range want {
			if got := clientWait(t, ch, w); got != w {
				t.Fatalf("event %q, want %q", got, w)
			}
		}
	}

	t.Run("lost", func(t *testing.T) {
		srv, url := clientGoServer(t, nil)
		conns := make(chan *Socket, 4)
		srv.OnConnection(func(s *Socket) { conns <- s })
		m := NewManager(url, &ManagerOptions{ReconnectionDelay: 10 * time.Millisecond, HTTPClient: clientHTTPClient(t)})
		defer m.Close()
		ch := record(m)
		s := m.Socket("/", nil)
		clientConnect(t, s)
		expect(t, ch, "open")
		clientWait(t, conns, "the server's socket").Conn().Close()
		expect(t, ch, "close transport close", "reconnect_attempt 1", "open", "reconnect 1")
		clientWait(t, conns, "the server's socket after the reconnection")
		m.Close()
		expect(t, ch, "close forced close")
	})

	t.Run("refused", func(t *testing.T) {
		url := clientRefusedURL(t)
		m := NewManager(url, &ManagerOptions{
			ReconnectionDelay:    time.Millisecond,
			ReconnectionAttempts: 2,
			HTTPClient:           clientHTTPClient(t),
		})
		defer m.Close()
		ch := record(m)
		s := m.Socket("/", nil)
		if err := s.Connect(clientCtx(t)); !errors.Is(err, ErrReconnectFailed) {
			t.Fatalf("Connect = %v, want ErrReconnectFailed", err)
		}
		expect(t, ch, "error",
			"reconnect_attempt 1", "error", "reconnect_error",
			"reconnect_attempt 2", "error", "reconnect_error",
			"reconnect_failed")
	})
}

// TestClientIdleRunLoopEnds: when the last socket gives up (its Connect's
// context ends, or Disconnect) while the Manager waits to reconnect, the
// run loop ends at once, not when its backoff timer fires.
func TestClientIdleRunLoopEnds(t *testing.T) {
	url := clientRefusedURL(t)
	for _, how := range []string{"context", "disconnect"} {
		t.Run(how, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				ReconnectionDelay:    time.Hour,
				ReconnectionDelayMax: time.Hour,
				HTTPClient:           clientHTTPClient(t),
			})
			defer m.Close()
			failed := make(chan error, 1)
			m.OnError(func(err error) { failed <- err })
			s := m.Socket("/", nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Connect(ctx) }()
			clientWait(t, failed, "the first attempt's error") // the loop now waits an hour
			if how == "context" {
				cancel()
			} else {
				s.Disconnect()
			}
			clientWait(t, done, "Connect")
			cancel()
			clientWaitFor(t, "the run loop to end", func() bool {
				m.mu.Lock()
				defer m.mu.Unlock()
				return !m.running
			})
		})
	}
}

// TestClientOff: Off and OffAny remove handlers, as socket.io-client's
// off(event) and offAny(); the socket's other handlers keep theirs.
func TestClientOff(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	srv.OnConnection(func(s *Socket) {
		s.On("send", func(e *Event) {
			s.Emit("a")
			s.Emit("b")
		})
	})
	m := NewManager(url, &ManagerOptions{HTTPClient: clientHTTPClient(t)})
	defer m.Close()
	s := m.Socket("/", nil)
	a, b := clientCollect(s, "a"), clientCollect(s, "b")
	anys := make(chan string, 10)
	s.OnAny(func(e *Event) { anys <- e.Name })
	clientConnect(t, s)
	// round sends a then b; once b's handler ran, a's handlers have run
	// (a socket's events are handled in order).
	round := func() {
		t.Helper()
		if err := s.Emit("send"); err != nil {
			t.Fatal(err)
		}
		clientWait(t, b, "b")
	}
	round()
	clientWait(t, a, "a")
	if x, y := clientWait(t, anys, "any"), clientWait(t, anys, "any"); x != "a" || y != "b" {
		t.Fatalf("OnAny got %s, %s", x, y)
	}
	s.Off("a")
	round()
	if x, y := clientWait(t, anys, "any"), clientWait(t, anys, "any"); x != "a" || y != "b" {
		t.Fatalf("OnAny got %s, %s after Off(a)", x, y)
	}
	select {
	case <-a:
		t.Fatal("a's handler ran after Off(a)")
	default:
	}
	s.OffAny()
	round()
	select {
	case n := <-anys:
		t.Fatalf("OnAny handler got %s after OffAny", n)
	default:
	}
}
