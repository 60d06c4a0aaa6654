package engineio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/internal/nodetest"
	"github.com/siogen/siogen/internal/wallclock"
)

// The interop tests run the Node echo server named by clientNodeServerEnv
// (testdata/echo-server.cjs, relative to this package, works). Its engine.io
// package is found next to the script or in the folder clientNodeModulesEnv
// names (passed to node as NODE_PATH), e.g.
//
//	(cd /tmp/eio-node && npm i engine.io@6.6)
//	SIOGEN_EIO_NODE_SERVER=testdata/echo-server.cjs SIOGEN_EIO_NODE_MODULES=/tmp/eio-node/node_modules go test -race ./engineio
const (
	clientNodeServerEnv  = "SIOGEN_EIO_NODE_SERVER"
	clientNodeModulesEnv = "SIOGEN_EIO_NODE_MODULES"
)

// clientNode is a running Node echo server.
type clientNode struct {
	URL    string
	events chan string // "open <sid> <transport>", "upgrade ...", "close <sid> <reason>"
}

// clientStartNode starts the Node echo server with the given environment
// (EIO_PING_INTERVAL, ...). It stops at the end of the test.
func clientStartNode(t testing.TB, env ...string) *clientNode {
	t.Helper()
	srv := nodetest.Start(t, clientNodeServerEnv, clientNodeModulesEnv, []string{"0"}, env...)
	return &clientNode{URL: srv.URL, events: srv.Lines}
}

// waitEvent waits for an event line starting with prefix.
func (n *clientNode) waitEvent(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-n.events:
			if strings.HasPrefix(e, prefix) {
				return e
			}
		case <-timeout:
			t.Fatalf("the server did not report %q", prefix)
			return ""
		}
	}
}

// clientMsg is one message the handler got.
type clientMsg struct {
	data   string
	binary bool
}

// clientRecorder is a Handler that records what it gets and checks the
// Handler guarantees.
type clientRecorder struct {
	msgs   chan clientMsg
	closed chan struct{}

	inside    atomic.Int32
	violation atomic.Value // string
	mu        sync.Mutex
	closes    int
	reason    CloseReason
	err       error
}

func clientNewRecorder() *clientRecorder {
	return &clientRecorder{msgs: make(chan clientMsg, 10000), closed: make(chan struct{})}
}

func (r *clientRecorder) HandleMessage(data []byte, binary bool) {
	if r.inside.Add(1) != 1 {
		r.violation.Store("concurrent handler calls")
	}
	defer r.inside.Add(-1)
	r.mu.Lock()
	if r.closes > 0 {
		r.violation.Store("HandleMessage after HandleClose")
	}
	r.mu.Unlock()
	select {
	case r.msgs <- clientMsg{string(data), binary}:
	default:
		r.violation.Store("too many messages")
	}
}

func (r *clientRecorder) HandleClose(reason CloseReason, err error) {
	if r.inside.Add(1) != 1 {
		r.violation.Store("concurrent handler calls")
	}
	defer r.inside.Add(-1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closes++
	if r.closes > 1 {
		r.violation.Store("HandleClose called twice")
		return
	}
	r.reason, r.err = reason, err
	close(r.closed)
}

// next returns the next message.
func (r *clientRecorder) next(t *testing.T) clientMsg {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-r.closed:
		select {
		case m := <-r.msgs:
			return m
		default:
		}
		t.Fatalf("connection closed while waiting for a message: %s %v", r.reason, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	return clientMsg{}
}

// expect checks the next message.
func (r *clientRecorder) expect(t *testing.T, data string, binary bool) {
	t.Helper()
	m := r.next(t)
	if m.data != data || m.binary != binary {
		t.Fatalf("got message %.40q (binary %v), want %.40q (binary %v)", m.data, m.binary, data, binary)
	}
}

// waitClose waits for HandleClose and returns its arguments.
func (r *clientRecorder) waitClose(t *testing.T, within time.Duration) (CloseReason, error) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(within):
		t.Fatalf("HandleClose not called within %v", within)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason, r.err
}

func (r *clientRecorder) check(t *testing.T) {
	t.Helper()
	if v := r.violation.Load(); v != nil {
		t.Errorf("Handler contract violated: %s", v)
	}
}

// clientMode is a way to connect.
type clientMode struct {
	name       string
	transports []Transport
	want       Transport // the transport in use once settled
}

var clientModes = []clientMode{
	{"polling", []Transport{TransportPolling}, TransportPolling},
	{"upgrade", nil, TransportWebSocket},
	{"websocket", []Transport{TransportWebSocket}, TransportWebSocket},
}

// clientHTTP returns an HTTP client whose connections are closed at the end
// of the test (so that the leak check sees no idle connection goroutines).
func clientHTTP(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// clientDial dials the server in mode and waits until the transport settles.
// The client is closed at the end of the test.
func clientDial(t *testing.T, url string, mode clientMode, opts *DialOptions) (*Client, *clientRecorder) {
	t.Helper()
	return clientDialContext(t, context.Background(), url, mode, opts)
}

// clientDialContext is clientDial with a context for Dial, which may carry
// a wall clock (internal/wallclock).
func clientDialContext(t *testing.T, ctx context.Context, url string, mode clientMode, opts *DialOptions) (*Client, *clientRecorder) {
	t.Helper()
	if opts == nil {
		opts = &DialOptions{}
	}
	opts.Transports = mode.transports
	if opts.HTTPClient == nil {
		opts.HTTPClient = clientHTTP(t)
	}
	rec := clientNewRecorder()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, rec, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		select {
		case <-c.Done():
		case <-time.After(15 * time.Second):
			t.Error("connection did not end after Close")
		}
		rec.check(t)
	})
	clientWaitTransport(t, c, mode.want)
	return c, rec
}

func clientWaitTransport(t *testing.T, c *Client, want Transport) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Transport() != want {
		if time.Now().After(deadline) {
			t.Fatalf("transport is %s, want %s", c.Transport(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClientEcho(t *testing.T) {
	srv := clientStartNode(t)
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, srv.URL, mode, nil)
			if c.ID() == "" || c.PingInterval() != 25*time.Second || c.PingTimeout() != 20*time.Second || c.MaxPayload() != 1e6 {
				t.Errorf("handshake values: id %q interval %v timeout %v maxPayload %d", c.ID(), c.PingInterval(), c.PingTimeout(), c.MaxPayload())
			}
			if err := c.Send(TextFrame([]byte("héllo"))); err != nil {
				t.Fatal(err)
			}
			rec.expect(t, "héllo", false)
			bin := []byte{0, 1, 2, 0x1e, 0xff}
			if err := c.Send(BinaryFrame(bin), TextFrame(nil), BinaryFrame(nil)); err != nil {
				t.Fatal(err)
			}
			rec.expect(t, string(bin), true)
			rec.expect(t, "", false)
			rec.expect(t, "", true)
			c.Send(TextFrame([]byte("transport")))
			rec.expect(t, "transport:"+string(mode.want), false)
			lent := []byte("4lent")
			if err := c.Send(Frame{Data: lent, Borrowed: true}); err != nil {
				t.Fatal(err)
			}
			copy(lent, "4xxxx") // the caller's again once Send returned
			rec.expect(t, "lent", false)
			if mode.name == "upgrade" {
				srv.waitEvent(t, "upgrade "+c.ID()+" websocket")
			}

			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			reason, err := rec.waitClose(t, 10*time.Second)
			if reason != ReasonForcedClose || err != nil {
				t.Errorf("HandleClose(%q, %v), want forced close", reason, err)
			}
			<-c.Done()
			if err := c.Send(TextFrame([]byte("late"))); !errors.Is(err, ErrClosed) {
				t.Errorf("Send after Close: %v, want ErrClosed", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			// The server saw the session end (polling: our close packet;
			// WebSocket: the close frame).
			srv.waitEvent(t, "close "+c.ID())
		})
	}
}

// TestClientOrder sends many messages right after Dial, so that with the
// default transports they straddle the upgrade, and checks they come back
// complete and in order.
func TestClientOrder(t *testing.T) {
	srv := clientStartNode(t)
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			opts := &DialOptions{Transports: mode.transports, HTTPClient: clientHTTP(t)}
			rec := clientNewRecorder()
			c, err := Dial(context.Background(), srv.URL, rec, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { c.Close(); <-c.Done(); rec.check(t) }()
			const n = 600
			for i := range n {
				var err error
				if i%3 == 2 {
					err = c.Send(BinaryFrame([]byte(fmt.Sprint(i))))
				} else {
					err = c.Send(TextFrame([]byte(fmt.Sprint(i))))
				}
				if err != nil {
					t.Fatal(err)
				}
				if i%50 == 0 {
					time.Sleep(2 * time.Millisecond)
				}
			}
			for i := range n {
				rec.expect(t, fmt.Sprint(i), i%3 == 2)
			}
			clientWaitTransport(t, c, mode.want)
		})
	}
}

func TestClientLargeMessages(t *testing.T) {
	const maxPayload = 20000
	srv := clientStartNode(t, fmt.Sprintf("EIO_MAX_PAYLOAD=%d", maxPayload))
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, srv.URL, mode, nil)
			if c.MaxPayload() != maxPayload {
				t.Fatalf("MaxPayload %d", c.MaxPayload())
			}
			// One message just under the limit, in a POST of its own.
			big := strings.Repeat("a", maxPayload-1)
			// Binary data whose base64 form just fits.
			bin := bytes.Repeat([]byte{0xfe}, (maxPayload-1)/4*3)
			// Many messages that together exceed maxPayload: several POSTs.
			var many []string
			for i := range 40 {
				many = append(many, strings.Repeat(string(rune('A'+i%26)), 1000))
			}
			if err := c.Send(TextFrame([]byte(big[1:]))); err != nil {
				t.Fatal(err)
			}
			if err := c.Send(BinaryFrame(bin)); err != nil {
				t.Fatal(err)
			}
			for _, m := range many {
				if err := c.Send(TextFrame([]byte(m))); err != nil {
					t.Fatal(err)
				}
			}
			rec.expect(t, big[1:], false)
			rec.expect(t, string(bin), true)
			for _, m := range many {
				rec.expect(t, m, false)
			}
			// A large message from the server.
			c.Send(TextFrame([]byte("big:300000")))
			rec.expect(t, strings.Repeat("x", 300000), false)
		})
	}
}

func TestClientServerClose(t *testing.T) {
	srv := clientStartNode(t)
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, srv.URL, mode, nil)
			c.Send(TextFrame([]byte("close")))
			reason, err := rec.waitClose(t, 5*time.Second)
			if reason != ReasonTransportClose || err != nil {
				t.Errorf("HandleClose(%q, %v), want transport close", reason, err)
			}
			<-c.Done()
		})
	}
}

func TestClientHeartbeat(t *testing.T) {
	// A short interval (several pings per test) but a pong window wide
	// enough for a loaded machine's polling round trips.
	srv := clientStartNode(t, "EIO_PING_INTERVAL=150", "EIO_PING_TIMEOUT=1000")
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, srv.URL, mode, nil)
			// Several ping periods: the client answers, the server keeps it.
			time.Sleep(700 * time.Millisecond)
			c.Send(TextFrame([]byte("alive?")))
			rec.expect(t, "alive?", false)

			// Now the server stops pinging: the client gives up after
			// pingInterval+pingTimeout.
			c.Send(TextFrame([]byte("stop-pings")))
			rec.expect(t, "pings stopped", false)
			start := time.Now()
			reason, err := rec.waitClose(t, 5*time.Second)
			if reason != ReasonPingTimeout || err != nil {
				t.Errorf("HandleClose(%q, %v), want ping timeout", reason, err)
			}
			// The watchdog fires at pingInterval+pingTimeout (1.15 s) after
			// the last ping; generous slack for a loaded machine.
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("ping timeout detected after %v", d)
			}
		})
	}
}

// TestClientPingExpired: PingExpired compares the wall clock to the
// heartbeat's deadline, pingInterval+pingTimeout after the last ping (or the
// handshake), as engine.io-client's _hasPingExpired. Here the wall clock
// jumps, as across a suspend, while the Go timer (a minute away) does not
// fire. A ping moves the deadline; once the clock has passed it, PingExpired
// ends the connection with ReasonPingTimeout, as the timer would, and Send
// fails.
func TestClientPingExpired(t *testing.T) {
	const interval, timeout = 50 * time.Millisecond, time.Minute
	servers := []struct {
		name  string
		start func(t *testing.T) (url string, closed func(t *testing.T, sid string))
	}{
		{"go", func(t *testing.T) (string, func(*testing.T, string)) {
			srv := NewServer(func(ss *Session) Handler {
				return clientServerHandler{ss, make(chan string, 100)}
			}, &Options{PingInterval: interval, PingTimeout: timeout})
			ts := httptest.NewServer(srv)
			t.Cleanup(ts.Close)
			t.Cleanup(func() { srv.Shutdown(context.Background()) })
			return ts.URL, nil
		}},
		{"node", func(t *testing.T) (string, func(*testing.T, string)) {
			srv := clientStartNode(t, fmt.Sprintf("EIO_PING_INTERVAL=%d", interval.Milliseconds()),
				fmt.Sprintf("EIO_PING_TIMEOUT=%d", timeout.Milliseconds()))
			return srv.URL, func(t *testing.T, sid string) { srv.waitEvent(t, "close "+sid) }
		}},
	}
	for _, server := range servers {
		t.Run(server.name, func(t *testing.T) {
			url, serverClosed := server.start(t)
			for _, mode := range clientModes {
				t.Run(mode.name, func(t *testing.T) {
					var clock wallclock.Offset
					ctx := wallclock.WithNow(context.Background(), clock.Now)
					c, rec := clientDialContext(t, ctx, url, mode, nil)
					if c.PingExpired() {
						t.Fatal("PingExpired() after the handshake")
					}
					period := c.PingInterval() + c.PingTimeout()
					// Three quarters of the period: not expired. A ping
					// comes, and moves the deadline a period past now.
					clock.Jump(period * 3 / 4)
					if c.PingExpired() {
						t.Fatal("PingExpired() before the deadline")
					}
					want := clock.Now().Add(period)
					waitFor(t, func() bool {
						c.mu.Lock()
						defer c.mu.Unlock()
						return !c.pingDeadline.Before(want)
					})
					// Past the first deadline, not the one the ping set.
					clock.Jump(period * 3 / 4)
					if c.PingExpired() {
						t.Fatal("PingExpired() before the deadline the last ping set")
					}
					select {
					case <-c.Closing():
						t.Fatal("connection closing before the deadline")
					default:
					}
					clock.Jump(period)
					if !c.PingExpired() {
						t.Fatal("PingExpired() is false past the deadline")
					}
					if reason, err := rec.waitClose(t, 10*time.Second); reason != ReasonPingTimeout || err != nil {
						t.Fatalf("HandleClose(%q, %v), want ping timeout", reason, err)
					}
					if !c.PingExpired() {
						t.Fatal("PingExpired() is false once the connection ended")
					}
					if err := c.Send(TextFrame([]byte("late"))); !errors.Is(err, ErrClosed) {
						t.Fatalf("Send after the ping timeout: %v, want ErrClosed", err)
					}
					if serverClosed != nil {
						serverClosed(t, c.ID()) // the transport was closed
					}
				})
			}
		})
	}
}

// TestClientNoPong checks that the Node server drops a client that does not
// answer pings (the test hook), and that the client reports it.
func TestClientNoPong(t *testing.T) {
	srv := clientStartNode(t, "EIO_PING_INTERVAL=100", "EIO_PING_TIMEOUT=100")
	c, rec := clientDial(t, srv.URL, clientModes[2], nil)
	c.dialTestNoPong.Store(true)
	srv.waitEvent(t, "close "+c.ID()+" ping timeout")
	reason, _ := rec.waitClose(t, 3*time.Second)
	if reason != ReasonTransportClose && reason != ReasonPingTimeout {
		t.Errorf("HandleClose(%q)", reason)
	}
}

func TestClientHandshakeErrors(t *testing.T) {
	srv := clientStartNode(t, "EIO_TRANSPORTS=polling")
	wsOnly := clientStartNode(t, "EIO_TRANSPORTS=websocket")
	tests := []struct {
		name   string
		url    string
		opts   DialOptions
		status int // want a *HandshakeError with this status; 0: another error
		code   int
	}{
		{name: "polling bad path", url: srv.URL + "/nope/", status: 404, code: -1},
		{name: "websocket bad path", url: srv.URL, opts: DialOptions{Path: "/nope", Transports: []Transport{TransportWebSocket}}},
		{name: "polling transport refused", url: wsOnly.URL, opts: DialOptions{Transports: []Transport{TransportPolling}}, status: 400, code: 0},
		{name: "websocket transport refused", url: srv.URL, opts: DialOptions{Transports: []Transport{TransportWebSocket}}, status: 400, code: 0},
		{name: "connection refused", url: "http://127.0.0.1:1"},
		{name: "bad scheme", url: "ftp://127.0.0.1:1"},
		{name: "unknown transport", url: srv.URL, opts: DialOptions{Transports: []Transport{"webtransport"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.HTTPClient = clientHTTP(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, tt.url, clientNewRecorder(), &opts)
			if err == nil {
				c.Close()
				<-c.Done()
				t.Fatal("Dial succeeded")
			}
			var he *HandshakeError
			if tt.status != 0 {
				if !errors.As(err, &he) || he.StatusCode != tt.status || he.Code != tt.code {
					t.Fatalf("Dial error %v (%#v), want HandshakeError with status %d, code %d", err, he, tt.status, tt.code)
				}
			} else if errors.As(err, &he) {
				t.Logf("HandshakeError %+v", he)
			}
			t.Logf("error: %v", err)
		})
	}
	// The polling-only server still works when polling is allowed.
	c, rec := clientDial(t, srv.URL, clientMode{"default", nil, TransportPolling}, nil) // no upgrade offered
	if len(c.Upgrades()) != 0 || c.Transport() != TransportPolling {
		t.Errorf("upgrades %v transport %s", c.Upgrades(), c.Transport())
	}
	c.Send(TextFrame([]byte("x")))
	rec.expect(t, "x", false)
}

// TestClientUpgradeOptions checks NoUpgrade and the path/query options.
func TestClientUpgradeOptions(t *testing.T) {
	srv := clientStartNode(t, "EIO_PATH=/custom")
	c, rec := clientDial(t, srv.URL+"/custom", clientModes[0], &DialOptions{
		NoUpgrade: true,
		Query:     map[string][]string{"token": {"abc"}, "EIO": {"3"}},
		Header:    http.Header{"X-Test": {"1"}},
	})
	if got := c.Upgrades(); len(got) != 1 || got[0] != TransportWebSocket {
		t.Errorf("Upgrades() = %v", got)
	}
	time.Sleep(100 * time.Millisecond)
	c.Send(TextFrame([]byte("transport")))
	rec.expect(t, "transport:polling", false)

	c2, rec2 := clientDial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), clientModes[1], &DialOptions{Path: "custom"})
	c2.Send(TextFrame([]byte("transport")))
	rec2.expect(t, "transport:websocket", false)
}

func TestClientWriteQueue(t *testing.T) {
	srv := clientStartNode(t)
	c, rec := clientDial(t, srv.URL, clientModes[2], &DialOptions{WriteQueueBytes: 100})
	if err := c.Send(Frame{Data: []byte("hello")}); err == nil || !errors.Is(err, ErrParse) {
		t.Errorf("Send of a frame without a type: %v", err)
	}
	// A message bigger than the whole queue can never be sent: it is
	// refused, and the connection stays open (TestClientWriteQueueLimits
	// overflows the queue with messages that fit).
	big := BinaryFrame(make([]byte, 101))
	if err := c.SendVolatile(big); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("SendVolatile of a too big frame: %v", err)
	}
	c.Send(TextFrame([]byte("still open")))
	rec.expect(t, "still open", false)
	if err := c.Send(big); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("Send of a too big frame: %v", err)
	}
	c.Send(TextFrame([]byte("still open 2")))
	rec.expect(t, "still open 2", false)
}

// TestClientCloseFromHandler closes the client from inside HandleMessage.
func TestClientCloseFromHandler(t *testing.T) {
	srv := clientStartNode(t)
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			h := &clientCloser{clientRecorder: clientNewRecorder()}
			c, err := Dial(context.Background(), srv.URL, h, &DialOptions{Transports: mode.transports, HTTPClient: clientHTTP(t)})
			if err != nil {
				t.Fatal(err)
			}
			h.c.Store(c)
			c.Send(TextFrame([]byte("bye")))
			reason, _ := h.waitClose(t, 10*time.Second)
			if reason != ReasonForcedClose {
				t.Errorf("reason %q", reason)
			}
			<-c.Done()
			h.check(t)
		})
	}
}

type clientCloser struct {
	*clientRecorder
	c atomic.Pointer[Client]
}

func (h *clientCloser) HandleMessage(data []byte, binary bool) {
	h.clientRecorder.HandleMessage(data, binary)
	if c := h.c.Load(); c != nil {
		c.Close()
	}
}

// TestClientBadServer feeds the client garbage from a fake server.
func TestClientBadServer(t *testing.T) {
	const open = `0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":300,"maxPayload":1000}`
	tests := []struct {
		name      string
		handshake string // body of the handshake response
		poll      string // body of every later GET
		dialErr   bool
		reason    CloseReason
	}{
		{name: "empty handshake", handshake: "", dialErr: true},
		{name: "not open", handshake: "4hello", dialErr: true},
		{name: "bad json", handshake: "0{", dialErr: true},
		{name: "no sid", handshake: `0{"pingInterval":1}`, dialErr: true},
		{name: "negative", handshake: `0{"sid":"a","pingInterval":-1}`, dialErr: true},
		// Without a positive heartbeat the connection would have no watchdog.
		{name: "no pingInterval", handshake: `0{"sid":"a","pingTimeout":300}`, dialErr: true},
		{name: "no pingTimeout", handshake: `0{"sid":"a","pingInterval":300}`, dialErr: true},
		{name: "zero pingInterval", handshake: `0{"sid":"a","pingInterval":0,"pingTimeout":300}`, dialErr: true},
		{name: "zero pingTimeout", handshake: `0{"sid":"a","pingInterval":300,"pingTimeout":0}`, dialErr: true},
		{name: "negative pingTimeout", handshake: `0{"sid":"a","pingInterval":300,"pingTimeout":-5}`, dialErr: true},
		{name: "bad type", handshake: open, poll: "4a\x1e9", reason: ReasonParseError},
		{name: "bad base64", handshake: open, poll: "b!!", reason: ReasonParseError},
		{name: "empty poll", handshake: open, poll: "", reason: ReasonParseError},
		{name: "separators", handshake: open, poll: "\x1e\x1e", reason: ReasonParseError},
		{name: "close after message", handshake: open + "\x1e4first", poll: "4a\x1e1\x1e4b", reason: ReasonTransportClose},
		{name: "silent", handshake: open, poll: "6", reason: ReasonPingTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gets atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					io.WriteString(w, "ok")
					return
				}
				if r.URL.Query().Get("sid") == "" {
					io.WriteString(w, tt.handshake)
					return
				}
				if gets.Add(1) > 1 {
					select { // hold later polls, as a server does
					case <-r.Context().Done():
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
				io.WriteString(w, tt.poll)
			}))
			defer ts.Close()
			hc := clientHTTP(t)
			rec := clientNewRecorder()
			c, err := Dial(context.Background(), ts.URL, rec, &DialOptions{HTTPClient: hc})
			if tt.dialErr {
				if err == nil {
					c.Close()
					<-c.Done()
					t.Fatal("Dial succeeded")
				}
				if strings.HasPrefix(tt.handshake, "0{") && !errors.Is(err, ErrParse) {
					t.Errorf("Dial error %v, want ErrParse", err)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			reason, err := rec.waitClose(t, 3*time.Second)
			if reason != tt.reason {
				t.Errorf("HandleClose(%q, %v), want %q", reason, err, tt.reason)
			}
			<-c.Done()
			rec.check(t)
			hc.CloseIdleConnections()
		})
	}
}

// TestClientDialTimeout checks that ctx bounds the handshake.
func TestClientDialTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn) // never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := Dial(ctx, "http://"+ln.Addr().String(), clientNewRecorder(), &DialOptions{Transports: mode.transports, HTTPClient: clientHTTP(t)})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Dial: %v, want DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Dial took %v", d)
			}
		})
	}
}

// BenchmarkClientSendWebSocket measures the echo throughput of 100-byte text
// messages over WebSocket against the Node server, 1000 in flight.
func BenchmarkClientSendWebSocket(b *testing.B) {
	srv := clientStartNode(b)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rec := clientNewRecorder()
	c, err := Dial(context.Background(), srv.URL, rec, &DialOptions{Transports: []Transport{TransportWebSocket}, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { c.Close(); <-c.Done() }()
	msg := TextFrame(bytes.Repeat([]byte("m"), 100))
	b.SetBytes(100)
	b.ResetTimer()
	received := 0
	for i := range b.N {
		if err := c.Send(msg); err != nil {
			b.Fatal(err)
		}
		for ; i-received >= 1000; received++ {
			<-rec.msgs
		}
	}
	for ; received < b.N; received++ {
		<-rec.msgs
	}
}

// TestClientProbeFails checks that a failed upgrade probe leaves the
// connection on long-polling.
func TestClientProbeFails(t *testing.T) {
	const open = `0{"sid":"abc","upgrades":["websocket"],"pingInterval":5000,"pingTimeout":5000,"maxPayload":1000}`
	for _, probe := range []string{"refused", "wrong answer", "closed"} {
		t.Run(probe, func(t *testing.T) {
			var probed atomic.Bool
			var polls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				switch {
				case q.Get("transport") == "websocket":
					probed.Store(true)
					if probe == "refused" {
						http.Error(w, `{"code":3,"message":"Bad request"}`, 400)
						return
					}
					ws, err := websocket.Accept(w, r, nil)
					if err != nil {
						return
					}
					defer ws.CloseNow()
					if _, _, err := ws.Read(r.Context()); err != nil {
						return
					}
					if probe == "wrong answer" {
						ws.Write(r.Context(), websocket.MessageText, []byte("3nope"))
						ws.Read(r.Context())
					}
				case r.Method == http.MethodPost:
					io.WriteString(w, "ok")
				case q.Get("sid") == "":
					io.WriteString(w, open)
				default:
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
					io.WriteString(w, fmt.Sprintf("4poll%d", polls.Add(1)))
				}
			}))
			defer ts.Close()
			hc := clientHTTP(t)
			rec := clientNewRecorder()
			c, err := Dial(context.Background(), ts.URL, rec, &DialOptions{HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 10; i++ {
				rec.expect(t, fmt.Sprintf("poll%d", i), false)
			}
			if !probed.Load() || c.Transport() != TransportPolling {
				t.Errorf("probed %v, transport %s", probed.Load(), c.Transport())
			}
			c.Close()
			<-c.Done()
			rec.check(t)
			hc.CloseIdleConnections()
		})
	}
}
