package engineio

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rawHTTP writes a raw request to the server and returns the status line
// (empty if the connection was closed without one).
func rawHTTP(t *testing.T, ts *testServer, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// Requests shaped like the engine.io CVEs (CVE-2022-41940, CVE-2023-31125:
// crafted upgrade and polling requests that crashed the Node process) get
// an error; the server and a bystander session carry on.
func TestCraftedRequestsFailAlone(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	bystander := ts.handshake(t)
	victim := ts.handshake(t)
	tests := []struct {
		name, req string
		want      string // status line prefix
	}{
		{"upgrade without a key", "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400"},
		{"upgrade with a bad version", "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n", "HTTP/1.1 4"},
		{"upgrade of a polling session without a key", "GET /engine.io/?EIO=4&transport=websocket&sid=" + victim + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "HTTP/1.1 4"},
		{"upgrade with transport=polling", "GET /engine.io/?EIO=4&transport=polling&sid=" + victim + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400"},
		{"several sids", "GET /engine.io/?EIO=4&transport=polling&sid=a&sid=" + victim + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
		{"bad Origin", "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: \x01\x02\r\n\r\n", "HTTP/1.1 4"},
		{"chunked POST over the limit", "POST /engine.io/?EIO=4&transport=polling&sid=" + ts.handshake(t) + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\nF4240\r\n" + strings.Repeat("4", 1_000_000) + "\r\n10\r\n4444444444444444\r\n0\r\n\r\n", "HTTP/1.1 413"},
		{"POST with a lying Content-Length", "POST /engine.io/?EIO=4&transport=polling&sid=" + ts.handshake(t) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nContent-Type: text/plain\r\n\r\n4x", "HTTP/1.1 413"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawHTTP(t, ts, tt.req); !strings.HasPrefix(got, tt.want) {
				t.Errorf("status %q, want %q…", got, tt.want)
			}
		})
	}
	// A probe that misbehaves (binary frame, garbage, close mid-probe)
	// leaves the polling session usable.
	for _, mis := range []func(c *websocket.Conn){
		func(c *websocket.Conn) { c.Write(context.Background(), websocket.MessageBinary, []byte{0, 1}) },
		func(c *websocket.Conn) { c.Write(context.Background(), websocket.MessageText, []byte("\x00garbage")) },
		func(c *websocket.Conn) { c.Close(websocket.StatusNormalClosure, "") },
	} {
		sid := ts.handshake(t)
		c := mustDialWS(t, ts, sid)
		mis(c)
		ts.post(t, sid, "4ok")
		if r := ts.pollSkipNoop(t, sid); r.body != "4ok" {
			t.Fatalf("session after a bad probe: %d %q", r.status, r.body)
		}
	}
	ts.post(t, bystander, "4fine")
	if r := ts.poll(t, bystander); r.body != "4fine" {
		t.Fatalf("bystander: %d %q", r.status, r.body)
	}
	// The server still answers new handshakes.
	if res := do(t, "GET", ts.url("EIO=4&transport=polling"), ""); res.status != http.StatusOK {
		t.Fatalf("handshake after: %d", res.status)
	}
}
