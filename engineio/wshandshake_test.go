package engineio

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rawHandshake sends a WebSocket handshake with the given header lines and
// returns the response.
func rawHandshake(t *testing.T, url, method string, lines ...string) *http.Response {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	req := method + " /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n" + strings.Join(lines, "\r\n") + "\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWebSocketHandshake(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	const accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" // RFC 6455 §1.3
	std := []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: " + key}
	with := func(replace map[string]string, extra ...string) []string {
		var out []string
		for _, l := range std {
			name, _, _ := strings.Cut(l, ":")
			if v, ok := replace[name]; ok {
				if v != "" {
					out = append(out, name+": "+v)
				}
				continue
			}
			out = append(out, l)
		}
		return append(out, extra...)
	}
	tests := []struct {
		name   string
		method string
		lines  []string
		status int
		header map[string]string // expected response headers
	}{
		{"standard", "GET", std, 101, map[string]string{"Sec-WebSocket-Accept": accept, "Upgrade": "websocket", "X-App": "set before"}},
		{"token lists and case", "GET", with(map[string]string{"Connection": "keep-alive, UPGRADE", "Upgrade": "WebSocket"}), 101,
			map[string]string{"Sec-WebSocket-Accept": accept}},
		{"key with spaces", "GET", with(map[string]string{"Sec-WebSocket-Key": "  " + key + " "}), 101,
			map[string]string{"Sec-WebSocket-Accept": accept}},
		{"deflate offered, not enabled", "GET", with(nil, "Sec-WebSocket-Extensions: permessage-deflate"), 101,
			map[string]string{"Sec-WebSocket-Extensions": ""}},
		// Refused by the library, as it refuses them.
		{"version 8", "GET", with(map[string]string{"Sec-WebSocket-Version": "8"}), 400, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"key of 15 bytes", "GET", with(map[string]string{"Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAA"}), 400, nil},
		{"no key", "GET", with(map[string]string{"Sec-WebSocket-Key": ""}), 400, nil},
		{"two keys", "GET", with(nil, "Sec-WebSocket-Key: "+key), 400, nil},
		{"no upgrade token", "GET", with(map[string]string{"Connection": "keep-alive"}), 426, nil},
	}
	ts := newTestServer(t, calmOptions())
	eio := ts.Config.Handler
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", "set before")
		eio.ServeHTTP(w, r)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rawHandshake(t, ts.URL, tt.method, tt.lines...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			for k, v := range tt.header {
				if k == "X-App" && *viaListener {
					v = "" // the Listener serves it: the Handler is not in the way
				}
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// wrappedListener hides its connections' syscall.Conn, as listener
// wrappers (netutil.LimitListener...) do.
type wrappedListener struct{ net.Listener }

func (l wrappedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return struct{ net.Conn }{c}, nil
}

func TestWebSocketWrappedConnection(t *testing.T) {
	// A connection that is not a plain socket is handed to the library,
	// after the handshake has been checked here.
	eio := NewServer(func(s *Session) Handler { return &echoHandler{s: s, closed: make(chan CloseReason, 1)} }, calmOptions())
	hs := httptest.NewUnstartedServer(eio)
	hs.Listener = wrappedListener{hs.Listener}
	hs.Start()
	t.Cleanup(hs.Close)
	ctx := t.Context()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, open, err := c.Read(ctx); err != nil || !strings.HasPrefix(string(open), "0{") {
		t.Fatalf("open: %q %v", open, err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("4hello")); err != nil {
		t.Fatal(err)
	}
	if _, echo, err := c.Read(ctx); err != nil || string(echo) != "4hello" {
		t.Fatalf("echo: %q %v", echo, err)
	}
	eio.mu.Lock()
	if len(eio.sessions) != 1 {
		t.Errorf("%d sessions, want 1", len(eio.sessions))
	}
	for _, ss := range eio.sessions {
		ss.mu.Lock()
		direct := ss.wsc.out != nil
		ss.mu.Unlock()
		if direct {
			t.Error("a wrapped connection is read by this package")
		}
	}
	eio.mu.Unlock()
	_ = c.Close(websocket.StatusNormalClosure, "")
	_ = eio.Shutdown(ctx)
}

func TestWebSocketResponseJoinsFirstWrite(t *testing.T) {
	// With joinFirst, the 101 waits for the first frames and goes out with
	// them.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(func(*Session) Handler { return nopHandler{} }, nil)
	c, err := s.acceptConn(http.Header{}, "dGhlIHNhbXBsZSBub25jZQ==", server, server.(syscall.Conn), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.closeNow()
	_ = client.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var b [1]byte
	if n, err := client.Read(b[:]); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the response went out before any frame: %d bytes, %v", n, err)
	}
	if err := c.out.writeFrames([]Frame{{Data: []byte("0open")}}, false); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(client)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("response %v, %v", res, err)
	}
	frame := make([]byte, 7)
	if _, err := io.ReadFull(br, frame); err != nil || string(frame[2:]) != "0open" {
		t.Fatalf("frame %q, %v", frame, err)
	}
}

// The 101 response written here carries what http.Header.Write would: the
// handler's fields (invalid names dropped, line breaks made spaces, values
// trimmed), with the handshake's own three fields in place of any the
// handler set; without a key (the library's path) h alone.
func TestSwitchingProtocols(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	const accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" // RFC 6455 §1.3
	h := http.Header{
		"X-App":                {"one", " two\t"},
		"X-Split":              {"a\r\nInjected: yes\r\n"},
		"Bad Name":             {"dropped"},
		"Upgrade":              {"h2c"},
		"Set-Cookie":           {"io=abc; Path=/"},
		"Sec-Websocket-Accept": {"forged"},
	}
	want := http.Header{}
	for k, vs := range h {
		want[k] = vs
	}
	delete(want, "Bad Name")
	want.Set("Upgrade", "websocket")
	want.Set("Connection", "Upgrade")
	want.Set("Sec-WebSocket-Accept", accept)
	var std strings.Builder // what net/http writes for want
	_ = want.Write(&std)
	wantRes, err := http.ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 101 Switching Protocols\r\n"+std.String()+"\r\n")), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want http.Header
	}{{key, wantRes.Header}, {"", nil}} {
		b := switchingProtocols(h, tc.key)
		if !strings.HasSuffix(string(b), "\r\n\r\n") || strings.Count(string(b), "\r\n\r\n") != 1 {
			t.Fatalf("key %q: the response does not end once with an empty line: %q", tc.key, b)
		}
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(b))), nil)
		if err != nil {
			t.Fatalf("key %q: %v in %q", tc.key, err, b)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("key %q: status %d", tc.key, res.StatusCode)
		}
		exp := tc.want
		if exp == nil { // the library's path: h as net/http writes it
			var lib strings.Builder
			_ = h.Write(&lib)
			r, _ := http.ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 101 Switching Protocols\r\n"+lib.String()+"\r\n")), nil)
			exp = r.Header
		}
		if len(res.Header) != len(exp) {
			t.Errorf("key %q: fields %v, want %v", tc.key, res.Header, exp)
		}
		for k, vs := range exp {
			if got := res.Header[k]; strings.Join(got, "|") != strings.Join(vs, "|") {
				t.Errorf("key %q: %s = %q, want %q", tc.key, k, got, vs)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { switchingProtocols(h, key) }); n != 1 {
		t.Errorf("%v allocations per response, want 1", n)
	}
}
