package socketio

import (
	"testing"

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
