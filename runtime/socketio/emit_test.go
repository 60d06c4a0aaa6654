package socketio

import (
	"context"
	"fmt"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
)

// An emit to one socket and an ack take their packet from a pool (see
// outPacket); an OnAnyOutgoing handler may keep the arguments it is given,
// so a packet it saw must not go back to the pool. The handler here keeps
// every event's arguments: each must still hold its own value after later
// emits and acks, which reuse pooled packets.
func TestOutgoingHandlersKeepArguments(t *testing.T) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			srv := NewServer(&ServerOptions{Parser: codec})
			defer srv.Shutdown(context.Background())
			inProcess(t, srv, 1)
			s := srv.Of("/").Socket(firstID(srv))
			var kept [][]parser.Value
			s.OnAnyOutgoing(func(event string, args []parser.Value) { kept = append(kept, args) })
			const n = 200
			for i := range n {
				if err := s.Emit("e", fmt.Sprint("event ", i), i); err != nil {
					t.Fatal(err)
				}
				// An ack between the emits: never given to the handlers,
				// so its packet goes back to the pool and is reused.
				e := &Event{Name: "x", ackSock: s, ackID: uint64(i)}
				if err := e.Ack(fmt.Sprint("ack ", i), -i); err != nil {
					t.Fatal(err)
				}
			}
			if len(kept) != n {
				t.Fatalf("the handler saw %d events, want %d", len(kept), n)
			}
			for i, args := range kept {
				var text string
				var num int
				if len(args) != 2 || args[0].Decode(&text) != nil || args[1].Decode(&num) != nil ||
					text != fmt.Sprint("event ", i) || num != i {
					t.Fatalf("event %d: the handler's arguments are now %v", i, args)
				}
			}
		})
	}
}
