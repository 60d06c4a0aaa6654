// Package idlemem measures what idle connections cost, for the idle-session
// benchmarks of engineio and socketio.
package idlemem

import (
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// Measure opens n WebSocket connections to url (an http:// URL with an
// Engine.IO query) with open, which completes each one's handshake, and
// reports the growth of goroutine stacks and heap per connection after a
// GC. The connections are closed when it returns.
func Measure(b *testing.B, url string, n int, open func(context.Context, *websocket.Conn) error) (stack, heap float64) {
	b.Helper()
	ctx := context.Background()
	s0, h0 := sample()
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	for range n {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		if err := open(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	s1, h1 := sample()
	return float64(s1-s0) / float64(n), float64(h1-h0) / float64(n)
}

// sample returns the stack and heap in use after a GC.
func sample() (stack, heap uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.StackInuse, m.HeapInuse
}
