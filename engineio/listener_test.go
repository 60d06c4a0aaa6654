package engineio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/internal/syncbuf"
)

// listenerSetup is an http.Server on a Listener: engines at the paths
// given, a mux behind that counts the requests it gets and answers "other"
// to those for no engine.
type listenerSetup struct {
	addr    string
	l       *Listener
	viaHTTP atomic.Int32 // requests the mux got for an engine
}

func startListener(t *testing.T, engines map[string]*Server) *listenerSetup {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startListenerOn(t, ln, engines)
}

// startListenerOn is startListener on ln.
func startListenerOn(t *testing.T, ln net.Listener, engines map[string]*Server) *listenerSetup {
	t.Helper()
	ls := &listenerSetup{addr: ln.Addr().String(), l: NewListener(ln)}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	for path, s := range engines {
		ls.l.Handle(path, s)
		mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ls.viaHTTP.Add(1)
			s.ServeHTTP(w, r)
		}))
	}
	hs := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ls.l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range engines {
			_ = s.Shutdown(ctx)
		}
		_ = hs.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ls
}

// undeferred listens on a TCP port that NewListener cannot set
// TCP_DEFER_ACCEPT on (its SyscallConn is hidden): the tests of what the
// Listener does with connections that have sent nothing use it, since with
// the option the kernel would hold those connections back.
func undeferred(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return struct{ net.Listener }{ln}
}

// send writes raw bytes on a new connection to addr and reads the response.
func send(t *testing.T, addr string, parts ...string) (*http.Response, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	for i, p := range parts {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := io.WriteString(nc, p); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func echoServer(opts *Options) *Server {
	return NewServer(func(s *Session) Handler { return &echoHandler{s: s, closed: make(chan CloseReason, 1)} }, opts)
}

// wsEcho opens a WebSocket session at url and has a message echoed; the
// connection stays open until the test ends.
func wsEcho(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if _, b, err := c.Read(ctx); err != nil || !strings.HasPrefix(string(b), `0{"sid":`) {
		t.Fatalf("open packet %q, %v", b, err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("4hi")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || string(b) != "4hi" {
		t.Fatalf("echo %q, %v", b, err)
	}
}

func TestListenerServesHandshakes(t *testing.T) {
	a, ab := echoServer(calmOptions()), echoServer(calmOptions())
	ls := startListener(t, map[string]*Server{"/a/": a, "/a/b/": ab})
	wsEcho(t, "ws://"+ls.addr+"/a/b/?EIO=4&transport=websocket")
	if a.Len() != 0 || ab.Len() != 1 {
		t.Fatalf("sessions %d and %d, want 0 and 1 (the longest path wins)", a.Len(), ab.Len())
	}
	wsEcho(t, "ws://"+ls.addr+"/a/?EIO=4&transport=websocket")
	wsEcho(t, "ws://"+ls.addr+"/a/?transport=web%73ocket&EIO=4") // as a query parser reads it
	if n := ls.viaHTTP.Load(); n != 0 {
		t.Fatalf("%d handshakes went through net/http", n)
	}
	// Polling, and then its upgrade: the polling requests go to net/http,
	// the WebSocket to the listener.
	res, body := send(t, ls.addr, "GET /a/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	if res.StatusCode != 200 || !strings.HasPrefix(body, `0{"sid":`) {
		t.Fatalf("polling handshake: %d %q", res.StatusCode, body)
	}
	sid := parseOpen(t, body).SID
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ls.addr+"/a/?EIO=4&transport=websocket&sid="+sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, m := range []string{"2probe", "5", "4up"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if m == "5" {
			continue
		}
		if _, b, err := c.Read(ctx); err != nil || string(b) != map[string]string{"2probe": "3probe", "4up": "4up"}[m] {
			t.Fatalf("after %s: %q, %v", m, b, err)
		}
	}
	if n := ls.viaHTTP.Load(); n != 1 {
		t.Fatalf("%d requests through net/http, want 1 (the polling handshake)", n)
	}
}

func TestListenerPassesOn(t *testing.T) {
	deflate := echoServer(&Options{PingInterval: time.Minute, PerMessageDeflate: true})
	ls := startListener(t, map[string]*Server{"/a/": echoServer(calmOptions()), "/z/": deflate})
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	tests := []struct {
		name    string
		parts   []string
		status  int
		viaHTTP int32
	}{
		{"another path", []string{"GET /other HTTP/1.1\r\nHost: x\r\n\r\n"}, 200, 0},
		{"a head in pieces", []string{"G", "ET /oth", "er HTTP/1.1\r\nHo", "st: x\r\n\r\n"}, 200, 0},
		{"a POST", []string{"POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"}, 200, 0},
		{"not HTTP", []string{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"}, 400, 0},
		{"a head over 4 KiB", []string{"GET /a/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n" + upgrade +
			"X-Big: " + strings.Repeat("b", 5000) + "\r\n\r\n"}, 101, 1},
		{"permessage-deflate", []string{"GET /z/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n" + upgrade +
			"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"}, 101, 1},
		{"folded field", []string{"GET /a/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n" + upgrade +
			"X-A: 1\r\n 2\r\n\r\n"}, 101, 1}, // net/http takes obs-fold; parseHead leaves it to it
		{"polling", []string{"GET /a/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"}, 200, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ls.viaHTTP.Load()
			res, body := send(t, ls.addr, tt.parts...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d %q, want %d", res.StatusCode, body, tt.status)
			}
			if n := ls.viaHTTP.Load() - before; n != tt.viaHTTP {
				t.Fatalf("%d requests to the engine through net/http, want %d", n, tt.viaHTTP)
			}
			if tt.status == 200 && tt.viaHTTP == 0 && body != "other" {
				t.Fatalf("body %q", body)
			}
		})
	}
}

// A handshake the server refuses is answered on the listener's path, as
// net/http would, and the connection closed.
func TestListenerRefuses(t *testing.T) {
	s := echoServer(&Options{PingInterval: time.Minute, AllowRequest: func(r *http.Request) error {
		if r.Header.Get("X-Token") != "ok" {
			return errors.New("no token")
		}
		return nil
	}})
	ls := startListener(t, map[string]*Server{"/a/": s})
	upgrade := "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	tests := []struct {
		name, head string
		status     int
		body       string
	}{
		{"EIO=3", "GET /a/?EIO=3&transport=websocket HTTP/1.1\r\n" + upgrade + "X-Token: ok\r\n\r\n", 400, "Unsupported protocol version"},
		{"AllowRequest", "GET /a/?EIO=4&transport=websocket HTTP/1.1\r\n" + upgrade + "\r\n", 403, "no token"},
		{"unknown sid", "GET /a/?EIO=4&transport=websocket&sid=nope HTTP/1.1\r\n" + upgrade + "\r\n", 400, "Session ID unknown"},
		{"origin", "GET /a/?EIO=4&transport=websocket HTTP/1.1\r\n" + upgrade + "Origin: https://evil.example\r\nX-Token: ok\r\n\r\n", 403, "Origin not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := send(t, ls.addr, tt.head)
			if res.StatusCode != tt.status || body != tt.body || !res.Close {
				t.Fatalf("%d %q (close %v), want %d %q and the connection closed", res.StatusCode, body, res.Close, tt.status, tt.body)
			}
		})
	}
	if n := ls.viaHTTP.Load(); n != 0 {
		t.Fatalf("%d handshakes went through net/http", n)
	}
	if s.Len() != 0 {
		t.Fatalf("%d sessions", s.Len())
	}
}

// A connection that sends nothing for headTimeout is passed on as it is.
func TestListenerHeadTimeout(t *testing.T) {
	defer func(d time.Duration) { headTimeout = d }(headTimeout)
	headTimeout = 50 * time.Millisecond
	ls := startListenerOn(t, undeferred(t), map[string]*Server{"/a/": echoServer(calmOptions())})
	nc, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	time.Sleep(150 * time.Millisecond)
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after the timeout: %v, %v", res, err)
	}
}

// Close closes the connections whose head has not come, and Accept fails.
func TestListenerClose(t *testing.T) {
	ln := undeferred(t)
	l := NewListener(ln)
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pending, err := net.Dial("tcp", ln.Addr().String()) // passed on, never accepted
	if err != nil {
		t.Fatal(err)
	}
	defer pending.Close()
	io.WriteString(pending, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{nc, pending} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
			t.Fatalf("read after Close: %d, %v; want the connection closed", n, err)
		}
	}
	if c, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, %v", c, err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A panic in the server's code (here AllowRequest) while the listener
// serves a handshake is logged and ends that connection only.
func TestListenerPanic(t *testing.T) {
	var log syncbuf.Buffer
	var calls atomic.Int32
	s := echoServer(&Options{PingInterval: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&log, nil)),
		AllowRequest: func(*http.Request) error {
			if calls.Add(1) == 1 {
				panic("boom")
			}
			return nil
		}})
	ls := startListener(t, map[string]*Server{"/a/": s})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, _, err := websocket.Dial(ctx, "ws://"+ls.addr+"/a/?EIO=4&transport=websocket", nil); err == nil {
		c.CloseNow()
		t.Fatal("the handshake whose AllowRequest panicked succeeded")
	}
	wsEcho(t, "ws://"+ls.addr+"/a/?EIO=4&transport=websocket")
	if !strings.Contains(log.String(), "boom") {
		t.Fatalf("the panic was not logged: %q", log.String())
	}

	// A panic once the connection is taken (the connect callback) closes it.
	var opened atomic.Int32
	s2 := NewServer(func(s *Session) Handler {
		if opened.Add(1) == 1 {
			panic("boom in connect")
		}
		return &echoHandler{s: s, closed: make(chan CloseReason, 1)}
	}, &Options{PingInterval: time.Minute, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ls2 := startListener(t, map[string]*Server{"/a/": s2})
	nc, err := net.Dial("tcp", ls2.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, "GET /a/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if b, err := io.ReadAll(nc); err != nil {
		t.Fatalf("the connection was left open: %q, %v", b, err)
	}
	wsEcho(t, "ws://"+ls2.addr+"/a/?EIO=4&transport=websocket")
}

// A connection that has sent nothing holds no head buffer while the
// listener waits for it: the heap grows by far less than headBufSize per
// silent connection (the connections themselves, both ends, take ~1 KiB).
func TestListenerSilentConnsHoldNoBuffer(t *testing.T) {
	ls := startListenerOn(t, undeferred(t), map[string]*Server{"/a/": echoServer(calmOptions())})
	const n = 500
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ls.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool {
		ls.l.mu.Lock()
		defer ls.l.mu.Unlock()
		return len(ls.l.held) == n
	})
	time.Sleep(100 * time.Millisecond) // each serve goroutine reaches its wait
	perConn := (int64(heap()) - int64(before)) / n
	t.Logf("heap per silent connection: %d B", perConn)
	if perConn >= headBufSize/2 {
		t.Fatalf("heap per silent connection %d B: a head buffer (%d B) is held", perConn, headBufSize)
	}
	// They are served as usual once they speak.
	c := conns[0]
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("a silent connection that speaks: %v, %v", res, err)
	}
}

// Only a head whose request line asks for transport=websocket is parsed; it
// reads the query as the server does.
func TestAsksWebSocket(t *testing.T) {
	for _, tt := range []struct {
		head string
		want bool
	}{
		{"GET /a/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"GET /a/?transport=web%73ocket&EIO=4 HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"GET /a/?EIO=4&transport=websocket&sid=abc HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"GET /a/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"GET /a/?EIO=4&transport=websockets HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"GET /a/ HTTP/1.1\r\nX-Q: ?transport=websocket\r\n\r\n", false},
		{"GET /transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n", false},
		{"GET /a/? HTTP/1.1\r\n\r\n", false},
		{"", false},
	} {
		if got := asksWebSocket([]byte(tt.head)); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.head, got, tt.want)
		}
	}
}
