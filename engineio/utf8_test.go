package engineio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// invalidUTF8 are text messages that are not UTF-8 and what Node makes of
// them in a polling POST (Buffer's toString: one U+FFFD per maximal
// subpart, as WHATWG's decoder), captured from Node 20.
var invalidUTF8 = []struct{ in, want string }{
	{"a\xff\xfeb", "a\ufffd\ufffdb"},
	{"\xe2\x82A", "\ufffdA"},
	{"\xf0\x9f\x98", "\ufffd"},
	{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
	{"\xc0\xaf", "\ufffd\ufffd"},
	{"\xe0\x80\xaf", "\ufffd\ufffd\ufffd"},
	{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
	{"\xf0\x9f\x98\x80\x80", "😀\ufffd"},
	{"\xc3", "\ufffd"},
	{"\xe2\x82\xac\xe2", "€\ufffd"},
}

// A polling POST is text: Node decodes it as UTF-8, invalid bytes becoming
// U+FFFD. Passed on as they came, they went out again in WebSocket text
// frames that made the receiving clients fail their connection.
func TestPollingInvalidUTF8Replaced(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	for _, tt := range invalidUTF8 {
		sid := ts.handshake(t)
		if res := ts.post(t, sid, "4"+tt.in); res.status != 200 || res.body != "ok" {
			t.Fatalf("POST %q: %d %q", tt.in, res.status, res.body)
		}
		if res := ts.poll(t, sid); res.status != 200 || res.body != "4"+tt.want {
			t.Fatalf("POST %q: echo %q, want %q", tt.in, res.body, "4"+tt.want)
		}
	}
}

// A WebSocket text message that is not UTF-8 breaks RFC 6455: Node (ws)
// closes the connection with 1007 (reason "transport error").
func TestWebSocketInvalidUTF8Closes(t *testing.T) {
	t.Run("engineio reader", func(t *testing.T) {
		ts := newTestServer(t, calmOptions())
		c := dialRawWS(t, ts)
		c.write(clientFrame(0x80|opText, []byte("4a\xffb")))
		c.expectClose(1007)
		if r := closeReason(t, ts); r != ReasonTransportError {
			t.Fatalf("reason %q, want %q", r, ReasonTransportError)
		}
	})
	t.Run("fragmented", func(t *testing.T) {
		ts := newTestServer(t, calmOptions())
		c := dialRawWS(t, ts)
		// "€" cut between two frames is fine; a bad byte in the last is not.
		c.write(clientFrame(opText, []byte("4\xe2\x82")), clientFrame(0x80|opContinuation, []byte("\xac\xff")))
		c.expectClose(1007)
	})
	t.Run("permessage-deflate", func(t *testing.T) {
		ts := newTestServer(t, &Options{PingInterval: time.Minute, PerMessageDeflate: true})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, wsURL(ts, ""), &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		if _, _, err := ws.Read(ctx); err != nil { // the open packet
			t.Fatal(err)
		}
		if err := ws.Write(ctx, websocket.MessageText, []byte("4a\xffb")); err != nil {
			t.Fatal(err)
		}
		_, _, err = ws.Read(ctx)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusInvalidFramePayloadData {
			t.Fatalf("read after the bad message: %v, want close 1007", err)
		}
		if r := closeReason(t, ts); r != ReasonTransportError {
			t.Fatalf("reason %q, want %q", r, ReasonTransportError)
		}
	})
}
