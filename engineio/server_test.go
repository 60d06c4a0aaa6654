package engineio

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoHandler sends every message back and records the close.
type echoHandler struct {
	s      *Session
	mu     sync.Mutex
	msgs   []string
	closed chan CloseReason
}

func (h *echoHandler) HandleMessage(data []byte, binary bool) {
	h.mu.Lock()
	h.msgs = append(h.msgs, string(data))
	h.mu.Unlock()
	if binary {
		_ = h.s.Send(BinaryFrame(data))
	} else {
		_ = h.s.Send(TextFrame(data))
	}
}

func (h *echoHandler) HandleClose(reason CloseReason, _ error) { h.closed <- reason }

// viaListener runs the tests with the test servers' WebSocket handshakes
// served by a Listener rather than through net/http (make test does both).
var viaListener = flag.Bool("listener", false, "serve the test servers' WebSocket handshakes with a Listener")

// testServer is an echo server on loopback whose sessions the test can inspect.
type testServer struct {
	*httptest.Server
	eio      *Server
	mu       sync.Mutex
	handlers map[string]*echoHandler
}

func newTestServer(t *testing.T, opts *Options) *testServer {
	t.Helper()
	ts := &testServer{handlers: map[string]*echoHandler{}}
	ts.eio = NewServer(func(s *Session) Handler {
		h := &echoHandler{s: s, closed: make(chan CloseReason, 1)}
		ts.mu.Lock()
		ts.handlers[s.ID()] = h
		ts.mu.Unlock()
		return h
	}, opts)
	if !*viaListener {
		ts.Server = httptest.NewServer(ts.eio)
	} else {
		// The WebSocket handshakes go to a Listener; any that it should
		// have served but net/http got instead fails the test.
		ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, plain := ts.eio.plainUpgrade(r); plain && queryValue(r.URL.RawQuery, "transport") == "websocket" {
				t.Errorf("a WebSocket handshake went to net/http, not to the Listener: %s", r.URL)
			}
			ts.eio.ServeHTTP(w, r)
		}))
		l := NewListener(ts.Listener)
		l.Handle("/engine.io/", ts.eio)
		ts.Listener = l
		ts.Start()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.eio.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return ts
}

func (ts *testServer) handler(sid string) *echoHandler {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.handlers[sid]
}

// waitClose returns the reason the session sid closed with.
func (ts *testServer) waitClose(t *testing.T, sid string) CloseReason {
	t.Helper()
	select {
	case r := <-ts.handler(sid).closed:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("session %s did not close", sid)
		return ""
	}
}

func (ts *testServer) url(query string) string { return ts.URL + "/engine.io/?" + query }

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t *testing.T, s string) openPacket {
	t.Helper()
	if !strings.HasPrefix(s, "0{") {
		t.Fatalf("not an open packet: %q", s)
	}
	var o openPacket
	dec := json.NewDecoder(strings.NewReader(s[1:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("open packet %q: %v", s, err)
	}
	return o
}

// handshake opens a polling session and returns its id.
func (ts *testServer) handshake(t *testing.T) string {
	t.Helper()
	res := do(t, "GET", ts.url("EIO=4&transport=polling"), "")
	if res.status != 200 {
		t.Fatalf("handshake: %d %s", res.status, res.body)
	}
	return parseOpen(t, res.body).SID
}

func (ts *testServer) poll(t *testing.T, sid string) response {
	t.Helper()
	return do(t, "GET", ts.url("EIO=4&transport=polling&sid="+sid), "")
}

func (ts *testServer) post(t *testing.T, sid, body string) response {
	t.Helper()
	return do(t, "POST", ts.url("EIO=4&transport=polling&sid="+sid), body, "Content-Type", "text/plain;charset=UTF-8")
}

// calmOptions keeps the heartbeat out of tests that are not about it: with
// the fast one, a loaded machine could time a session out mid-test.
func calmOptions() *Options { return &Options{PingInterval: time.Minute} }

// fastOptions has the official suite's heartbeat (300 ms + 200 ms), for the
// tests about heartbeats and the announced values.
func fastOptions() *Options {
	return &Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}
}

func TestHandshakePolling(t *testing.T) {
	ts := newTestServer(t, fastOptions())
	res := do(t, "GET", ts.url("EIO=4&transport=polling"), "")
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	o := parseOpen(t, res.body)
	if len(o.SID) != 20 || strings.Trim(o.SID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Errorf("sid %q is not 20 URL-safe characters", o.SID)
	}
	want := openPacket{SID: o.SID, Upgrades: []string{"websocket"}, PingInterval: 300, PingTimeout: 200, MaxPayload: 1000000}
	if o.SID == "" || strings.Join(o.Upgrades, ",") != "websocket" || o.PingInterval != want.PingInterval ||
		o.PingTimeout != want.PingTimeout || o.MaxPayload != want.MaxPayload {
		t.Errorf("open = %+v, want %+v", o, want)
	}
	// Keys in Node's order.
	if !strings.HasPrefix(res.body, `0{"sid":"`) || !strings.Contains(res.body, `","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`) {
		t.Errorf("open packet %q not in Node's key order", res.body)
	}
}

func TestHandshakeErrors(t *testing.T) {
	ts := newTestServer(t, &Options{AllowRequest: func(r *http.Request) error {
		if r.URL.Query().Get("deny") != "" {
			return errors.New("go away")
		}
		return nil
	}})
	tests := []struct {
		name, method, query string
		status              int
		body                string
	}{
		{"missing EIO", "GET", "transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"bad EIO", "GET", "EIO=abc&transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 3", "GET", "EIO=3&transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"missing transport", "GET", "EIO=4", 400, `{"code":0,"message":"Transport unknown"}`},
		{"bad transport", "GET", "EIO=4&transport=abc", 400, `{"code":0,"message":"Transport unknown"}`},
		{"webtransport over HTTP", "GET", "EIO=4&transport=webtransport", 400, `{"code":0,"message":"Transport unknown"}`},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", 400, `{"code":1,"message":"Session ID unknown"}`},
		{"POST handshake", "POST", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"PUT handshake", "PUT", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", 400, `{"code":3,"message":"Bad request"}`},
		{"refused by AllowRequest", "GET", "EIO=4&transport=polling&deny=1", 403, `{"code":4,"message":"go away"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, tt.method, ts.url(tt.query), "")
			if res.status != tt.status || res.body != tt.body {
				t.Errorf("got %d %s, want %d %s", res.status, res.body, tt.status, tt.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestTransportsOption(t *testing.T) {
	ts := newTestServer(t, &Options{Transports: []Transport{TransportWebSocket}})
	res := do(t, "GET", ts.url("EIO=4&transport=polling"), "")
	if res.status != 400 || res.body != `{"code":0,"message":"Transport unknown"}` {
		t.Fatalf("polling on a websocket-only server: %d %s", res.status, res.body)
	}
	c, _ := dialWS(t, ts, "")
	defer c.CloseNow()
	if o := parseOpen(t, readText(t, c)); len(o.Upgrades) != 0 {
		t.Errorf("upgrades %v on websocket", o.Upgrades)
	}
}

func TestPollingMessages(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	tests := []struct{ name, post, want string }{
		{"one text", "4hello", "4hello"},
		{"three batched", "4test1\x1e4test2\x1e4test3", "4test1\x1e4test2\x1e4test3"},
		{"text and binary", "4hello\x1ebAQIDBA==", "4hello\x1ebAQIDBA=="},
		{"utf-8", "4€ — ✓", "4€ — ✓"},
		{"empty message", "4", "4"},
		{"empty binary", "b", "b"},
		{"pong and noop are not echoed", "3\x1e6\x1e4x", "4x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := ts.handshake(t)
			if res := ts.post(t, sid, tt.post); res.status != 200 || res.body != "ok" {
				t.Fatalf("POST: %d %q", res.status, res.body)
			}
			if res := ts.poll(t, sid); res.status != 200 || res.body != tt.want {
				t.Fatalf("GET: %d %q, want %q", res.status, res.body, tt.want)
			}
		})
	}
}

// A Borrowed frame's bytes are the caller's again once Send returns: a
// session that queues the frame (polling) keeps a copy; one that writes it
// at once (WebSocket) has written it.
func TestBorrowedFrames(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	lend := func(s *Session) {
		t.Helper()
		b := []byte("4lent")
		if err := s.Send(Frame{Data: b, Borrowed: true}, Frame{Data: []byte("4own")}); err != nil {
			t.Fatal(err)
		}
		copy(b, "4xxxx")
	}
	t.Run("polling", func(t *testing.T) {
		sid := ts.handshake(t)
		lend(ts.eio.Session(sid))
		if res := ts.poll(t, sid); res.body != "4lent\x1e4own" {
			t.Fatalf("GET: %d %q", res.status, res.body)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		c := mustDialWS(t, ts, "")
		sid := parseOpen(t, readText(t, c)).SID
		lend(ts.eio.Session(sid))
		for _, want := range []string{"4lent", "4own"} {
			if _, b := readSkipPings(t, c); string(b) != want {
				t.Fatalf("read %q, want %q", b, want)
			}
		}
	})
}

func TestPollingBadInputClosesOnlyThatSession(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	bystander := ts.handshake(t)
	tests := []struct {
		name, body, contentType string
		status                  int
		reason                  CloseReason
	}{
		{"unknown packet type", "abc", "text/plain", 400, ReasonParseError},
		{"empty body", "", "text/plain", 400, ReasonParseError},
		{"truncated base64", "bAQIDBA", "text/plain", 400, ReasonParseError},
		{"bad base64", "b!!!!", "text/plain", 400, ReasonParseError},
		{"empty packet in payload", "4a\x1e\x1e4b", "text/plain", 400, ReasonParseError},
		{"client ping", "2", "text/plain", 200, ReasonTransportError},
		{"binary content type", "4hello", "application/octet-stream", 400, ReasonTransportError},
		{"body over maxHttpBufferSize", "4" + strings.Repeat("x", 10<<20), "text/plain", 413, ReasonTransportError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := ts.handshake(t)
			res := do(t, "POST", ts.url("EIO=4&transport=polling&sid="+sid), tt.body, "Content-Type", tt.contentType)
			if res.status != tt.status {
				t.Errorf("POST status %d, want %d (%s)", res.status, tt.status, res.body)
			}
			if r := ts.waitClose(t, sid); r != tt.reason {
				t.Errorf("close reason %q, want %q", r, tt.reason)
			}
			if res := ts.poll(t, sid); res.status != 400 {
				t.Errorf("GET after close: %d %q, want 400", res.status, res.body)
			}
		})
	}
	// The other session never noticed.
	if res := ts.post(t, bystander, "4still here"); res.status != 200 {
		t.Fatalf("bystander POST: %d", res.status)
	}
	if res := ts.poll(t, bystander); res.body != "4still here" {
		t.Fatalf("bystander GET: %q", res.body)
	}
}

func TestPollingMessageNearLimit(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	msg := "4" + strings.Repeat("é", (1_000_000-1)/2) // 999 999 bytes
	if res := ts.post(t, sid, msg); res.status != 200 {
		t.Fatalf("POST: %d %s", res.status, res.body)
	}
	if res := ts.poll(t, sid); res.body != msg {
		t.Fatalf("GET: %d bytes, want %d", len(res.body), len(msg))
	}
}

func TestConcurrentGetClosesSession(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	first := make(chan response, 1)
	go func() { first <- ts.poll(t, sid) }()
	waitFor(t, func() bool {
		ss := ts.eio.Session(sid)
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.getActive
	})
	second := do(t, "GET", ts.url("EIO=4&transport=polling&t=burst&sid="+sid), "")
	if second.status != 400 {
		t.Errorf("second GET: %d", second.status)
	}
	if r := <-first; r.status != 200 || r.body != "1" {
		t.Errorf("first GET: %d %q, want 200 \"1\"", r.status, r.body)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Errorf("GET after: %d", r.status)
	}
	if r := ts.waitClose(t, sid); r != ReasonTransportError {
		t.Errorf("reason %q", r)
	}
}

func TestAbortedGetClosesSession(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url("EIO=4&transport=polling&sid="+sid), nil)
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, func() bool {
		ss := ts.eio.Session(sid)
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.getActive
	})
	cancel()
	<-errc
	if r := ts.waitClose(t, sid); r != ReasonTransportError {
		t.Errorf("reason %q", r)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Errorf("GET after abort: %d", r.status)
	}
}

func TestHeartbeatPolling(t *testing.T) {
	ts := newTestServer(t, fastOptions())
	sid := ts.handshake(t)
	for i := 0; i < 3; i++ {
		if r := ts.poll(t, sid); r.status != 200 || r.body != "2" {
			t.Fatalf("ping %d: %d %q", i, r.status, r.body)
		}
		if r := ts.post(t, sid, "3"); r.status != 200 {
			t.Fatalf("pong %d: %d", i, r.status)
		}
	}
}

func TestPingTimeoutPolling(t *testing.T) {
	ts := newTestServer(t, fastOptions())
	sid := ts.handshake(t)
	if r := ts.waitClose(t, sid); r != ReasonPingTimeout {
		t.Fatalf("reason %q", r)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("GET after ping timeout: %d %q", r.status, r.body)
	}
}

func TestClientClosePolling(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	pending := make(chan response, 1)
	go func() { pending <- ts.poll(t, sid) }()
	waitFor(t, func() bool {
		ss := ts.eio.Session(sid)
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.getActive
	})
	if r := ts.post(t, sid, "1"); r.status != 200 {
		t.Fatalf("POST close: %d", r.status)
	}
	if r := <-pending; r.status != 200 || r.body != "6" {
		t.Fatalf("pending GET: %d %q, want 6", r.status, r.body)
	}
	if r := ts.waitClose(t, sid); r != ReasonTransportClose {
		t.Errorf("reason %q", r)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("GET after close: %d", r.status)
	}
}

// A session closed by an error is forgotten at once: a pending poll gets
// what was queued and the close packet together (there is no next poll).
func TestErrorClosePendingPollGetsClose(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	sid := ts.handshake(t)
	ss := ts.eio.Session(sid)
	pending := make(chan response, 1)
	go func() { pending <- ts.poll(t, sid) }()
	waitFor(t, func() bool { ss.mu.Lock(); defer ss.mu.Unlock(); return ss.getActive })
	ss.mu.Lock() // queued, the poll not woken yet (as between enqueue's unlock and signal)
	ss.queue = append(ss.queue, TextFrame([]byte("x")))
	ss.queued += 2
	ss.mu.Unlock()
	ss.close(ReasonWriteQueueFull, ErrQueueFull)
	if r := <-pending; r.status != 200 || r.body != "4x\x1e1" {
		t.Fatalf("pending poll: %d %q, want the queue and the close packet", r.status, r.body)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("poll after: %d", r.status)
	}
}

func TestServerClosePollingFlushesQueue(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	sid := ts.handshake(t)
	ss := ts.eio.Session(sid)
	if err := ss.Send(TextFrame([]byte("bye"))); err != nil {
		t.Fatal(err)
	}
	ss.Close()
	// The queue, then close in the next poll, as Node sends them: in one
	// payload the close packet would overtake the messages in the client.
	if r := ts.poll(t, sid); r.status != 200 || r.body != "4bye" {
		t.Fatalf("poll after Close: %d %q, want \"4bye\"", r.status, r.body)
	}
	if r := ts.poll(t, sid); r.status != 200 || r.body != "1" {
		t.Fatalf("final poll: %d %q, want the close packet", r.status, r.body)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("poll after: %d", r.status)
	}
	if err := ss.Send(TextFrame([]byte("late"))); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after close: %v", err)
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name       string
		cors       *CORS
		origin     string
		status     int
		allowOrig  string
		allowCreds string
	}{
		{"no Origin (not a browser)", nil, "", 200, "", ""},
		{"same origin", nil, "SELF", 200, "", ""},
		{"foreign origin refused by default", nil, "https://evil.example", 403, "", ""},
		{"wildcard", &CORS{Origins: []string{"*"}}, "https://app.example", 200, "*", ""},
		{"listed", &CORS{Origins: []string{"https://app.example"}}, "https://app.example", 200, "https://app.example", ""},
		{"not listed", &CORS{Origins: []string{"https://app.example"}}, "https://other.example", 403, "", ""},
		{"func", &CORS{AllowOrigin: func(o string) bool { return strings.HasSuffix(o, ".example") }}, "https://x.example", 200, "https://x.example", ""},
		{"credentials", &CORS{Origins: []string{"*"}, Credentials: true}, "https://app.example", 200, "https://app.example", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, &Options{CORS: tt.cors})
			origin := tt.origin
			if origin == "SELF" {
				origin = ts.URL
			}
			var hdr []string
			if origin != "" {
				hdr = []string{"Origin", origin}
			}
			res := do(t, "GET", ts.url("EIO=4&transport=polling"), "", hdr...)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d (%s)", res.status, tt.status, res.body)
			}
			if got := res.header.Get("Access-Control-Allow-Origin"); got != tt.allowOrig {
				t.Errorf("Allow-Origin %q, want %q", got, tt.allowOrig)
			}
			if got := res.header.Get("Access-Control-Allow-Credentials"); got != tt.allowCreds {
				t.Errorf("Allow-Credentials %q, want %q", got, tt.allowCreds)
			}
			// The WebSocket follows the same policy.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			c, _, err := websocket.Dial(ctx, wsURL(ts, ""), &websocket.DialOptions{HTTPHeader: h})
			if (err == nil) != (tt.status == 200) {
				t.Errorf("websocket dial err=%v, want allowed=%v", err, tt.status == 200)
			}
			if c != nil {
				c.CloseNow()
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	ts := newTestServer(t, &Options{CORS: &CORS{Origins: []string{"https://app.example"}, MaxAge: 600}})
	res := do(t, "OPTIONS", ts.url("EIO=4&transport=polling"), "",
		"Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if res.status != 204 {
		t.Fatalf("status %d", res.status)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  "https://app.example",
		"Access-Control-Allow-Methods": "GET,POST",
		"Access-Control-Allow-Headers": "content-type",
		"Access-Control-Max-Age":       "600",
	} {
		if got := res.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestHTTPCompression(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	sid := ts.handshake(t)
	big := "4" + strings.Repeat("abc", 1000)
	ts.post(t, sid, big)
	req, _ := http.NewRequest("GET", ts.url("EIO=4&transport=polling&sid="+sid), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if string(b) != big {
		t.Fatalf("decompressed %d bytes, want %d", len(b), len(big))
	}
	// Small responses are not compressed.
	ts.post(t, sid, "4small")
	res2, err := (&http.Client{Transport: tr}).Do(req.Clone(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	if enc := res2.Header.Get("Content-Encoding"); enc != "" {
		t.Fatalf("small response compressed with %q", enc)
	}
}

func TestCookieAndInitialPacket(t *testing.T) {
	ts := newTestServer(t, &Options{Cookie: &http.Cookie{Path: "/", HttpOnly: true}, InitialPacket: []byte("welcome")})
	res := do(t, "GET", ts.url("EIO=4&transport=polling"), "")
	parts := strings.Split(res.body, "\x1e")
	if len(parts) != 2 || parts[1] != "4welcome" {
		t.Fatalf("handshake body %q", res.body)
	}
	sid := parseOpen(t, parts[0]).SID
	if ck := res.header.Get("Set-Cookie"); !strings.HasPrefix(ck, "io="+sid) || !strings.Contains(ck, "HttpOnly") {
		t.Fatalf("Set-Cookie %q", ck)
	}
}

func TestPathOption(t *testing.T) {
	ts := newTestServer(t, &Options{Path: "/engine.io/"})
	if res := do(t, "GET", ts.URL+"/other/?EIO=4&transport=polling", ""); res.status != 404 {
		t.Fatalf("other path: %d", res.status)
	}
	ts.handshake(t)
}

func TestWriteQueueFull(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute, WriteQueueSize: 100})
	sid := ts.handshake(t)
	ss := ts.eio.Session(sid)
	big := bytes.Repeat([]byte("x"), 80)
	if err := ss.Send(TextFrame(big)); err != nil {
		t.Fatalf("first Send into an empty queue: %v", err)
	}
	if err := ss.SendVolatile(TextFrame(big)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("volatile Send over the bound: %v", err)
	}
	if ss.Send(TextFrame([]byte("small"))) != nil {
		t.Fatal("a small Send within the bound failed")
	}
	if err := ss.Send(TextFrame(big)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send over the bound: %v", err)
	}
	if r := ts.waitClose(t, sid); r != ReasonWriteQueueFull {
		t.Fatalf("reason %q", r)
	}
}

func TestShutdown(t *testing.T) {
	eio := NewServer(func(s *Session) Handler { return nopHandler{} }, fastOptions())
	hs := httptest.NewServer(eio)
	defer hs.Close()
	ts := &testServer{Server: hs, eio: eio}
	sid := ts.handshake(t)
	c, _ := dialWS(t, ts, "")
	defer c.CloseNow()
	readText(t, c) // open
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	wsErr := make(chan error, 1)
	go func() { _, _, err := c.Read(ctx); wsErr <- err }()
	if err := eio.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if eio.Len() != 0 {
		t.Fatalf("%d sessions after Shutdown", eio.Len())
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("poll after shutdown: %d %q", r.status, r.body)
	}
	if err := <-wsErr; websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("websocket after shutdown: %v", err)
	}
	if res := do(t, "GET", ts.url("EIO=4&transport=polling"), ""); res.status != 503 {
		t.Fatalf("handshake after shutdown: %d", res.status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The official suite sends GET and POST "1" at once; when the POST is
// processed first, the GET still gets its noop rather than a 400.
func TestClientClosePollingPostFirst(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	if r := ts.post(t, sid, "1"); r.status != 200 {
		t.Fatalf("POST close: %d", r.status)
	}
	if r := ts.poll(t, sid); r.status != 200 || r.body != "6" {
		t.Fatalf("GET after POST close: %d %q, want 200 \"6\"", r.status, r.body)
	}
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("second GET: %d", r.status)
	}
}

// A session is registered (Shutdown sees it, its heartbeat runs) before its
// connect callback has returned the handler. Closing it meanwhile must wait
// for the handler, not call a nil one (found by -count=20 under load).
func TestCloseWhileConnectCallbackRuns(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := &echoHandler{closed: make(chan CloseReason, 1)}
	eio := NewServer(func(s *Session) Handler {
		h.s = s
		close(started)
		<-release
		return h
	}, calmOptions())
	hs := httptest.NewServer(eio)
	defer hs.Close()
	go func() {
		res, err := http.Get(hs.URL + "/engine.io/?EIO=4&transport=polling")
		if err == nil {
			res.Body.Close()
		}
	}()
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- eio.Shutdown(ctx)
	}()
	time.Sleep(20 * time.Millisecond) // Shutdown closes the session meanwhile
	close(release)
	select {
	case r := <-h.closed:
		if r != ReasonForcedClose {
			t.Fatalf("reason %q", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler never learned of the close")
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

// queryValue answers as url.ParseQuery(raw).Get(key).
func TestQueryValue(t *testing.T) {
	for _, raw := range queryValueSeeds {
		for _, key := range []string{"EIO", "sid", "transport", "a b", "", "x"} {
			q, _ := url.ParseQuery(raw)
			if got, want := queryValue(raw, key), q.Get(key); got != want {
				t.Errorf("queryValue(%q, %q) = %q, want %q", raw, key, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { queryValue("EIO=4&transport=websocket&sid=abc", "sid") }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

var queryValueSeeds = []string{
	"", "EIO=4&transport=websocket", "EIO=3&EIO=4", "sid=a%2Fb&sid=c", "sid=%zz&sid=ok", "%zz=1&sid=2",
	"sid;x=1&sid=2", "a+b=1&a%20b=2", "transport=web+socket", "sid", "sid=&sid=x", "&&sid=1&", "=x&x=",
	"EIO=4&t=PqV7w3s&transport=polling&sid=Ab-c_dEF",
}

func FuzzQueryValue(f *testing.F) {
	for _, s := range queryValueSeeds {
		f.Add(s, "sid")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		q, _ := url.ParseQuery(raw)
		if got, want := queryValue(raw, key), q.Get(key); got != want {
			t.Errorf("queryValue(%q, %q) = %q, want %q", raw, key, got, want)
		}
	})
}

// A connect callback that panics ends its request (net/http logs the
// panic) and leaves nothing behind: the session is closed, the WebSocket
// too, and Shutdown does not wait for them.
func TestConnectCallbackPanics(t *testing.T) {
	var calls atomic.Int32
	eio := NewServer(func(s *Session) Handler {
		if calls.Add(1) <= 2 {
			panic("boom")
		}
		return &echoHandler{s: s, closed: make(chan CloseReason, 1)}
	}, calmOptions())
	hs := httptest.NewUnstartedServer(eio)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.Start()
	defer hs.Close()
	if res, err := http.Get(hs.URL + "/engine.io/?EIO=4&transport=polling"); err == nil {
		res.Body.Close()
		t.Fatalf("polling handshake answered %d", res.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/engine.io/?EIO=4&transport=websocket", nil); err == nil || ctx.Err() != nil {
		if c != nil {
			c.CloseNow()
		}
		t.Fatalf("WebSocket handshake: %v (context: %v), want the connection closed", err, ctx.Err())
	}
	if err := eio.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
