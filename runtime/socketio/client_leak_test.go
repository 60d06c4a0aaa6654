package socketio

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
)

// clientGoroutines returns the stacks of the goroutines running client
// code (the Manager, its sockets, the Engine.IO client).
func clientGoroutines() []string {
	buf := make([]byte, 8<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		for _, f := range []string{"engineio.(*Client)", "socketio.(*Manager)", "socketio.(*ClientSocket)", "socketio.(*mgrConn)"} {
			if strings.Contains(g, f) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// clientNoLeak fails the test when client goroutines are still running a
// few seconds after fn returned.
func clientNoLeak(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	fn(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		gs := clientGoroutines()
		if len(gs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d client goroutines left:\n%s", len(gs), strings.Join(gs, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientNoGoroutineLeak: once Manager.Close returned, and after the
// ways a connection can fail or end, no goroutine of the client is left.
func TestClientNoGoroutineLeak(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	release := make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		s.On("echo", func(e *Event) { e.Ack(e.Args) })
		s.On("bye", func(e *Event) { s.Disconnect(false) })
		s.On("drop", func(e *Event) { s.Conn().Close() })
		s.On("flood", func(e *Event) {
			for range 100 {
				s.Emit("f")
			}
		})
	})
	srv.Of("/other").OnConnection(func(s *Socket) {})
	refused := clientRefusedURL(t)
	ctx := func() context.Context { return clientCtx(t) }
	newM := func(t *testing.T, url string, o *ManagerOptions) *Manager {
		if o == nil {
			o = &ManagerOptions{}
		}
		o.HTTPClient = clientHTTPClient(t)
		o.ReconnectionDelay = 5 * time.Millisecond
		return NewManager(url, o)
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"connected", func(t *testing.T) {
			m := newM(t, url, nil)
			s := m.Socket("/", nil)
			clientConnect(t, s)
			if _, err := s.EmitWithAck(ctx(), "echo", 1); err != nil {
				t.Fatal(err)
			}
			m.Close()
		}},
		{"upgraded", func(t *testing.T) {
			m := newM(t, url, nil)
			s := m.Socket("/", nil)
			clientConnect(t, s)
			clientWaitFor(t, "the upgrade", func() bool {
				m.mu.Lock()
				defer m.mu.Unlock()
				return m.conn != nil && m.conn.client.Transport() == engineio.TransportWebSocket
			})
			m.Close()
		}},
		{"all disconnected", func(t *testing.T) {
			m := newM(t, url, nil)
			a, b := m.Socket("/", nil), m.Socket("/other", nil)
			clientConnect(t, a)
			clientConnect(t, b)
			a.Disconnect()
			b.Disconnect()
			// No Close: the connection ends with the last socket.
		}},
		{"server disconnect", func(t *testing.T) {
			m := newM(t, url, nil)
			s := m.Socket("/", nil)
			gone := make(chan DisconnectReason, 1)
			s.OnDisconnect(func(r DisconnectReason) { gone <- r })
			clientConnect(t, s)
			s.Emit("bye")
			clientWait(t, gone, "OnDisconnect")
		}},
		{"reconnected", func(t *testing.T) {
			m := newM(t, url, nil)
			s := m.Socket("/", nil)
			connects := make(chan struct{}, 2)
			s.OnConnect(func() { connects <- struct{}{} })
			clientConnect(t, s)
			s.Emit("drop")
			clientWait(t, connects, "OnConnect")
			clientWait(t, connects, "OnConnect after the reconnection")
			m.Close()
		}},
		{"refused, no reconnection", func(t *testing.T) {
			m := newM(t, refused, &ManagerOptions{NoReconnection: true})
			if err := m.Socket("/", nil).Connect(ctx()); err == nil {
				t.Fatal("connected")
			}
		}},
		{"refused, attempts", func(t *testing.T) {
			m := newM(t, refused, &ManagerOptions{ReconnectionAttempts: 2})
			if err := m.Socket("/", nil).Connect(ctx()); !errors.Is(err, ErrReconnectFailed) {
				t.Fatal(err)
			}
		}},
		{"refused, context ends", func(t *testing.T) {
			m := newM(t, refused, nil)
			c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := m.Socket("/", nil).Connect(c); err == nil {
				t.Fatal("connected")
			}
		}},
		{"pending acks and retries", func(t *testing.T) {
			m := newM(t, refused, nil)
			s := m.Socket("/", &ClientSocketOptions{Retries: 3})
			s.Emit("x")
			go s.EmitWithAck(context.Background(), "y")
			go m.Socket("/b", nil).EmitWithAck(context.Background(), "z")
			time.Sleep(20 * time.Millisecond)
			m.Close()
		}},
		{"blocked handler", func(t *testing.T) {
			m := newM(t, url, &ManagerOptions{MaxPendingEvents: 2})
			s := m.Socket("/", nil)
			started := make(chan struct{}, 1)
			s.On("f", func(*Event) {
				select {
				case started <- struct{}{}:
				default:
				}
				<-release
			})
			clientConnect(t, s)
			s.Emit("flood")
			clientWait(t, started, "the handler")
			m.Close()
			close(release)
		}},
		{"flush under way", func(t *testing.T) {
			m := newM(t, url, &ManagerOptions{WriteQueueBytes: 4 << 10})
			s := m.Socket("/", nil)
			for range 1000 {
				s.Emit("echo", strings.Repeat("x", 1000))
			}
			clientConnect(t, s)
			m.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { clientNoLeak(t, tc.fn) })
	}
}
