package socketio

import (
	"log/slog"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// ServerOptions configures a Server. The zero value is Node socket.io 4.8's
// defaults: connectTimeout 45 s, the JSON parser, the in-memory adapter, no
// connection state recovery, and the Engine.IO defaults (see engineio.Options).
type ServerOptions struct {
	// Engine configures the Engine.IO layer: heartbeat, transports, CORS,
	// limits. Its Path is ignored; use Path.
	Engine engineio.Options
	// Path, when set, restricts the server to requests under it (404
	// otherwise). Empty serves every request routed to the server, which is
	// what a mux wants: mux.Handle("/socket.io/", srv).
	Path string
	// ConnectTimeout closes a connection that joins no namespace in time.
	// Default 45 s.
	ConnectTimeout time.Duration
	// Parser is the packet codec. Default parser.JSON; parser.MessagePack
	// matches socket.io-msgpack-parser (clients must use it too).
	Parser parser.Codec
	// MaxAttachments bounds the binary attachments of one packet. Default 10.
	MaxAttachments int
	// Adapter makes each namespace's adapter. Default NewMemoryAdapter.
	Adapter AdapterFactory
	// ConnectionStateRecovery, when set, lets a client that lost its
	// connection get back its id, rooms, data and the events it missed.
	ConnectionStateRecovery *RecoveryOptions
	// ConcurrentEvents runs each incoming event's handlers in a goroutine of
	// their own, MaxPendingEvents of them at most per socket. By default the
	// events of one socket are handled one after another, in the order they
	// came.
	ConcurrentEvents bool
	// MaxPendingEvents bounds the events of one socket waiting for its
	// handlers (with ConcurrentEvents, those whose handlers run). When a
	// client sends faster than they run, the reading of its connection
	// pauses until they catch up (its other packets wait too, so a handler
	// that waits for the same client's ack should do so with a deadline).
	// Default 1024.
	MaxPendingEvents int
	// MaxNamespaces bounds the namespaces one connection may join; a CONNECT
	// beyond it is refused with CONNECT_ERROR "too many namespaces".
	// Default 100.
	MaxNamespaces int
	// CleanupEmptyChildNamespaces drops a dynamic namespace (a child of
	// OfRegexp or OfFunc) once its last socket has disconnected, with its
	// adapter, as Node's option of the same name: a server whose clients go
	// through many dynamic namespaces does not keep one for each. The next
	// CONNECT to that name creates it afresh; a Namespace value kept from
	// before no longer reaches its sockets, and the recovery sessions its
	// adapter kept are gone. Off by default, as in Node (a child that no
	// socket ever joined, its middleware having refused every CONNECT, is
	// dropped either way).
	CleanupEmptyChildNamespaces bool
	// MaxPendingAcks bounds the acknowledgements the server waits for from
	// one socket; beyond it EmitWithAck fails with ErrTooManyAcks (and a
	// broadcast with acks leaves that socket out). Default 1024.
	MaxPendingAcks int
	// MaxRoomsPerSocket bounds the rooms one socket may be in, its own id
	// room not counted: a Socket.Join beyond it joins none of its rooms and
	// fails with ErrTooManyRooms, and SocketsJoin leaves out the sockets it
	// would take beyond it. Default 1000; math.MaxInt lifts the bound.
	MaxRoomsPerSocket int
	// Logger receives the server's log lines. Default slog.Default().
	Logger *slog.Logger
}

// RecoveryOptions configures connection state recovery.
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long a disconnected socket's state and
	// the packets it misses are kept. Default 2 minutes.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace middleware for a recovered socket
	// too. By default they are skipped, as Node's skipMiddlewares: true does.
	RunMiddlewares bool
}

func (r *RecoveryOptions) maxDuration() time.Duration {
	if r.MaxDisconnectionDuration <= 0 {
		return 2 * time.Minute
	}
	return r.MaxDisconnectionDuration
}

// Default values of ServerOptions fields.
const (
	DefaultConnectTimeout    = 45 * time.Second
	DefaultMaxPendingEvents  = 1024
	DefaultMaxNamespaces     = 100
	DefaultMaxPendingAcks    = 1024
	DefaultMaxRoomsPerSocket = 1000
)

func (o *ServerOptions) withDefaults() ServerOptions {
	var c ServerOptions
	if o != nil {
		c = *o
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Parser == nil {
		c.Parser = parser.JSON
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = parser.DefaultMaxAttachments
	}
	if c.Adapter == nil {
		c.Adapter = func(nsp *Namespace) Adapter { return NewMemoryAdapter(nsp) }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxPendingEvents <= 0 {
		c.MaxPendingEvents = DefaultMaxPendingEvents
	}
	if c.MaxNamespaces <= 0 {
		c.MaxNamespaces = DefaultMaxNamespaces
	}
	if c.MaxPendingAcks <= 0 {
		c.MaxPendingAcks = DefaultMaxPendingAcks
	}
	if c.MaxRoomsPerSocket <= 0 {
		c.MaxRoomsPerSocket = DefaultMaxRoomsPerSocket
	}
	c.Engine.Path = ""
	if c.Engine.Logger == nil {
		c.Engine.Logger = c.Logger
	}
	return c
}
