package engineio

import "errors"

// Transport names an Engine.IO transport, as in the "transport" query parameter.
type Transport string

// The transports siogen implements.
const (
	TransportPolling   Transport = "polling"
	TransportWebSocket Transport = "websocket"
)

// CloseReason says why a session or client connection ended. The values are
// the ones Node's engine.io and engine.io-client use, so logs read the same.
type CloseReason string

// Close reasons.
const (
	// ReasonTransportClose: the peer closed the connection, or sent a close packet.
	ReasonTransportClose CloseReason = "transport close"
	// ReasonTransportError: the transport failed (a network error, an aborted
	// poll, a second concurrent poll, a refused request).
	ReasonTransportError CloseReason = "transport error"
	// ReasonPingTimeout: the peer did not answer a ping (server side) or no ping
	// came in time (client side).
	ReasonPingTimeout CloseReason = "ping timeout"
	// ReasonParseError: the peer sent something that is not Engine.IO.
	ReasonParseError CloseReason = "parse error"
	// ReasonForcedClose: this side closed the connection (Close, Shutdown).
	ReasonForcedClose CloseReason = "forced close"
	// ReasonWriteQueueFull: the outgoing queue of a slow peer overflowed.
	ReasonWriteQueueFull CloseReason = "write queue full"
)

// A Handler receives the messages of one connection and its end.
//
// Methods are called from one goroutine at a time, in the order the peer sent
// the packets; a slow method holds back only its own connection. (On a
// WebSocket this package reads itself, HandleMessage runs inside the read of
// the socket, and a close of the session meanwhile closes the socket when it
// returns.) data belongs to the handler: the transport never reuses it.
// HandleClose is called exactly once, after the last HandleMessage.
type Handler interface {
	HandleMessage(data []byte, binary bool)
	HandleClose(reason CloseReason, err error)
}

// Conn is what a server Session and a client connection have in common: the
// layer above (Socket.IO) is written once against it.
type Conn interface {
	// ID returns the Engine.IO session id.
	ID() string
	// Transport returns the transport in use now.
	Transport() Transport
	// Send queues frames to be written in order, all or none: a multi-frame
	// message (a binary Socket.IO event and its attachments) is never
	// interleaved with other frames. It does not wait for the peer. It fails
	// with ErrClosed after the connection ended, or ErrQueueFull when the
	// frames do not fit in the outgoing queue (the connection is then closed
	// with ReasonWriteQueueFull, unless SendVolatile was used). A server's
	// Session accepts a message of any size into an empty queue; a Client
	// refuses one bigger than its whole queue (DialOptions.WriteQueueBytes)
	// with ErrMessageTooLarge, and stays open.
	Send(frames ...Frame) error
	// SendVolatile is Send for frames that may be lost: when the queue is full
	// they are dropped (ErrQueueFull is returned) and the connection stays open.
	SendVolatile(frames ...Frame) error
	// Close ends the connection with ReasonForcedClose, sending a close packet
	// when the transport allows. It is safe to call more than once.
	Close() error
}

// Errors returned by Send, SendVolatile and Close.
var (
	ErrClosed    = errors.New("engineio: connection closed")
	ErrQueueFull = errors.New("engineio: write queue full")
)
