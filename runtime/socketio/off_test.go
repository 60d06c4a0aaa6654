package socketio

import (
	"testing"

	"github.com/siogen/siogen/runtime/parser"
)

// TestSocketOff: a server socket's Off, OffAny and OffAnyOutgoing remove
// handlers, as Node's socket.off(event), offAny() and offAnyOutgoing(); the
// other handlers keep running.
func TestSocketOff(t *testing.T) {
	srv, url := clientGoServer(t, nil)
	type seen struct{ by, name string }
	got := make(chan seen, 20)
	ready := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnAny(func(e *Event) { got <- seen{"any", e.Name} })
		s.OnAnyOutgoing(func(event string, _ []parser.Value) { got <- seen{"out", event} })
		s.On("a", func(e *Event) { got <- seen{"on", "a"} })
		// b is the last event of a round: its ack says the round's events
		// were handled (a socket's events are handled in order).
		s.On("b", func(e *Event) {
			s.Emit("echo")
			e.Ack()
		})
		ready <- s
	})
	m := NewManager(url, &ManagerOptions{HTTPClient: clientHTTPClient(t)})
	defer m.Close()
	c := m.Socket("/", nil)
	clientConnect(t, c)
	s := clientWait(t, ready, "the server's socket")
	round := func(want ...seen) {
		t.Helper()
		if err := c.Emit("a"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.EmitWithAck(clientCtx(t), "b"); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if g := clientWait(t, got, "a handler"); g != w {
				t.Fatalf("got %v, want %v", g, w)
			}
		}
		select {
		case g := <-got:
			t.Fatalf("unexpected %v", g)
		default:
		}
	}
	round(seen{"any", "a"}, seen{"on", "a"}, seen{"any", "b"}, seen{"out", "echo"})
	s.Off("a")
	round(seen{"any", "a"}, seen{"any", "b"}, seen{"out", "echo"})
	s.OffAny()
	round(seen{"out", "echo"})
	s.OffAnyOutgoing()
	round()
}
