package socketio

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// Handshake describes how a socket connected.
type Handshake struct {
	// Headers of the request that opened the connection.
	Headers http.Header
	// Query of that request.
	Query url.Values
	// Auth is the payload of the client's CONNECT (socket.io-client's auth
	// option); an empty object when it sent none.
	Auth parser.Value
	// Address is the client's IP address.
	Address string
	// Time the connection was made.
	Time time.Time
	// URL is the request target as the client sent it, path and query
	// (Node's handshake.url).
	URL string
	// Secure reports a TLS connection.
	Secure bool
	// XDomain reports a cross-origin request (an Origin header was sent).
	XDomain bool
}

// Issued returns Time in milliseconds since the Unix epoch, as Node's handshake.issued.
func (h Handshake) Issued() int64 { return h.Time.UnixMilli() }

func newHandshake(r *http.Request, auth parser.Value) Handshake {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return Handshake{
		Headers: r.Header,
		Query:   r.URL.Query(),
		Auth:    auth,
		Address: addr,
		Time:    time.Now(),
		URL:     requestURI(r),
		Secure:  r.TLS != nil,
		XDomain: r.Header.Get("Origin") != "",
	}
}

// requestURI is r's target as the client sent it (Node's req.url), or,
// for a request made here, its URL's path and query.
func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// A Socket is one client's connection to one namespace.
type Socket struct {
	nsp       *Namespace
	conn      *conn
	id        string
	pid       string
	handshake Handshake
	exec      executor
	inflight  chan struct{} // ConcurrentEvents: a slot per running event (made by the reader)
	ready     chan struct{} // ConcurrentEvents: closed once the connection handlers have run

	joinMu sync.Mutex // makes Join's count and join one step
	left   bool       // the disconnect took the socket out of its rooms (under joinMu)

	mu          sync.Mutex
	connected   bool
	recovered   bool
	data        any
	handlers    handlerSet
	anyIn       []func(*Event)
	anyOut      []func(event string, args []parser.Value)
	hasAnyOut   atomic.Bool // len(anyOut) > 0, read without the lock per packet
	middleware  []func(*Event) error
	onError     []func(error)
	disconnecti []func(DisconnectReason)
	disconnect  []func(DisconnectReason)
	acks        map[uint64]pendingAck
	gone        chan struct{} // closed on disconnect
}

type pendingAck struct {
	fn   func([]parser.Value)
	stop func() bool
}

// ID returns the socket id (not the Engine.IO session id).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns how the socket connected.
func (s *Socket) Handshake() Handshake { return s.handshake }

// Conn returns the Engine.IO connection the socket travels on.
func (s *Socket) Conn() engineio.Conn { return s.conn.eio }

// Recovered reports whether the socket resumed an earlier one through
// connection state recovery (same id, rooms and data; missed events replayed).
// In a middleware that RunMiddlewares runs, it reports that the socket is
// recovering; it turns false when the socket is admitted if the recovery
// window ended meanwhile and what the socket missed can no longer be told
// (it is then connected as a new session, with its id and data but no rooms).
func (s *Socket) Recovered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recovered
}

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// Data returns the value stored with SetData.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData stores a value with the socket (Node's socket.data): it is
// returned by FetchSockets and kept by connection state recovery.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// On registers fn for the event. Several handlers may be registered; they
// run in order.
func (s *Socket) On(event string, fn func(*Event)) {
	s.mu.Lock()
	s.handlers.add(event, fn)
	s.mu.Unlock()
}

// handlerSet holds a socket's handlers by event name: a list while there are
// few names (a map costs an idle socket a few hundred bytes), a map beyond.
type handlerSet struct {
	list []namedHandlers
	m    map[string][]func(*Event)
}

type namedHandlers struct {
	name string
	fns  []func(*Event)
}

// maxHandlerList is the number of names a handlerSet lists before it maps.
const maxHandlerList = 8

func (h *handlerSet) add(name string, fn func(*Event)) {
	if h.m != nil {
		h.m[name] = append(h.m[name], fn)
		return
	}
	for i := range h.list {
		if h.list[i].name == name {
			h.list[i].fns = append(h.list[i].fns, fn)
			return
		}
	}
	if len(h.list) < maxHandlerList {
		h.list = append(h.list, namedHandlers{name, []func(*Event){fn}})
		return
	}
	h.m = make(map[string][]func(*Event), len(h.list)+1)
	for _, e := range h.list {
		h.m[e.name] = e.fns
	}
	h.m[name] = []func(*Event){fn}
	h.list = nil
}

// remove drops the handlers of name. A dispatch that already got them (get)
// still runs them.
func (h *handlerSet) remove(name string) {
	if h.m != nil {
		delete(h.m, name)
		return
	}
	for i := range h.list {
		if h.list[i].name == name {
			h.list = slices.Delete(h.list, i, i+1)
			return
		}
	}
}

// get returns the handlers of name. The caller must not append to them.
func (h *handlerSet) get(name string) []func(*Event) {
	if h.m != nil {
		return h.m[name]
	}
	for i := range h.list {
		if h.list[i].name == name {
			return h.list[i].fns
		}
	}
	return nil
}

// OnAny registers fn for every incoming event, before the per-event
// middleware (Use) and the event's own handlers, as Node's socket.onAny: it
// sees the events a middleware refuses too.
func (s *Socket) OnAny(fn func(*Event)) {
	s.mu.Lock()
	s.anyIn = append(s.anyIn, fn)
	s.mu.Unlock()
}

// Off removes every handler registered with On for event, as Node's
// socket.off(event) (removeAllListeners): events of that name not yet handed
// to the handlers reach none of them.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	s.handlers.remove(event)
	s.mu.Unlock()
}

// OffAny removes every handler registered with OnAny, as Node's
// socket.offAny().
func (s *Socket) OffAny() {
	s.mu.Lock()
	s.anyIn = nil
	s.mu.Unlock()
}

// OffAnyOutgoing removes every handler registered with OnAnyOutgoing, as
// Node's socket.offAnyOutgoing().
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	s.anyOut = nil
	s.hasAnyOut.Store(false)
	s.mu.Unlock()
}

// OnAnyOutgoing registers fn for every event sent to the socket. It runs
// before the event is queued, except for an event kept for connection
// state recovery, for which it runs once the event is queued: an event fn
// emits then follows it, as their offsets do. Events replayed to a
// recovered socket do not go through it.
func (s *Socket) OnAnyOutgoing(fn func(event string, args []parser.Value)) {
	s.mu.Lock()
	s.anyOut = append(s.anyOut, fn)
	s.hasAnyOut.Store(true)
	s.mu.Unlock()
}

// Use adds a per-event middleware: a non-nil error stops the event (its
// handlers do not run) and is passed to the OnError handlers.
func (s *Socket) Use(fn func(*Event) error) {
	s.mu.Lock()
	s.middleware = append(s.middleware, fn)
	s.mu.Unlock()
}

// OnError registers fn for errors of the per-event middleware.
func (s *Socket) OnError(fn func(error)) {
	s.mu.Lock()
	s.onError = append(s.onError, fn)
	s.mu.Unlock()
}

// OnDisconnecting registers fn to run when the socket is disconnecting,
// while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(DisconnectReason)) {
	s.mu.Lock()
	s.disconnecti = append(s.disconnecti, fn)
	s.mu.Unlock()
}

// OnDisconnect registers fn to run once the socket is disconnected.
func (s *Socket) OnDisconnect(fn func(DisconnectReason)) {
	s.mu.Lock()
	s.disconnect = append(s.disconnect, fn)
	s.mu.Unlock()
}

// Join puts the socket in rooms. When that would put it in more than
// ServerOptions.MaxRoomsPerSocket rooms, it joins none of them and returns
// ErrTooManyRooms. Rooms it is in already, and its own id room, do not
// count as new ones.
//
// A socket whose disconnect has taken it out of its rooms (after its
// OnDisconnecting handlers, before its OnDisconnect ones) joins nothing
// (ErrNotConnected): its rooms would otherwise stay in the adapter after it
// is gone. Until then it may join: the connection handlers that a quick
// disconnect follows do, and OnDisconnecting sees their rooms, as in Node.
// (A socket not connected yet, in a middleware, may join too.)
func (s *Socket) Join(rooms ...Room) error {
	if len(rooms) == 0 {
		return nil
	}
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	if s.left {
		return ErrNotConnected
	}
	if !s.roomsFit(rooms) {
		return ErrTooManyRooms
	}
	s.nsp.adapter.AddAll(s.id, rooms...)
	return nil
}

// leaveAll takes the socket out of every room for good: a Join that came
// before has ended (joinMu), none after joins.
func (s *Socket) leaveAll() {
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	s.nsp.adapter.DelAll(s.id)
	s.left = true
}

// roomsFit reports whether joining rooms keeps the socket within
// MaxRoomsPerSocket, its own id room not counted.
func (s *Socket) roomsFit(rooms []Room) bool {
	limit := s.nsp.server.opts.MaxRoomsPerSocket
	have := s.nsp.adapter.SocketRooms(s.id)
	n := len(have)
	if slices.Contains(have, s.id) {
		n--
	}
	if n+len(rooms) <= limit {
		return true // even if every one is new
	}
	in := make(map[Room]struct{}, len(have)+len(rooms))
	for _, r := range have {
		in[r] = struct{}{}
	}
	for _, r := range rooms {
		if _, ok := in[r]; ok || r == s.id {
			continue
		}
		in[r] = struct{}{}
		if n++; n > limit {
			return false
		}
	}
	return true
}

// Leave takes the socket out of rooms.
func (s *Socket) Leave(rooms ...Room) {
	for _, r := range rooms {
		s.nsp.adapter.Del(s.id, r)
	}
}

// Rooms returns the socket's rooms, its own id room included.
func (s *Socket) Rooms() []Room { return s.nsp.adapter.SocketRooms(s.id) }

// To selects the sockets in rooms, except this one.
func (s *Socket) To(rooms ...Room) *BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is To.
func (s *Socket) In(rooms ...Room) *BroadcastOperator { return s.To(rooms...) }

// Except selects every socket of the namespace but this one and those in rooms.
func (s *Socket) Except(rooms ...Room) *BroadcastOperator { return s.Broadcast().Except(rooms...) }

// Broadcast selects every socket of the namespace but this one.
func (s *Socket) Broadcast() *BroadcastOperator {
	return &BroadcastOperator{nsp: s.nsp, except: []Room{s.id}}
}

// Emit sends an event to the socket. It fails when the socket is
// disconnected or its connection's queue is full (the connection is then
// closed); it does not wait for the client.
//
// With connection state recovery on, the event goes through the adapter to
// the room of the socket's id, as in Node, even once the socket is
// disconnected: it is kept (nil error) and replayed if the client recovers
// the socket, and reaches the recovered socket, which has the same id.
func (s *Socket) Emit(event string, args ...any) error { return s.emit(event, args, false) }

// Volatile returns an emitter whose events are dropped rather than queued
// when the connection cannot take them.
func (s *Socket) Volatile() interface {
	Emit(event string, args ...any) error
} {
	return volatileSocket{s}
}

type volatileSocket struct{ s *Socket }

func (v volatileSocket) Emit(event string, args ...any) error { return v.s.emit(event, args, true) }

func (s *Socket) emit(event string, args []any, volatile bool) error {
	if err := checkEmit(event); err != nil {
		return err
	}
	if s.nsp.server.opts.ConnectionStateRecovery != nil && !volatile {
		// Through the adapter, connected or not, so the event gets an
		// offset and is kept for the socket's recovery, as Node does.
		p := parser.NewEvent(s.nsp.name, event, args...)
		return s.nsp.adapter.Broadcast(p, BroadcastOptions{Rooms: []Room{s.id}, Flags: BroadcastFlags{Local: true}})
	}
	if !s.Connected() {
		return ErrNotConnected
	}
	op := newOutPacket(parser.Event, s.nsp.name, 1+len(args))
	op.p.Data = append(op.p.Data, parser.ValueOf(event))
	for _, a := range args {
		op.p.Data = append(op.p.Data, parser.ValueOf(a))
	}
	return s.sendOut(op, volatile)
}

// EmitWithAck sends an event and waits for the client's acknowledgement
// until ctx ends (ErrAckTimeout) or the socket disconnects (ErrNotConnected).
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) ([]parser.Value, error) {
	if err := checkEmit(event); err != nil {
		return nil, err
	}
	p := parser.NewEvent(s.nsp.name, event, args...)
	p.ID, p.HasID = s.nsp.nextAckID(), true
	ch := make(chan []parser.Value, 1)
	if err := s.registerAck(ctx, p.ID, func(a []parser.Value) { ch <- a }); err != nil {
		return nil, err
	}
	if _, err := s.sendPacket(p, false); err != nil {
		s.dropAck(p.ID)
		return nil, err
	}
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrAckTimeout, ctx.Err())
	case <-s.gone:
		return nil, ErrNotConnected
	}
}

// Disconnect disconnects the socket from its namespace (the client gets
// "io server disconnect" and does not reconnect). With close, the whole
// connection is closed, with every namespace on it.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.conn.disconnectAll()
		return
	}
	if !s.Connected() {
		return
	}
	_, _ = s.sendPacket(&parser.Packet{Type: parser.Disconnect, Namespace: s.nsp.name}, false)
	s.onclose(ReasonServerNamespaceDisconnect)
}

// sendPacket encodes p for this socket alone and queues it. hooked
// reports whether OnAnyOutgoing handlers were given p (see sendFrames).
func (s *Socket) sendPacket(p *parser.Packet, volatile bool) (hooked bool, err error) {
	if ae := s.nsp.server.appendEnc; ae != nil {
		return s.sendLent(ae, p, volatile)
	}
	frames, err := s.nsp.server.codec.Encode(p)
	if err != nil {
		return false, err
	}
	return s.sendFrames(p, frames, volatile)
}

// sendLent is sendPacket encoding into pooled memory, lent to the
// connection (engineio.Frame.Borrowed): a WebSocket writes it before Send
// returns, a queue keeps a copy. Most of an emit's allocation otherwise.
func (s *Socket) sendLent(ae parser.AppendEncoder, p *parser.Packet, volatile bool) (hooked bool, err error) {
	e := encBufs.Get().(*encBuf)
	frames, err := ae.AppendEncode(e.frames[:0], e.buf[:0], p)
	if err != nil || len(frames) == 0 {
		encBufs.Put(e)
		return false, err
	}
	frames[0].Borrowed = true
	hooked, err = s.sendFrames(p, frames, volatile)
	e.buf = frames[0].Data[:0]
	clear(frames) // the attachments are the caller's
	e.frames = frames[:0]
	if cap(e.buf) <= maxEncBuf {
		encBufs.Put(e)
	}
	return hooked, err
}

// An encBuf is the memory of one sendLent.
type encBuf struct {
	buf    []byte
	frames []engineio.Frame
}

var encBufs = sync.Pool{New: func() any { return new(encBuf) }}

// maxEncBuf is the largest encoding buffer put back in encBufs: a rare big
// emit does not make the pool hold its size.
const maxEncBuf = 64 << 10

// An outPacket is an event or ack sent to one socket (Emit, an Event's
// Ack), from a pool: once encoded and queued nothing refers to it — the
// encoder leaves the packet, the connection gets the frames — unless
// OnAnyOutgoing handlers were given its arguments, which they may keep.
// A packet and its data are otherwise an emit's biggest allocation.
type outPacket struct {
	p    parser.Packet
	data [4]parser.Value
}

var outPackets = sync.Pool{New: func() any { return new(outPacket) }}

// newOutPacket returns a pooled packet of type t for namespace nsp, its
// Data empty with room for n elements.
func newOutPacket(t parser.Type, nsp string, n int) *outPacket {
	op := outPackets.Get().(*outPacket)
	op.p = parser.Packet{Type: t, Namespace: nsp, Data: op.data[:0]}
	if n > len(op.data) {
		op.p.Data = make([]parser.Value, 0, n)
	}
	return op
}

// sendOut sends op with sendPacket and puts it back in the pool unless
// OnAnyOutgoing handlers saw it.
func (s *Socket) sendOut(op *outPacket, volatile bool) error {
	hooked, err := s.sendPacket(&op.p, volatile)
	if !hooked {
		clear(op.data[:]) // the arguments are the caller's
		op.p = parser.Packet{}
		outPackets.Put(op)
	}
	return err
}

// sendFrames queues the frames of p (already encoded, maybe shared by a
// broadcast) to the socket's connection, after giving p, an event, to the
// OnAnyOutgoing handlers if there are any: hooked reports whether it did.
func (s *Socket) sendFrames(p *parser.Packet, frames []engineio.Frame, volatile bool) (hooked bool, err error) {
	if s.hasAnyOut.Load() && p.Type == parser.Event {
		s.notifyOutgoing(p)
		hooked = true
	}
	if volatile {
		return hooked, s.conn.eio.SendVolatile(frames...)
	}
	return hooked, s.conn.eio.Send(frames...)
}

// notifyOutgoing runs the OnAnyOutgoing handlers for p, an event.
func (s *Socket) notifyOutgoing(p *parser.Packet) {
	s.mu.Lock()
	out := s.anyOut
	s.mu.Unlock()
	if name, ok := p.EventName(); ok {
		for _, fn := range out {
			fn(name, p.Args())
		}
	}
}

// registerAck keeps fn for the ack with id until it comes, ctx ends or the
// socket disconnects. It fails with ErrNotConnected or ErrTooManyAcks.
func (s *Socket) registerAck(ctx context.Context, id uint64, fn func([]parser.Value)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected {
		return ErrNotConnected
	}
	if len(s.acks) >= s.nsp.server.opts.MaxPendingAcks {
		return ErrTooManyAcks
	}
	if s.acks == nil {
		s.acks = make(map[uint64]pendingAck)
	}
	stop := context.AfterFunc(ctx, func() { s.dropAck(id) })
	s.acks[id] = pendingAck{fn: fn, stop: stop}
	return nil
}

func (s *Socket) dropAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

// onAck hands a client's ACK to whoever waits for it.
func (s *Socket) onAck(p *parser.Packet) {
	s.mu.Lock()
	a, ok := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if ok {
		a.stop()
		a.fn(p.Args())
	}
}

// onEvent queues a client's EVENT for the handlers.
func (s *Socket) onEvent(p *parser.Packet) {
	name, ok := p.EventName()
	if !ok && len(p.Data) > 0 {
		name = string(p.Data[0].Raw()) // a numeric event name
	}
	e := &Event{Name: name, Args: p.Args()}
	if p.HasID {
		e.ackSock, e.ackID = s, p.ID
	}
	if o := &s.nsp.server.opts; o.ConcurrentEvents {
		// At most MaxPendingEvents run at once: the reader waits for a slot,
		// which pauses the reading of the connection, as below.
		if s.inflight == nil {
			s.inflight = make(chan struct{}, o.MaxPendingEvents)
		}
		s.inflight <- struct{}{}
		go func() {
			defer func() { <-s.inflight }()
			<-s.ready // the connection handlers register the event's handlers
			s.dispatch(e)
		}()
		return
	}
	// In the socket's order, waiting while MaxPendingEvents are queued,
	// which pauses the reading of the connection.
	s.exec.wait(task{s: s, e: e})
}

// sendAck sends the ACK packet of an event received by s.
func (s *Socket) sendAck(id uint64, args []any) error {
	op := newOutPacket(parser.Ack, s.nsp.name, len(args))
	op.p.ID, op.p.HasID = id, true
	for _, a := range args {
		op.p.Data = append(op.p.Data, parser.ValueOf(a))
	}
	return s.sendOut(op, false)
}

// dispatch hands an event to the OnAny handlers, then, as Node does, to
// the per-event middleware (which the OnAny handlers see it before, even
// when it refuses it), then to the event's handlers.
func (s *Socket) dispatch(e *Event) {
	s.mu.Lock()
	mw, anyIn, hs, onErr := s.middleware, s.anyIn, s.handlers.get(e.Name), s.onError
	s.mu.Unlock()
	for _, fn := range anyIn {
		fn(e)
	}
	for _, m := range mw {
		if err := m(e); err != nil {
			for _, fn := range onErr {
				fn(err)
			}
			return
		}
	}
	for _, fn := range hs {
		fn(e)
	}
}

// recoverable lists the reasons after which a socket's state is kept.
func recoverable(r DisconnectReason) bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout,
		ReasonServerShuttingDown, ReasonForcedServerClose, ReasonWriteQueueFull:
		return true
	}
	return false
}

// onclose disconnects the socket: it leaves the namespace at once; the
// disconnecting handlers, the leaving of rooms and the disconnect handlers
// follow in the socket's event order.
func (s *Socket) onclose(reason DisconnectReason) {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	close(s.gone)
	acks := s.acks
	s.acks = nil
	s.mu.Unlock()
	for _, a := range acks {
		a.stop()
	}
	s.nsp.remove(s)
	s.conn.remove(s)
	s.exec.run(func() {
		s.mu.Lock()
		ding, dis, data := s.disconnecti, s.disconnect, s.data
		s.mu.Unlock()
		for _, fn := range ding {
			fn(reason)
		}
		if s.nsp.server.opts.ConnectionStateRecovery != nil && recoverable(reason) {
			s.nsp.adapter.PersistSession(SessionState{SID: s.id, PID: s.pid, Rooms: s.Rooms(), Data: data})
		}
		s.nsp.remove(s) // again: the connect task may have added it after the first
		s.leaveAll()
		for _, fn := range dis {
			fn(reason)
		}
		if s.nsp.members.Add(-1) == 0 {
			s.nsp.server.dropIfUnused(s.nsp) // a dynamic child left empty
		}
	})
}

// executor runs tasks one after another, on a goroutine that it holds only
// while there is work: an idle socket costs no goroutine. Server and client
// sockets run their handlers on one.
type executor struct {
	mu      sync.Mutex
	queue   []task
	head    int // queue[head:] are waiting
	running bool
	loopFn  func()        // x.loop, made once (a method value allocates)
	limit   int           // with wait and waitRoom: how many queued tasks make them block
	room    chan struct{} // made by a blocked waiter, closed when the queue shrinks below limit
}

// A task is what an executor runs: fn, or, without an allocation for a
// closure, an incoming event of a server socket.
type task struct {
	fn func()
	s  *Socket
	e  *Event
}

func (t task) run() {
	if t.e != nil {
		t.s.dispatch(t.e)
		return
	}
	t.fn()
}

// setLimit makes wait and waitRoom block while limit tasks are queued.
func (x *executor) setLimit(limit int) { x.limit = limit }

// pending returns how many tasks are waiting. x.mu is held.
func (x *executor) pending() int { return len(x.queue) - x.head }

// roomLocked returns nil when fewer than limit tasks are queued, or else a
// channel closed once that is so. x.mu is held.
func (x *executor) roomLocked() <-chan struct{} {
	if x.limit <= 0 || x.pending() < x.limit {
		return nil
	}
	if x.room == nil {
		x.room = make(chan struct{})
	}
	return x.room
}

// wait queues t like run, but first waits while the queue is full: the
// caller (a connection's reader) is held back, which holds back the peer.
func (x *executor) wait(t task) {
	for {
		x.mu.Lock()
		room := x.roomLocked()
		if room == nil {
			x.enqueueLocked(t)
			return
		}
		x.mu.Unlock()
		<-room
	}
}

// waitRoom waits while the queue is full, like wait, or until done is
// closed; it queues nothing. A client's reader, which queues events while
// it holds the Manager's lock, waits here once it has let go of it.
func (x *executor) waitRoom(done <-chan struct{}) {
	x.mu.Lock()
	room := x.roomLocked()
	x.mu.Unlock()
	if room != nil {
		select {
		case <-room:
		case <-done:
		}
	}
}

func (x *executor) run(fn func()) {
	x.mu.Lock()
	x.enqueueLocked(task{fn: fn})
}

// enqueueLocked queues t and starts the loop if needed; it unlocks x.mu.
func (x *executor) enqueueLocked(t task) {
	if len(x.queue) == cap(x.queue) && x.head >= len(x.queue)/2 && x.head > 0 {
		// A busy executor never empties its queue: reuse the front half
		// that has been run rather than let append grow the array.
		n := copy(x.queue, x.queue[x.head:])
		clear(x.queue[n:])
		x.queue, x.head = x.queue[:n], 0
	}
	x.queue = append(x.queue, t)
	if x.running {
		x.mu.Unlock()
		return
	}
	x.running = true
	if x.loopFn == nil {
		x.loopFn = x.loop
	}
	fn := x.loopFn
	x.mu.Unlock()
	workers.do(fn)
}

func (x *executor) loop() {
	for {
		x.mu.Lock()
		if x.head == len(x.queue) {
			x.running = false
			if cap(x.queue) > 16 { // a burst's queue is not kept
				x.queue = nil
			} else {
				x.queue = x.queue[:0] // its slots were cleared as they ran
			}
			x.head = 0
			x.mu.Unlock()
			return
		}
		t := x.queue[x.head]
		x.queue[x.head] = task{}
		x.head++
		if x.room != nil && x.pending() < x.limit {
			close(x.room)
			x.room = nil
		}
		x.mu.Unlock()
		t.run()
	}
}

// workers keeps a few idle goroutines for executors. A new goroutine starts
// with a small stack that handlers (JSON decoding is deeply recursive) grow
// again at every burst; a kept worker has grown it once. When no worker is
// idle, a new goroutine is started, so a blocked handler never holds up
// others.
var workers = workerPool{max: 256, idleTime: 10 * time.Second}

// A workerPool hands functions to idle goroutines. An idle worker waits on
// its channel alone: no timer per task. A janitor goroutine, running only
// while some worker is idle, ends those that stayed idle for a whole period
// (so a worker ends one to two periods after its last task).
type workerPool struct {
	mu       sync.Mutex
	idle     []idleWorker  // oldest first: do takes from the end
	max      int           // idle workers kept at most
	idleTime time.Duration // the janitor's period
	period   uint64        // the janitor's count of periods
	sweeping bool          // the janitor runs
	live     int           // workers, idle or not
}

// An idleWorker is a worker waiting on ch since the janitor's period `since`.
type idleWorker struct {
	ch    chan func()
	since uint64
}

// do runs fn on an idle worker or a new goroutine.
func (p *workerPool) do(fn func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		ch := p.idle[n-1].ch
		p.idle[n-1] = idleWorker{}
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		ch <- fn
		return
	}
	p.live++
	p.mu.Unlock()
	go p.work(fn)
}

// work runs fn, then waits to be handed more until the janitor sends nil.
func (p *workerPool) work(fn func()) {
	ch := make(chan func())
	defer func() {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
	}()
	for fn != nil {
		fn()
		p.mu.Lock()
		if len(p.idle) >= p.max {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, idleWorker{ch: ch, since: p.period})
		if !p.sweeping {
			p.sweeping = true
			go p.sweep()
		}
		p.mu.Unlock()
		fn = <-ch
	}
}

// sweep is the janitor: once a period it ends the workers that have been
// idle since before the period began, and it ends itself when none is idle.
func (p *workerPool) sweep() {
	t := time.NewTimer(p.idleTime)
	defer t.Stop()
	var done []idleWorker
	for {
		<-t.C
		p.mu.Lock()
		n := 0 // idle is in the order workers went idle: the old ones lead
		for n < len(p.idle) && p.idle[n].since < p.period {
			n++
		}
		done = append(done[:0], p.idle[:n]...)
		rest := copy(p.idle, p.idle[n:])
		clear(p.idle[rest:])
		p.idle = p.idle[:rest]
		p.period++
		last := len(p.idle) == 0
		if last {
			p.sweeping = false
		}
		p.mu.Unlock()
		for _, w := range done {
			w.ch <- nil // w waits on ch: it is no longer listed, so no one else sends
		}
		clear(done)
		if last {
			return
		}
		t.Reset(p.idleTime)
	}
}
