package engineio

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/siogen/siogen/internal/idlemem"
)

var benchFrames = []Frame{
	TextFrame([]byte(`2["message",{"room":"general","text":"hello there"}]`)),
	TextFrame([]byte(`2["typing",{"room":"general"}]`)),
	BinaryFrame([]byte{1, 2, 3, 4, 5, 6, 7, 8}),
	TextFrame([]byte(`3[{"ok":true}]`)),
}

func BenchmarkAppendPayload(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPayload(buf[:0], benchFrames...)
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	payload := AppendPayload(nil, benchFrames...)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		_ = DecodePayload(payload, func(Packet) error { return nil })
	}
}

// BenchmarkWebSocketEcho measures one round trip of a small message through
// the server over a loopback WebSocket (client write, server echo, client read).
func BenchmarkWebSocketEcho(b *testing.B) {
	for _, size := range []int{64, 1024} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			eio := NewServer(func(s *Session) Handler { return &echoHandler{s: s, closed: make(chan CloseReason, 1)} }, nil)
			hs := httptest.NewServer(eio)
			defer hs.Close()
			defer eio.Shutdown(context.Background())
			ctx := context.Background()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/?EIO=4&transport=websocket", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			if _, _, err := c.Read(ctx); err != nil { // open
				b.Fatal(err)
			}
			msg := append([]byte("4"), strings.Repeat("x", size)...)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdleWebSocketSessions opens 2000 WebSocket sessions and reports
// what an idle one costs after a GC: the goroutine stacks (the server's
// goroutines; the clients have none) and the heap (server and client sides).
func BenchmarkIdleWebSocketSessions(b *testing.B) {
	for b.Loop() {
		eio := NewServer(func(s *Session) Handler { return nopHandler{} }, nil)
		hs := httptest.NewServer(eio)
		stack, heap := idlemem.Measure(b, hs.URL+"/?EIO=4&transport=websocket", 2000,
			func(ctx context.Context, c *websocket.Conn) error {
				_, _, err := c.Read(ctx) // open
				return err
			})
		b.ReportMetric(stack, "stack-B/session")
		b.ReportMetric(heap, "heap-B/session")
		eio.Shutdown(context.Background())
		hs.Close()
	}
}
