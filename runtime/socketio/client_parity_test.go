package socketio

import (
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// TestClientOffsetNotFromAckEvents: connection state recovery's offset is
// taken only from events the server stores, which it sends without an ack
// request, as socket.io-client does (there the last argument of an event
// with an ack request is the ack callback, never a string). Before, the
// last string argument of an event with an ack request became the offset:
// Node's server did not know it and did not recover the session.
func TestClientOffsetNotFromAckEvents(t *testing.T) {
	url := clientStartNode(t, "SIO_RECOVERY=1")
	e := &clientEnv{codec: parser.JSON}
	m := e.manager(t, url)
	s := m.Socket("/", nil)
	connects := make(chan bool, 4)
	s.OnConnect(func() { connects <- s.Recovered() })
	back := clientCollect(s, "message-back")
	missed := clientCollect(s, "missed")
	s.On("ping-client", func(e *Event) {
		// Left unanswered: the connection drops with this event's string
		// argument the last one received.
		if err := s.Emit("drop", 1); err != nil {
			t.Error(err)
		}
	})
	clientConnect(t, s)
	if clientWait(t, connects, "first OnConnect") {
		t.Fatal("first connection recovered")
	}
	id := s.ID()
	if err := s.Emit("message", "x"); err != nil {
		t.Fatal(err)
	}
	if args := clientWait(t, back, "message-back").Args; len(args) != 2 {
		t.Fatalf("message-back without an offset: %v", args)
	}
	if err := s.Emit("ask-client", "not an offset"); err != nil {
		t.Fatal(err)
	}
	if !clientWait(t, connects, "second OnConnect") {
		t.Fatal("not recovered")
	}
	if s.ID() != id {
		t.Fatalf("id %q -> %q", id, s.ID())
	}
	var i int
	if err := clientWait(t, missed, "missed").Decode(&i); err != nil || i != 0 {
		t.Fatalf("missed %d, %v", i, err)
	}
}

// TestClientFlushBufferBiggerThanQueue: the events buffered while the
// socket was disconnected are all sent, in order, on one connection, when
// together they are more than the write queue holds
// (ManagerOptions.WriteQueueBytes), as socket.io-client sends its whole
// send buffer. Before, the flush overflowed the queue, which closed the
// connection: the events queued were lost, and so on at every reconnection.
func TestClientFlushBufferBiggerThanQueue(t *testing.T) {
	url := clientStartNode(t)
	for _, mode := range []struct {
		name       string
		transports []engineio.Transport
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				Transports:        mode.transports,
				WriteQueueBytes:   16 << 10,
				ReconnectionDelay: 20 * time.Millisecond,
			})
			defer m.Close()
			closes := make(chan DisconnectReason, 16)
			m.OnClose(func(r DisconnectReason, err error) { closes <- r })
			s := m.Socket("/", nil)
			back := make(chan int, 1000)
			s.On("message-back", func(e *Event) {
				var i int
				e.Decode(&i)
				back <- i
			})
			const n = 200 // 200 KiB, 12 times the queue
			pad := strings.Repeat("x", 1000)
			for i := range n {
				if err := s.Emit("message", i, pad); err != nil {
					t.Fatal(err)
				}
			}
			clientConnect(t, s)
			// Emitted while the buffer is still being flushed: after it.
			for i := n; i < n+50; i++ {
				if err := s.Emit("message", i, pad); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n + 50 {
				if got := clientWait(t, back, "message-back"); got != i {
					t.Fatalf("message-back %d, want %d", got, i)
				}
			}
			select {
			case r := <-closes:
				t.Fatalf("the connection closed (%s)", r)
			default:
			}
		})
	}
}

// TestClientFlushLeavesRoom: while the buffered events of one socket are
// being flushed, the other sockets of the connection can still send: the
// flush does not fill the whole write queue, whose overflow would close
// the connection.
func TestClientFlushLeavesRoom(t *testing.T) {
	url := clientStartNode(t)
	for _, mode := range []struct {
		name       string
		transports []engineio.Transport
	}{
		{"polling", []engineio.Transport{engineio.TransportPolling}},
		{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := NewManager(url, &ManagerOptions{
				Transports:        mode.transports,
				WriteQueueBytes:   16 << 10,
				ReconnectionDelay: 20 * time.Millisecond,
			})
			defer m.Close()
			closes := make(chan DisconnectReason, 16)
			m.OnClose(func(r DisconnectReason, err error) { closes <- r })
			admin := m.Socket("/admin", nil)
			clientConnect(t, admin)
			s := m.Socket("/", nil)
			back := make(chan int, 1000)
			s.On("message-back", func(e *Event) {
				var i int
				e.Decode(&i)
				back <- i
			})
			const n = 500
			pad := strings.Repeat("x", 1000)
			for i := range n {
				if err := s.Emit("message", i, pad); err != nil {
					t.Fatal(err)
				}
			}
			go s.Connect(clientCtx(t))
			for i := range 100 {
				if _, err := admin.EmitWithAck(clientCtx(t), "message-with-ack", i, pad); err != nil {
					t.Fatalf("ack %d: %v", i, err)
				}
			}
			for i := range n {
				if got := clientWait(t, back, "message-back"); got != i {
					t.Fatalf("message-back %d, want %d", got, i)
				}
			}
			select {
			case r := <-closes:
				t.Fatalf("the connection closed (%s)", r)
			default:
			}
		})
	}
}

// TestClientOffsetKeptAcrossSessions: the last offset received is sent on
// reconnection even when it came in an earlier session, as socket.io-client
// keeps it: a session that has received no event yet is then recovered.
// Before, the client forgot the offset when the server gave a new session,
// sent none, and such a session was never recovered.
func TestClientOffsetKeptAcrossSessions(t *testing.T) {
	url := clientStartNode(t, "SIO_RECOVERY=1")
	e := &clientEnv{codec: parser.JSON}
	m := e.manager(t, url)
	s := m.Socket("/", nil)
	connects := make(chan bool, 4)
	s.OnConnect(func() { connects <- s.Recovered() })
	back := clientCollect(s, "message-back")
	missed := clientCollect(s, "missed")
	clientConnect(t, s)
	clientWait(t, connects, "first OnConnect")
	if err := s.Emit("message", "x"); err != nil {
		t.Fatal(err)
	}
	if args := clientWait(t, back, "message-back").Args; len(args) != 2 {
		t.Fatalf("message-back without an offset: %v", args)
	}
	// A new session: a disconnection by the client is not recoverable.
	s.Disconnect()
	clientConnect(t, s)
	if clientWait(t, connects, "second OnConnect") {
		t.Fatal("recovered after Disconnect")
	}
	id := s.ID()
	// Lost before any event of the new session.
	if err := s.Emit("drop", 1); err != nil {
		t.Fatal(err)
	}
	if !clientWait(t, connects, "third OnConnect") {
		t.Fatal("not recovered")
	}
	if s.ID() != id {
		t.Fatalf("id %q -> %q", id, s.ID())
	}
	var i int
	if err := clientWait(t, missed, "missed").Decode(&i); err != nil || i != 0 {
		t.Fatalf("missed %d, %v", i, err)
	}
}
