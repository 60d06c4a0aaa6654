package socketio

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestClientConcurrentUse: Connect, Disconnect, emits, acks and dropped
// connections from many goroutines at once: no race, no deadlock, and
// Close returns, leaving no goroutine.
func TestClientConcurrentUse(t *testing.T) {
	clientNoLeak(t, clientTestConcurrentUse)
}

func clientTestConcurrentUse(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	handler := func(s *Socket) {
		s.On("echo", func(e *Event) { e.Ack(e.Args) })
		s.On("drop", func(e *Event) { s.Conn().Close() })
		s.On("bye", func(e *Event) { s.Disconnect(false) })
		s.On("ask", func(e *Event) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			s.EmitWithAck(ctx, "q", 1)
		})
	}
	srv.OnConnection(handler)
	srv.Of("/b").OnConnection(handler)
	m := NewManager(url, &ManagerOptions{
		HTTPClient:        clientHTTPClient(t),
		ReconnectionDelay: time.Millisecond, ReconnectionDelayMax: 10 * time.Millisecond,
		WriteQueueBytes: 8 << 10,
	})
	socks := []*ClientSocket{m.Socket("/", nil), m.Socket("/b", &ClientSocketOptions{Retries: 1, AckTimeout: 50 * time.Millisecond})}
	for _, s := range socks {
		s.On("q", func(e *Event) { e.Ack(2) })
	}
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * time.Second)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for time.Now().Before(stop) {
				s := socks[r.IntN(len(socks))]
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				switch r.IntN(10) {
				case 0:
					s.Connect(ctx)
				case 1:
					if r.IntN(4) == 0 {
						s.Disconnect()
					}
				case 2:
					s.Emit("drop")
				case 3:
					if r.IntN(4) == 0 {
						s.Emit("bye")
					}
				case 4:
					s.Volatile().Emit("echo", 1)
				case 5:
					s.Emit("ask")
				default:
					s.EmitWithAck(ctx, "echo", make([]byte, r.IntN(3000)))
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	clientReturns(t, "Manager.Close", 10*time.Second, func() { m.Close() })
}
