package engineio

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func wsURL(ts *testServer, sid string) string {
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/engine.io/?EIO=4&transport=websocket"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

func dialWS(t *testing.T, ts *testServer, sid string) (*websocket.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(ts, sid), nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	return c, nil
}

func mustDialWS(t *testing.T, ts *testServer, sid string) *websocket.Conn {
	t.Helper()
	c, err := dialWS(t, ts, sid)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func readFrame(t *testing.T, c *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, b
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	typ, b := readFrame(t, c)
	if typ != websocket.MessageText {
		t.Fatalf("binary frame %x, want text", b)
	}
	return string(b)
}

// readSkipPings reads text frames until one that is not a ping, answering pings.
func readSkipPings(t *testing.T, c *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	for {
		typ, b := readFrame(t, c)
		if typ == websocket.MessageText && string(b) == "2" {
			writeText(t, c, "3")
			continue
		}
		return typ, b
	}
}

func writeText(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

// expectClosed waits for the server to close c.
func expectClosed(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("websocket not closed by the server within 5s")
			}
			return err
		}
	}
}

func TestWebSocketHandshakeAndEcho(t *testing.T) {
	ts := newTestServer(t, fastOptions())
	c := mustDialWS(t, ts, "")
	o := parseOpen(t, readText(t, c))
	if len(o.Upgrades) != 0 || o.PingInterval != 300 || o.PingTimeout != 200 || o.MaxPayload != 1e6 {
		t.Fatalf("open %+v", o)
	}
	writeText(t, c, "4hello")
	if typ, b := readSkipPings(t, c); typ != websocket.MessageText || string(b) != "4hello" {
		t.Fatalf("echo %v %q", typ, b)
	}
	if err := c.Write(context.Background(), websocket.MessageBinary, []byte{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if typ, b := readSkipPings(t, c); typ != websocket.MessageBinary || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
		t.Fatalf("binary echo %v %x", typ, b)
	}
	if ts.eio.Session(o.SID).Transport() != TransportWebSocket {
		t.Fatal("transport is not websocket")
	}
}

func TestWebSocketBadInput(t *testing.T) {
	tests := []struct {
		name   string
		send   func(c *websocket.Conn) error
		reason CloseReason
	}{
		{"unknown packet type", func(c *websocket.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, []byte("abc"))
		}, ReasonParseError},
		{"empty text frame", func(c *websocket.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, nil)
		}, ReasonParseError},
		{"client ping", func(c *websocket.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, []byte("2"))
		}, ReasonTransportError},
		{"close packet", func(c *websocket.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, []byte("1"))
		}, ReasonTransportClose},
		{"frame over maxHttpBufferSize", func(c *websocket.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, append([]byte("4"), make([]byte, 1_000_000)...))
		}, ReasonTransportError},
	}
	ts := newTestServer(t, calmOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustDialWS(t, ts, "")
			sid := parseOpen(t, readText(t, c)).SID
			_ = tt.send(c)
			err := expectClosed(t, c)
			if tt.name == "frame over maxHttpBufferSize" && websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
				t.Errorf("close status %v, want 1009", websocket.CloseStatus(err))
			}
			if r := ts.waitClose(t, sid); r != tt.reason {
				t.Errorf("reason %q, want %q", r, tt.reason)
			}
		})
	}
}

func TestHeartbeatWebSocket(t *testing.T) {
	ts := newTestServer(t, fastOptions())
	c := mustDialWS(t, ts, "")
	sid := parseOpen(t, readText(t, c)).SID
	for i := 0; i < 3; i++ {
		if s := readText(t, c); s != "2" {
			t.Fatalf("ping %d: %q", i, s)
		}
		writeText(t, c, "3")
	}
	// Stop answering: the server closes.
	expectClosed(t, c)
	if r := ts.waitClose(t, sid); r != ReasonPingTimeout {
		t.Fatalf("reason %q", r)
	}
}

// pollSkipNoop polls until the answer is not a noop: a client whose upgrade
// failed may get one while the server winds the probe down.
func (ts *testServer) pollSkipNoop(t *testing.T, sid string) response {
	t.Helper()
	for {
		if r := ts.poll(t, sid); r.body != "6" {
			return r
		}
	}
}

// upgradeTo runs the probe dance for a polling session.
func upgradeTo(t *testing.T, ts *testServer, sid string) *websocket.Conn {
	t.Helper()
	c := mustDialWS(t, ts, sid)
	writeText(t, c, "2probe")
	if s := readText(t, c); s != "3probe" {
		t.Fatalf("probe answer %q", s)
	}
	if r := ts.poll(t, sid); r.status != 200 || r.body != "6" {
		t.Fatalf("poll during upgrade: %d %q, want 6", r.status, r.body)
	}
	writeText(t, c, "5")
	return c
}

func TestUpgrade(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	sid := ts.handshake(t)
	c := upgradeTo(t, ts, sid)
	writeText(t, c, "4hello")
	if typ, b := readSkipPings(t, c); typ != websocket.MessageText || string(b) != "4hello" {
		t.Fatalf("echo after upgrade: %q", b)
	}
	if tr := ts.eio.Session(sid).Transport(); tr != TransportWebSocket {
		t.Fatalf("transport %q", tr)
	}
	// Polling with that sid is refused now, and so is a second WebSocket.
	if r := ts.poll(t, sid); r.status != 400 {
		t.Fatalf("poll after upgrade: %d %q", r.status, r.body)
	}
	if r := ts.post(t, sid, "4x"); r.status != 400 {
		t.Fatalf("post after upgrade: %d %q", r.status, r.body)
	}
	if c2, err := dialWS(t, ts, sid); err == nil {
		defer c2.CloseNow()
		expectClosed(t, c2)
	}
	// The session carries on.
	writeText(t, c, "4still")
	if _, b := readSkipPings(t, c); string(b) != "4still" {
		t.Fatalf("echo %q", b)
	}
}

func TestUpgradePendingPollGetsNoop(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	sid := ts.handshake(t)
	pending := make(chan response, 1)
	go func() { pending <- ts.poll(t, sid) }()
	waitFor(t, func() bool {
		ss := ts.eio.Session(sid)
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.getActive
	})
	c := mustDialWS(t, ts, sid)
	writeText(t, c, "2probe")
	if s := readText(t, c); s != "3probe" {
		t.Fatalf("probe answer %q", s)
	}
	if r := <-pending; r.body != "6" {
		t.Fatalf("pending poll: %q", r.body)
	}
	// What the server sends while the upgrade is under way waits for the WebSocket.
	ts.eio.Session(sid).Send(TextFrame([]byte("queued")))
	writeText(t, c, "5")
	if s := readText(t, c); s != "4queued" {
		t.Fatalf("first frame after upgrade %q", s)
	}
}

func TestUpgradeOrderAcrossSwitch(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	sid := ts.handshake(t)
	ss := ts.eio.Session(sid)
	for i := 0; i < 100; i++ {
		ss.Send(TextFrame([]byte{byte('a' + i%26)}))
	}
	c := mustDialWS(t, ts, sid)
	writeText(t, c, "2probe")
	readText(t, c)
	writeText(t, c, "5")
	for i := 100; i < 200; i++ {
		ss.Send(TextFrame([]byte{byte('a' + i%26)}))
	}
	for i := 0; i < 200; i++ {
		if s := readText(t, c); s != "4"+string(rune('a'+i%26)) {
			t.Fatalf("frame %d: %q", i, s)
		}
	}
}

func TestUpgradeRefused(t *testing.T) {
	tests := []struct {
		name  string
		first string
	}{
		{"not a probe", "4hello"},
		{"upgrade before probe", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, &Options{PingInterval: time.Minute})
			sid := ts.handshake(t)
			c := mustDialWS(t, ts, sid)
			writeText(t, c, tt.first)
			expectClosed(t, c)
			// The session is still there, on polling.
			ts.post(t, sid, "4ok")
			if r := ts.pollSkipNoop(t, sid); r.body != "4ok" {
				t.Fatalf("poll after failed upgrade: %d %q", r.status, r.body)
			}
		})
	}
}

func TestUpgradeTimeout(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute, UpgradeTimeout: 100 * time.Millisecond})
	sid := ts.handshake(t)
	c := mustDialWS(t, ts, sid)
	writeText(t, c, "2probe")
	readText(t, c)
	expectClosed(t, c) // no "5" in time
	ts.post(t, sid, "4ok")
	if r := ts.pollSkipNoop(t, sid); r.body != "4ok" {
		t.Fatalf("poll after upgrade timeout: %d %q", r.status, r.body)
	}
}

func TestUpgradesDisabled(t *testing.T) {
	ts := newTestServer(t, &Options{DisableUpgrades: true})
	res := do(t, "GET", ts.url("EIO=4&transport=polling"), "")
	if o := parseOpen(t, res.body); len(o.Upgrades) != 0 {
		t.Fatalf("upgrades %v", o.Upgrades)
	}
	if c, err := dialWS(t, ts, parseOpen(t, res.body).SID); err == nil {
		c.CloseNow()
		t.Fatal("upgrade accepted with DisableUpgrades")
	}
}

func TestPerMessageDeflate(t *testing.T) {
	ts := newTestServer(t, &Options{PerMessageDeflate: true, PingInterval: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, wsURL(ts, ""), &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if ext := res.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extensions %q", ext)
	}
	readText(t, c)
	msg := "4" + strings.Repeat("compressible ", 200)
	writeText(t, c, msg)
	if s := readText(t, c); s != msg {
		t.Fatal("echo differs")
	}
}

// A poll sent right after "5" — possibly handled before the WebSocket
// reader has seen the "5" — gets 400, as in the official suite.
func TestPollRightAfterUpgradeGets400(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	for i := 0; i < 20; i++ {
		sid := ts.handshake(t)
		c := mustDialWS(t, ts, sid)
		writeText(t, c, "2probe")
		readText(t, c)
		writeText(t, c, "5")
		if r := ts.poll(t, sid); r.status != 400 {
			t.Fatalf("round %d: poll after 5: %d %q", i, r.status, r.body)
		}
	}
}
