package socketio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogen/siogen/runtime/parser"
)

// Middleware runs when a socket connects to a namespace, before it is
// connected. A non-nil error refuses the connection: the client gets a
// CONNECT_ERROR with the error's message, and the data of a *ConnectError.
// The middleware of a CONNECT run on a goroutine of their own, as Node's
// asynchronous ones: one may take its time (a database lookup) while the
// connection's other namespaces go on.
type Middleware func(s *Socket) error

// NewConnectError returns the error a middleware returns to refuse a
// connection with data for the client (err.data in socket.io-client).
func NewConnectError(message string, data any) *ConnectError {
	return &ConnectError{Message: message, Data: parser.ValueOf(data)}
}

// A Namespace is a communication channel that lets a server split its logic
// over one shared connection ("/" is the main one, "/admin" another). It
// holds its sockets, rooms (through its Adapter), middleware and handlers.
type Namespace struct {
	server  *Server
	name    string
	adapter Adapter
	parent  *parentNamespace // for a dynamic child: the parent it matched
	group   *parentNamespace // for a parent namespace: itself, with its children

	ids atomic.Uint64 // ack ids, shared by emits and broadcasts, as in Node

	// For a dynamic child: the CONNECTs under way that lookup returned it
	// for, whether a socket ever joined it, and the sockets admitted that
	// have not finished disconnecting (see Server.dropIfUnused).
	connecting atomic.Int32
	joined     atomic.Bool
	members    atomic.Int32

	mu          sync.RWMutex
	sockets     map[string]*Socket
	middleware  []Middleware
	onConnect   []func(*Socket)
	onServerEmt map[string]func(e *Event)
}

func newNamespace(s *Server, name string, parent *parentNamespace) *Namespace {
	n := &Namespace{server: s, name: name, parent: parent, sockets: make(map[string]*Socket)}
	n.adapter = s.opts.Adapter(n)
	return n
}

// Name returns the namespace's name ("/chat").
func (n *Namespace) Name() string { return n.name }

// Server returns the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.server }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use adds a middleware. Middleware run in the order added, for every
// socket that connects (for a parent namespace: to any of its children).
func (n *Namespace) Use(fn Middleware) {
	n.mu.Lock()
	n.middleware = append(n.middleware, fn)
	n.mu.Unlock()
}

// OnConnection registers fn for every socket that connects. Handlers run in
// the order registered, right after the CONNECT reply is queued (so what
// they emit follows it) and before any event from the client: register the
// socket's event handlers there. They run in the socket's event goroutine, so
// they may wait for the client's acks; a broadcast made meanwhile by another
// goroutine may miss the rooms the handler is about to join.
func (n *Namespace) OnConnection(fn func(*Socket)) {
	n.mu.Lock()
	n.onConnect = append(n.onConnect, fn)
	n.mu.Unlock()
}

// middlewareChain returns the middleware to run for n: the parent's first.
func (n *Namespace) middlewareChain() []Middleware {
	var out []Middleware
	if n.parent != nil {
		n.parent.Namespace.mu.RLock()
		out = append(out, n.parent.Namespace.middleware...)
		n.parent.Namespace.mu.RUnlock()
	}
	n.mu.RLock()
	out = append(out, n.middleware...)
	n.mu.RUnlock()
	return out
}

func (n *Namespace) connectionHandlers() []func(*Socket) {
	var out []func(*Socket)
	if n.parent != nil {
		n.parent.Namespace.mu.RLock()
		out = append(out, n.parent.Namespace.onConnect...)
		n.parent.Namespace.mu.RUnlock()
	}
	n.mu.RLock()
	out = append(out, n.onConnect...)
	n.mu.RUnlock()
	return out
}

// Socket returns the connected socket with id on this node, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Len returns the number of sockets connected to the namespace on this node.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) socketsByID(ids []string) []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(ids))
	for _, id := range ids {
		if s := n.sockets[id]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (n *Namespace) socketsExcept(except map[string]struct{}) []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for id, s := range n.sockets {
		if _, no := except[id]; !no {
			out = append(out, s)
		}
	}
	return out
}

func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
	}
	n.mu.Unlock()
}

// nextAckID returns the next ack id of the namespace.
func (n *Namespace) nextAckID() uint64 { return n.ids.Add(1) - 1 }

// NextAckID returns a new ack id from the namespace's counter, shared with
// its emits and broadcasts. An adapter calls it to number a broadcast with
// acks that another node asked for, as Node's adapter takes nsp._ids++.
func (n *Namespace) NextAckID() uint64 { return n.nextAckID() }

func (n *Namespace) operator() *BroadcastOperator { return &BroadcastOperator{nsp: n} }

// To selects the sockets in rooms (several calls add up).
func (n *Namespace) To(rooms ...Room) *BroadcastOperator { return n.operator().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...Room) *BroadcastOperator { return n.To(rooms...) }

// Except leaves out the sockets in rooms.
func (n *Namespace) Except(rooms ...Room) *BroadcastOperator { return n.operator().Except(rooms...) }

// Volatile marks the broadcast as droppable for slow sockets.
func (n *Namespace) Volatile() *BroadcastOperator { return n.operator().Volatile() }

// Compress(false) sends the broadcast uncompressed.
func (n *Namespace) Compress(compress bool) *BroadcastOperator {
	return n.operator().Compress(compress)
}

// Local restricts the broadcast to this node.
func (n *Namespace) Local() *BroadcastOperator { return n.operator().Local() }

// Timeout bounds EmitWithAck to every socket of the namespace (Node's
// nsp.timeout(ms)).
func (n *Namespace) Timeout(d time.Duration) *BroadcastOperator { return n.operator().Timeout(d) }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.operator().Emit(event, args...) }

// EmitWithAck sends an event to every socket and collects their answers.
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]AckResult, error) {
	return n.operator().EmitWithAck(ctx, event, args...)
}

// FetchSockets describes every socket of the namespace, on every node.
func (n *Namespace) FetchSockets(ctx context.Context) ([]SocketInfo, error) {
	return n.operator().FetchSockets(ctx)
}

// AllRooms returns the rooms of the namespace that have sockets, on every node.
func (n *Namespace) AllRooms(ctx context.Context) ([]Room, error) { return n.adapter.AllRooms(ctx) }

// SocketsJoin makes every socket join rooms (see BroadcastOperator.SocketsJoin).
func (n *Namespace) SocketsJoin(rooms ...Room) error { return n.operator().SocketsJoin(rooms...) }

// SocketsLeave makes every socket leave rooms.
func (n *Namespace) SocketsLeave(rooms ...Room) error { return n.operator().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket; close also closes their connections.
func (n *Namespace) DisconnectSockets(close bool) error {
	return n.operator().DisconnectSockets(close)
}

// ServerSideEmit sends an event to this namespace on the other nodes of the
// cluster (not to clients). With the memory adapter there are none.
func (n *Namespace) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if err := checkEmit(event); err != nil {
		return err
	}
	return n.adapter.ServerSideEmit(ctx, append([]any{event}, args...), nil)
}

// ServerSideEmitWithAck is ServerSideEmit waiting for every other node's
// answer until ctx ends; it returns the answers received.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([][]parser.Value, error) {
	if err := checkEmit(event); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var out [][]parser.Value
	err := n.adapter.ServerSideEmit(ctx, append([]any{event}, args...), func(a []parser.Value) {
		mu.Lock()
		out = append(out, a)
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	return out, err
}

// OnServerSideEmit registers the handler of an event sent by another node
// with ServerSideEmit. Ack answers it when the sender waits.
func (n *Namespace) OnServerSideEmit(event string, fn func(e *Event)) {
	n.mu.Lock()
	if n.onServerEmt == nil {
		n.onServerEmt = make(map[string]func(*Event))
	}
	n.onServerEmt[event] = fn
	n.mu.Unlock()
}

// DeliverServerSideEmit hands an event from another node to the handler
// registered with OnServerSideEmit. ack is nil when the sender does not
// wait. Adapters call it.
func (n *Namespace) DeliverServerSideEmit(event string, args []parser.Value, ack func(args []any) error) {
	n.mu.RLock()
	fn := n.onServerEmt[event]
	n.mu.RUnlock()
	if fn != nil {
		fn(NewEvent(event, args, ack))
	}
}
