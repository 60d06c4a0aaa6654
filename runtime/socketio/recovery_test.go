package socketio

import (
	"testing"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// recoveryReply is the payload of the CONNECT reply with recovery on.
type recoveryReply struct {
	SID string `json:"sid"`
	PID string `json:"pid"`
}

// connectRecovering sends a CONNECT to "/" with auth and returns the events
// that come before the reply, and the reply.
func (c *rawClient) connectRecovering(auth any) ([]string, recoveryReply) {
	c.t.Helper()
	p := &parser.Packet{Type: parser.Connect, Namespace: "/"}
	if auth != nil {
		p.Data = []parser.Value{parser.ValueOf(auth)}
	}
	c.send(p)
	var events []string
	for {
		r := c.next()
		if r.Type == parser.Connect {
			var reply recoveryReply
			if err := r.Data[0].Decode(&reply); err != nil || reply.SID == "" || reply.PID == "" {
				c.t.Fatalf("connect reply %s: %v", show(r), err)
			}
			return events, reply
		}
		name, _ := r.EventName()
		if r.Type != parser.Event {
			c.t.Fatalf("got %v %s before the CONNECT reply", r.Type, show(r))
		}
		events = append(events, name)
	}
}

// Node's socket.emit, with connection state recovery on, goes through the
// adapter to the room of the socket's id whether the socket is connected or
// not ("this ensures the packet is stored and can be transmitted upon
// reconnection"): what a disconnecting, disconnect or later handler emits to
// a socket that lost its transport is replayed when it recovers, and, once
// it has, the old Socket value's emits reach the client live.
func TestRecoveryKeepsEmitsToDisconnectedSocket(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{Parser: codec, ConnectionStateRecovery: &RecoveryOptions{}})
			sockets := make(chan *Socket, 2)
			gone := make(chan error, 1)
			env.srv.OnConnection(func(s *Socket) {
				if err := s.Emit("hello"); err != nil {
					t.Errorf("Emit hello: %v", err)
				}
				if s.Recovered() {
					sockets <- s
					return
				}
				s.OnDisconnecting(func(DisconnectReason) { _ = s.Emit("while-disconnecting") })
				s.OnDisconnect(func(DisconnectReason) { gone <- s.Emit("after-disconnect") })
				sockets <- s
			})
			c := env.dial(t, engineio.TransportWebSocket)
			_, first := c.connectRecovering(nil)
			old := <-sockets
			args := c.expectEvent("/", "hello")
			offset := decodeString(t, args[len(args)-1])

			c.eio.Close()
			c.waitClosed()
			if err := <-gone; err != nil {
				t.Fatalf("Emit in OnDisconnect with recovery on: %v; want it kept for the recovery", err)
			}
			if err := old.Emit("later"); err != nil {
				t.Fatalf("Emit to the disconnected socket: %v; want it kept for the recovery", err)
			}
			if err := old.Volatile().Emit("volatile"); err == nil {
				t.Fatal("a volatile Emit to a disconnected socket succeeded")
			}

			c2 := env.dial(t, engineio.TransportWebSocket)
			missed, reply := c2.connectRecovering(map[string]string{"pid": first.PID, "offset": offset})
			if reply.SID != first.SID {
				t.Fatalf("not recovered: sid %s, want %s", reply.SID, first.SID)
			}
			want := []string{"while-disconnecting", "after-disconnect", "later"}
			if len(missed) != len(want) || missed[0] != want[0] || missed[1] != want[1] || missed[2] != want[2] {
				t.Fatalf("replayed %q, want %q", missed, want)
			}
			<-sockets
			c2.expectEvent("/", "hello")
			if err := old.Emit("live"); err != nil {
				t.Fatalf("Emit through the old socket after the recovery: %v", err)
			}
			c2.expectEvent("/", "live")
		})
	}
}
