// Package socketio is the Socket.IO v5 runtime: a server (namespaces,
// middleware, rooms, broadcasts, acks, adapters, connection state recovery)
// and a client (Manager and ClientSocket, with reconnection), speaking the
// wire protocol of npm socket.io 4.8 and socket.io-client 4.8 over the
// engineio package.
package socketio

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/siogen/siogen/runtime/parser"
)

// An Event is an event received from the peer: a client's event on the
// server side, the server's on the client side.
type Event struct {
	// Name is the event name.
	Name string
	// Args are the arguments, still encoded; Decode or Value.Decode them.
	Args []parser.Value

	ack     func(args []any) error
	ackSock *Socket // or, without a closure: the server socket that answers ackID
	ackID   uint64
	acked   atomic.Bool
}

// NewEvent returns an event; ack, when non-nil, sends the acknowledgement.
// The runtime makes events; NewEvent is for tests of handlers.
func NewEvent(name string, args []parser.Value, ack func(args []any) error) *Event {
	return &Event{Name: name, Args: args, ack: ack}
}

// Decode decodes the arguments into dst, in order: Decode(&a, &b) decodes
// Args[0] into a and Args[1] into b. Missing arguments leave their
// destination untouched; extra arguments are ignored.
func (e *Event) Decode(dst ...any) error {
	for i, d := range dst {
		if i >= len(e.Args) {
			break
		}
		if err := e.Args[i].Decode(d); err != nil {
			return fmt.Errorf("socketio: event %q argument %d: %w", e.Name, i, err)
		}
	}
	return nil
}

// WantsAck reports whether the sender asked for an acknowledgement that has
// not been sent yet.
func (e *Event) WantsAck() bool { return (e.ack != nil || e.ackSock != nil) && !e.acked.Load() }

// Ack sends the acknowledgement with args. It can be called once; later
// calls, and calls for an event sent without an ack, return ErrNoAck.
func (e *Event) Ack(args ...any) error {
	if (e.ack == nil && e.ackSock == nil) || !e.acked.CompareAndSwap(false, true) {
		return ErrNoAck
	}
	if e.ackSock != nil {
		return e.ackSock.sendAck(e.ackID, args)
	}
	return e.ack(args)
}

// Errors of the runtime.
var (
	// ErrNoAck: Ack on an event that has no ack, or was acknowledged already.
	ErrNoAck = errors.New("socketio: no acknowledgement expected")
	// ErrNotConnected: the socket is not connected (emits of a client socket
	// are buffered instead, unless volatile).
	ErrNotConnected = errors.New("socketio: socket not connected")
	// ErrReservedEvent: the event name is reserved by the protocol.
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrAckTimeout: no acknowledgement came before the context ended. It
	// wraps the context's error.
	ErrAckTimeout = errors.New("socketio: acknowledgement timed out")
	// ErrTooManyAcks: the socket already has ServerOptions.MaxPendingAcks
	// acknowledgements outstanding.
	ErrTooManyAcks = errors.New("socketio: too many acknowledgements pending")
	// ErrTooManyRooms: joining the rooms would put the socket in more than
	// ServerOptions.MaxRoomsPerSocket rooms; it joined none of them.
	ErrTooManyRooms = errors.New("socketio: too many rooms")
)

// DisconnectReason says why a socket was disconnected. The values are Node's.
type DisconnectReason string

// Disconnect reasons, as Node's socket.io (server) and socket.io-client use them.
const (
	// Server side.
	ReasonTransportError            DisconnectReason = "transport error"
	ReasonTransportClose            DisconnectReason = "transport close"
	ReasonForcedClose               DisconnectReason = "forced close"
	ReasonPingTimeout               DisconnectReason = "ping timeout"
	ReasonParseError                DisconnectReason = "parse error"
	ReasonServerShuttingDown        DisconnectReason = "server shutting down"
	ReasonForcedServerClose         DisconnectReason = "forced server close"
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect"
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect"
	// ReasonWriteQueueFull: the client did not read fast enough and its
	// connection's outgoing queue overflowed (siogen's own reason).
	ReasonWriteQueueFull DisconnectReason = "write queue full"
	// Client side.
	ReasonIOServerDisconnect DisconnectReason = "io server disconnect"
	ReasonIOClientDisconnect DisconnectReason = "io client disconnect"
)

// reservedEvents cannot be emitted: the protocol uses them.
func checkEmit(event string) error {
	if parser.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	return nil
}
