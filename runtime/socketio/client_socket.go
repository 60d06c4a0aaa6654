package socketio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// ClientSocketOptions configures a ClientSocket. A nil *ClientSocketOptions,
// like the zero value, means no auth, no retries and no ack timeout.
type ClientSocketOptions struct {
	// Auth is the CONNECT payload (socket.handshake.auth on the server),
	// usually a map or a struct. Nil sends none.
	Auth any
	// AuthFunc, when set, is called before each CONNECT (the first one and
	// every reconnection) and its result is sent instead of Auth. An error
	// fails the connection: OnConnectError handlers get it and the socket
	// stays disconnected. ctx is the context of the Connect call that sends
	// the CONNECT, or one that ends with Manager.Close. On a reconnection
	// it runs on a goroutine of its own: the Manager's other sockets do not
	// wait for it. AuthFunc must not call Manager.Close.
	AuthFunc func(ctx context.Context) (any, error)
	// Retries, when positive, makes every Emit and EmitWithAck of the socket
	// go through a queue, sent one at a time, each with an acknowledgement
	// request, and re-sent until acknowledged, at most Retries more times
	// (socket.io-client's "retries"). The server must acknowledge every
	// such event. A retried event may be received more than once.
	Retries int
	// AckTimeout, when positive, bounds the wait for each acknowledgement
	// (socket.io-client's "ackTimeout"): EmitWithAck fails with
	// ErrAckTimeout, or the event is re-sent when Retries allows.
	AckTimeout time.Duration
}

// A ClientSocket is a client's connection to one namespace of a Socket.IO
// server, multiplexed with the other namespaces over its Manager's
// connection, as socket.io-client's Socket.
//
// Handlers registered with On, OnAny, OnConnect, OnConnectError and
// OnDisconnect are called one at a time, in the order the server's packets
// arrived, from a goroutine of the socket (never from the caller of a
// method); a handler may call any method of the socket, including
// EmitWithAck, and slow handlers only delay the socket's later events.
//
// Its methods are safe for concurrent use.
type ClientSocket struct {
	m    *Manager
	nsp  string
	opts ClientSocketOptions

	// All below is guarded by m.mu.
	active      bool     // wants to be connected
	connected   bool     // the server accepted the CONNECT
	connectConn *mgrConn // the connection the CONNECT was sent on
	connectTry  uint64   // counts clientSendConnect calls that send
	// connectPending is the connection a CONNECT was sent on whose reply
	// has not come. It outlives a Connect that gave up and Disconnect: a
	// late acceptance is then answered with a DISCONNECT.
	connectPending *mgrConn
	lastErr        error // the last failed attempt's, since the socket was activated
	id             string
	pid            string
	lastOffset     string
	recovered      bool
	waiters        []chan error // Connect calls

	handlers       map[string][]func(*Event)
	anyHandlers    []func(*Event)
	onConnect      []func()
	onConnectError []func(error)
	onDisconnect   []func(DisconnectReason)

	sendBuf []clientOutgoing // emitted while disconnected
	// flushConn is the connection sendBuf is being flushed to, by
	// clientFlushLoop, when it held more than the write queue could take
	// at once: emits join sendBuf behind the others meanwhile. stopFlush
	// ends that goroutine's wait.
	flushConn *mgrConn
	stopFlush context.CancelFunc
	recvBuf   []*parser.Packet // events received before the CONNECT reply
	nextAck   uint64
	acks      map[uint64]*clientAck

	exec executor // runs the handlers in order

	retryQ   []*clientRetry
	retrying bool
}

// clientOutgoing is a buffered packet.
type clientOutgoing struct {
	frames []engineio.Frame
	ack    *clientAck // nil without ack
}

// clientAck is a pending acknowledgement.
type clientAck struct {
	id   uint64
	sent bool // the packet was written to a connection
	ch   chan clientAckResult
}

type clientAckResult struct {
	args []parser.Value
	err  error
}

// clientRetry is an event of the retry queue (ClientSocketOptions.Retries).
type clientRetry struct {
	ctx   context.Context
	event string
	args  []any
	done  chan clientAckResult // nil for Emit
}

func newClientSocket(m *Manager, nsp string, opts *ClientSocketOptions) *ClientSocket {
	s := &ClientSocket{
		m:        m,
		nsp:      nsp,
		handlers: make(map[string][]func(*Event)),
		acks:     make(map[uint64]*clientAck),
	}
	if opts != nil {
		s.opts = *opts
	}
	s.exec.setLimit(m.maxPend)
	return s
}

// Namespace returns the socket's namespace ("/", "/admin"...).
func (s *ClientSocket) Namespace() string { return s.nsp }

// ID returns the socket id the server gave in its CONNECT reply, or "" when
// the socket is not connected.
func (s *ClientSocket) ID() string {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.id
}

// Connected reports whether the socket is connected to its namespace.
func (s *ClientSocket) Connected() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.connected
}

// Recovered reports whether the last connection recovered the previous
// session (connection state recovery): the server kept the socket id, the
// rooms, and sent the events missed while disconnected.
func (s *ClientSocket) Recovered() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.recovered
}

// On registers fn for the server's event named event. Several handlers of
// an event are called in the order they were registered.
func (s *ClientSocket) On(event string, fn func(e *Event)) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.handlers[event] = append(s.handlers[event], fn)
}

// OnAny registers fn for every event of the server; OnAny handlers are
// called before the handlers registered with On.
func (s *ClientSocket) OnAny(fn func(e *Event)) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.anyHandlers = append(s.anyHandlers, fn)
}

// Off removes every handler registered with On for event, as
// socket.io-client's socket.off(event): events of that name not yet handed
// to the handlers reach none of them. (Go functions cannot be compared, so
// there is no removing one handler of several.)
func (s *ClientSocket) Off(event string) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	delete(s.handlers, event)
}

// OffAny removes every handler registered with OnAny, as socket.io-client's
// socket.offAny().
func (s *ClientSocket) OffAny() {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.anyHandlers = nil
}

// OnConnect registers fn, called each time the socket is connected (the
// first time and after each reconnection). Events that arrived before the
// server's CONNECT reply (the missed events of a recovered session) are
// delivered before it, as socket.io-client does.
func (s *ClientSocket) OnConnect(fn func()) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.onConnect = append(s.onConnect, fn)
}

// OnConnectError registers fn, called when a connection attempt fails: with
// a *ConnectError when the server refused the namespace (the socket then
// stays disconnected until Connect is called again) or answered the CONNECT
// without a session id (the socket stays active, waiting, as with
// socket.io-client), or with the transport error of a failed
// (re)connection attempt or of the connection that failed before the server
// answered the socket's CONNECT (as socket.io-client's connect_error on its
// Manager's error event; the Manager then retries, unless reconnection is
// off).
func (s *ClientSocket) OnConnectError(fn func(err error)) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.onConnectError = append(s.onConnectError, fn)
}

// OnDisconnect registers fn, called when a connected socket is
// disconnected, with the reason: ReasonIOServerDisconnect and
// ReasonIOClientDisconnect (no reconnection follows), or a reason of the
// transport ("transport close", "transport error", "ping timeout", "parse
// error"), after which the Manager reconnects.
func (s *ClientSocket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.onDisconnect = append(s.onDisconnect, fn)
}

// Connect connects the socket to its namespace, opening the Manager's
// connection when needed, and returns once the server accepted it. It
// returns a *ConnectError when the server refused the namespace, and the
// context's error when ctx ended first, wrapping the last failed attempt's
// error too when there was one ("context deadline exceeded (last error:
// … connection refused)"); in both cases the socket is left disconnected,
// and a CONNECT already sent is answered with a DISCONNECT if the server
// accepts it later. Failed connection attempts are retried by the Manager
// (see ManagerOptions) and reported to OnConnectError handlers meanwhile;
// with reconnection off, or after the last attempt, Connect returns the
// error. A Connect while the Manager waits to reconnect for other sockets
// joins that schedule; with no socket active, it dials at once.
//
// Once connected, the socket stays connected, reconnecting in the
// background when the connection is lost, until Disconnect, Manager.Close,
// or a disconnection by the server. Connect on a connected socket returns
// nil at once.
func (s *ClientSocket) Connect(ctx context.Context) error {
	m := s.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrManagerClosed
	}
	if s.connected {
		m.mu.Unlock()
		return nil
	}
	ch := make(chan error, 1)
	s.waiters = append(s.waiters, ch)
	if !s.active {
		s.lastErr = nil
	}
	fresh := m.conn == nil && !m.mgrHasActive()
	s.active = true
	mc := m.conn
	m.mgrEnsureRunning(fresh)
	m.mu.Unlock()
	if mc != nil {
		s.clientSendConnect(ctx, mc)
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case err := <-ch:
		return err
	default:
	}
	if i := slices.Index(s.waiters, ch); i >= 0 {
		s.waiters = slices.Delete(s.waiters, i, i+1)
	}
	err := fmt.Errorf("socketio: connect %s: %w", s.nsp, ctx.Err())
	if s.lastErr != nil {
		err = fmt.Errorf("socketio: connect %s: %w (last error: %w)", s.nsp, ctx.Err(), s.lastErr)
	}
	if len(s.waiters) == 0 && !s.connected && s.active {
		s.active = false
		s.connectConn = nil // connectPending stays: see clientHandlePacket
		m.mgrCloseIfIdle()
	}
	return err
}

// Disconnect leaves the namespace: the server is told (a DISCONNECT
// packet, also later if it accepts a CONNECT that was on its way),
// OnDisconnect handlers get ReasonIOClientDisconnect, pending
// acknowledgements fail with ErrNotConnected, and no reconnection follows.
// The Manager's connection is closed when no other socket uses it. Connect
// may be called again later.
func (s *ClientSocket) Disconnect() error {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.connected {
		if frames, err := m.codec.Encode(&parser.Packet{Type: parser.Disconnect, Namespace: s.nsp}); err == nil {
			_ = m.mgrSend(m.conn, frames, false)
		}
	}
	s.clientDeactivate(ReasonIOClientDisconnect,
		fmt.Errorf("%w: %s", ErrNotConnected, ReasonIOClientDisconnect), true)
	m.mgrCloseIfIdle()
	return nil
}

// Emit sends the event with args to the server. args are encoded by the
// Manager's parser; []byte values, also nested in maps, slices and structs,
// travel as binary. While the socket is not connected the event is buffered
// and sent once it is, as socket.io-client does. A connected socket whose
// connection missed the server's heartbeat by the wall clock counts as not
// connected, as in socket.io-client 4.8: after the machine was suspended,
// the ping timer (which runs on the monotonic clock, stopped meanwhile) has
// not fired yet, but the connection is dead; it is ended then as a ping
// timeout (OnDisconnect gets ReasonPingTimeout, and the Manager reconnects)
// and the event is sent after the reconnection. Emit fails for a reserved
// event name, a value the parser cannot encode, an event bigger than
// ManagerOptions.WriteQueueBytes (an error wrapping
// engineio.ErrMessageTooLarge), or after Manager.Close.
func (s *ClientSocket) Emit(event string, args ...any) error {
	if err := checkEmit(event); err != nil {
		return err
	}
	if s.opts.Retries > 0 {
		return s.clientQueueRetry(&clientRetry{ctx: context.Background(), event: event, args: args})
	}
	frames, err := s.clientEncodeEvent(event, args, false, 0)
	if err != nil {
		return err
	}
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrManagerClosed
	}
	s.clientSendOrBuffer(clientOutgoing{frames: frames})
	return nil
}

// A ClientVolatile emits events that may be lost; see ClientSocket.Volatile.
type ClientVolatile struct{ s *ClientSocket }

// Volatile returns an emitter whose events are dropped, without error,
// instead of being buffered or waiting to be written, as socket.io-client's
// socket.volatile drops them when its transport is not writable. An event
// is dropped when:
//   - the socket is not connected (the connection is lost, being
//     reestablished, or the server has not answered the CONNECT yet), or
//     its connection missed the server's heartbeat (see Emit);
//   - the transport is not writable (engineio.Client.Writable): it is
//     writing, over long-polling while a POST is in flight, over WebSocket
//     while a write is under way, or has messages queued to write; or an
//     upgrade to WebSocket holds its writes while the long-poll pauses;
//   - the connection's outgoing queue is full;
//   - the events buffered while the socket was disconnected are still
//     being sent.
//
// So volatile events emitted faster than the transport writes them are
// thinned out, and none is sent late, after others that waited.
// socket.io-client 4.0-4.7 dropped them as well while its socket was not
// connected; 4.8 drops them only while its transport is not writable and
// buffers them otherwise, also during a reconnection (see
// docs/compatibility.md).
func (s *ClientSocket) Volatile() ClientVolatile { return ClientVolatile{s} }

// Emit sends the event with args when the socket is connected and its
// transport writable, and drops it otherwise (see ClientSocket.Volatile).
// It fails only for a reserved name, a value that cannot be encoded, or an
// event bigger than ManagerOptions.WriteQueueBytes.
func (v ClientVolatile) Emit(event string, args ...any) error {
	if err := checkEmit(event); err != nil {
		return err
	}
	s, m := v.s, v.s.m
	frames, err := s.clientEncodeEvent(event, args, false, 0)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if mc := m.conn; s.clientConnected() && s.flushConn == nil && mc != nil && mc.client.Writable() {
		_ = m.mgrSend(mc, frames, true)
	}
	return nil
}

// EmitWithAck sends the event with args and an acknowledgement request and
// returns the server's acknowledgement arguments. Like Emit, the event is
// buffered while the socket is not connected, and refused at once when it
// is bigger than ManagerOptions.WriteQueueBytes. It fails with an error
// wrapping ErrAckTimeout and the context's error when ctx ends (or
// ClientSocketOptions.AckTimeout passes) first, and with an error wrapping
// ErrNotConnected when the socket is disconnected after the event was sent
// (the server cannot acknowledge it any more; with Retries it is re-sent
// after the reconnection instead).
func (s *ClientSocket) EmitWithAck(ctx context.Context, event string, args ...any) ([]parser.Value, error) {
	if err := checkEmit(event); err != nil {
		return nil, err
	}
	if s.opts.Retries > 0 {
		r := &clientRetry{ctx: ctx, event: event, args: args, done: make(chan clientAckResult, 1)}
		if err := s.clientQueueRetry(r); err != nil {
			return nil, err
		}
		select {
		case res := <-r.done:
			return res.args, res.err
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrAckTimeout, ctx.Err())
		}
	}
	return s.clientEmitWithAck(ctx, event, args)
}

// clientEmitWithAck sends one event with an ack request and waits for the ack.
func (s *ClientSocket) clientEmitWithAck(ctx context.Context, event string, args []any) ([]parser.Value, error) {
	if s.opts.AckTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.AckTimeout)
		defer cancel()
	}
	m := s.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrManagerClosed
	}
	a := &clientAck{id: s.nextAck, ch: make(chan clientAckResult, 1)}
	s.nextAck++
	m.mu.Unlock()

	frames, err := s.clientEncodeEvent(event, args, true, a.id)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrManagerClosed
	}
	s.acks[a.id] = a
	s.clientSendOrBuffer(clientOutgoing{frames: frames, ack: a})
	m.mu.Unlock()

	select {
	case r := <-a.ch:
		return r.args, r.err
	case <-ctx.Done():
	}
	m.mu.Lock()
	if s.acks[a.id] == a {
		delete(s.acks, a.id)
		s.sendBuf = slices.DeleteFunc(s.sendBuf, func(o clientOutgoing) bool { return o.ack == a })
	}
	m.mu.Unlock()
	select {
	case r := <-a.ch:
		return r.args, r.err
	default:
	}
	return nil, fmt.Errorf("%w: %w", ErrAckTimeout, ctx.Err())
}

// clientEncodeEvent encodes an event, with the ack id id when withID, and
// checks its size.
func (s *ClientSocket) clientEncodeEvent(event string, args []any, withID bool, id uint64) ([]engineio.Frame, error) {
	p := parser.NewEvent(s.nsp, event, args...)
	p.ID, p.HasID = id, withID
	frames, err := s.m.codec.Encode(p)
	if err != nil {
		return nil, err
	}
	if err := s.m.mgrCheckSize(fmt.Sprintf("event %q", event), frames); err != nil {
		return nil, err
	}
	return frames, nil
}

// clientQueueRetry adds r to the retry queue.
func (s *ClientSocket) clientQueueRetry(r *clientRetry) error {
	// Each try is sent with an ack id: the biggest one bounds its size.
	if _, err := s.clientEncodeEvent(r.event, r.args, true, math.MaxUint64); err != nil {
		return err
	}
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrManagerClosed
	}
	s.retryQ = append(s.retryQ, r)
	if !s.retrying {
		s.retrying = true
		go s.clientRetryLoop()
	}
	return nil
}

// clientRetryLoop sends the events of the retry queue one at a time.
func (s *ClientSocket) clientRetryLoop() {
	m := s.m
	for {
		m.mu.Lock()
		if len(s.retryQ) == 0 {
			s.retrying = false
			m.mu.Unlock()
			return
		}
		r := s.retryQ[0]
		s.retryQ[0] = nil
		s.retryQ = s.retryQ[1:]
		m.mu.Unlock()

		var res clientAckResult
		for try := 0; ; try++ {
			if err := r.ctx.Err(); err != nil {
				res.err = fmt.Errorf("%w: %w", ErrAckTimeout, err)
				break
			}
			res.args, res.err = s.clientEmitWithAck(r.ctx, r.event, r.args)
			if res.err == nil || try >= s.opts.Retries || errors.Is(res.err, ErrManagerClosed) ||
				errors.Is(res.err, engineio.ErrMessageTooLarge) {
				break
			}
			m.mu.Lock()
			gone := !s.active
			m.mu.Unlock()
			if gone && errors.Is(res.err, ErrNotConnected) {
				break // Disconnect
			}
		}
		if r.done != nil {
			r.done <- res
		}
	}
}

// clientSendOrBuffer sends o when the socket is connected, and buffers it
// otherwise, or behind the buffered events still being flushed. m.mu must
// be held.
func (s *ClientSocket) clientSendOrBuffer(o clientOutgoing) {
	if s.clientConnected() && s.flushConn == nil {
		err := s.m.mgrSend(s.m.conn, o.frames, false)
		if err == nil {
			if o.ack != nil {
				o.ack.sent = true
			}
			return
		}
		if !errors.Is(err, engineio.ErrClosed) && !errors.Is(err, ErrNotConnected) {
			// The queue overflowed and the connection is closing: the
			// event is lost with it, as when it is lost in flight.
			if o.ack != nil {
				o.ack.sent = true
			}
			return
		}
	}
	s.sendBuf = append(s.sendBuf, o)
}

// clientConnected reports whether the socket is connected and its
// connection alive, as socket.io-client's emit computes isConnected: a
// connection whose heartbeat is overdue by the wall clock (the machine was
// suspended while the ping timer stood still) is dead, and
// engineio.Client.PingExpired ends it then, with ReasonPingTimeout, which
// the Manager handles as when the timer fires (OnDisconnect, reconnection).
// An event emitted meanwhile is buffered for the reconnection, or dropped
// when volatile, instead of being lost on the dead connection. m.mu must be
// held.
func (s *ClientSocket) clientConnected() bool {
	return s.connected && (s.m.conn == nil || !s.m.conn.client.PingExpired())
}

// clientSendConnect sends the CONNECT packet over mc, unless the socket is
// connected, inactive, or already sent it there.
func (s *ClientSocket) clientSendConnect(ctx context.Context, mc *mgrConn) {
	m := s.m
	m.mu.Lock()
	if !s.active || s.connected || s.connectConn == mc || s.connectPending == mc || m.conn != mc {
		m.mu.Unlock()
		return
	}
	s.connectConn = mc
	s.connectTry++
	try := s.connectTry
	pid, offset := s.pid, s.lastOffset
	m.mu.Unlock()

	auth := s.opts.Auth
	var err error
	if s.opts.AuthFunc != nil {
		auth, err = s.opts.AuthFunc(ctx)
	}
	var frames []engineio.Frame
	if err == nil {
		p := &parser.Packet{Type: parser.Connect, Namespace: s.nsp}
		if data := clientAuthPayload(auth, pid, offset); data != nil {
			p.Data = []parser.Value{parser.ValueOf(data)}
		}
		frames, err = m.codec.Encode(p)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if !s.active || s.connected || s.connectConn != mc || s.connectTry != try || m.conn != mc {
		return // another attempt, or none, is under way
	}
	if err != nil {
		err = fmt.Errorf("socketio: auth of %s: %w", s.nsp, err)
	} else if err = m.mgrSend(mc, frames, false); err == nil {
		s.connectPending = mc
		return
	} else if errors.Is(err, engineio.ErrMessageTooLarge) {
		err = fmt.Errorf("socketio: CONNECT of %s: %w", s.nsp, err)
	} else {
		return // the connection is closing: the reconnection sends it again
	}
	s.clientDispatchConnectError(err)
	s.clientDeactivate("", err, false)
	m.mgrCloseIfIdle()
}

// clientAuthPayload returns the CONNECT payload: auth, with the pid and
// offset of connection state recovery when there is a pid.
func clientAuthPayload(auth any, pid, offset string) any {
	if pid == "" {
		return auth
	}
	out := map[string]any{"pid": pid}
	if offset != "" {
		out["offset"] = offset
	}
	switch a := auth.(type) {
	case nil:
	case map[string]any:
		for k, v := range a {
			out[k] = v
		}
	case map[string]string:
		for k, v := range a {
			out[k] = v
		}
	default:
		var fields map[string]parser.Value
		if parser.ValueOf(auth).Decode(&fields) == nil {
			for k, v := range fields {
				out[k] = v
			}
		}
	}
	return out
}

// clientHandlePacket acts on a packet of the server for this namespace.
// m.mu must be held.
func (s *ClientSocket) clientHandlePacket(mc *mgrConn, p *parser.Packet) {
	m := s.m
	switch p.Type {
	case parser.Connect:
		pending := s.connectPending == mc
		s.connectPending = nil
		if !s.active {
			if pending {
				// Connect gave up, or Disconnect was called, while the
				// CONNECT was on its way: leave the namespace the server
				// has just joined, or it would stay half-open there.
				if frames, err := m.codec.Encode(&parser.Packet{Type: parser.Disconnect, Namespace: s.nsp}); err == nil {
					_ = m.mgrSend(mc, frames, false)
				}
			}
			return
		}
		if s.connected {
			return
		}
		var reply struct {
			SID string `json:"sid"`
			PID string `json:"pid"`
		}
		if len(p.Data) == 0 || p.Data[0].Decode(&reply) != nil || reply.SID == "" {
			// An error for this attempt, as socket.io-client's
			// connect_error; the socket stays active, as there.
			ce := &ConnectError{Message: "invalid CONNECT reply (is the server Socket.IO v3+?)"}
			s.lastErr = ce
			s.clientDispatchConnectError(ce)
			return
		}
		s.connectConn = mc
		s.clientOnConnect(mc, reply.SID, reply.PID)
	case parser.ConnectError:
		if s.connectPending == mc {
			s.connectPending = nil
		}
		if !s.active || s.connected {
			return
		}
		ce := &ConnectError{}
		if len(p.Data) > 0 {
			if msg, ok := p.Data[0].AsString(); ok {
				ce.Message = msg
			} else {
				var e struct {
					Message string       `json:"message"`
					Data    parser.Value `json:"data"`
				}
				_ = p.Data[0].Decode(&e)
				ce.Message, ce.Data = e.Message, e.Data
			}
		}
		s.clientDispatchConnectError(ce)
		s.clientDeactivate("", ce, false)
		m.mgrCloseIfIdle()
	case parser.Event, parser.BinaryEvent:
		if s.connected {
			s.clientDeliver(mc, p)
		} else if s.active {
			if len(s.recvBuf) >= m.maxPend {
				// Before its CONNECT reply a server sends at most what
				// its middleware emitted; this many is a broken server,
				// and this connection's reader (here) cannot wait for
				// the reply that would drain them.
				mc.parseError = true
				_ = mc.client.Close()
				return
			}
			s.recvBuf = append(s.recvBuf, p)
		}
	case parser.Ack, parser.BinaryAck:
		if a := s.acks[p.ID]; a != nil && p.HasID {
			delete(s.acks, p.ID)
			a.ch <- clientAckResult{args: p.Data}
		}
	case parser.Disconnect:
		if !s.active && !s.connected {
			return
		}
		s.clientDeactivate(ReasonIOServerDisconnect,
			fmt.Errorf("%w: %s", ErrNotConnected, ReasonIOServerDisconnect), false)
		m.mgrCloseIfIdle()
	}
}

// clientOnConnect handles the server's CONNECT reply. m.mu must be held.
func (s *ClientSocket) clientOnConnect(mc *mgrConn, sid, pid string) {
	s.id = sid
	s.recovered = pid != "" && pid == s.pid
	// lastOffset stays, also from an earlier session, as in
	// socket.io-client: a session that gets lost before its first event is
	// recovered with it (the server replays what its rooms missed since).
	s.pid = pid
	s.connected = true
	for _, p := range s.recvBuf {
		s.clientDeliver(mc, p)
	}
	s.recvBuf = nil
	s.clientEnqueue(func() {
		s.m.mu.Lock()
		hs := slices.Clone(s.onConnect)
		s.m.mu.Unlock()
		for _, h := range hs {
			h()
		}
	})
	s.clientStopFlush() // none is under way: clientDeactivate and clientConnLost ended it
	if !s.clientFlush(mc) {
		ctx, cancel := context.WithCancel(s.m.ctx)
		s.flushConn, s.stopFlush = mc, cancel
		s.m.wg.Add(1)
		go s.clientFlushLoop(ctx, mc)
	}
	for _, w := range s.waiters {
		w <- nil
	}
	s.waiters = nil
}

// clientFlush sends the buffered events over mc, the socket's connection,
// in order, while they fit in half its write queue: the events of a long
// disconnection may be more than it holds, which the server is not to
// blame for (an overflow would end the connection), and the other half is
// left to what the connection's other sockets send meanwhile. It reports
// whether none is left. m.mu must be held.
func (s *ClientSocket) clientFlush(mc *mgrConn) bool {
	m := s.m
	for len(s.sendBuf) > 0 {
		o := s.sendBuf[0]
		if o.ack == nil || s.acks[o.ack.id] == o.ack { // else timed out meanwhile
			if q := mc.client.Queued(); q > 0 && q+frameBytes(o.frames) > m.qlimit/2 {
				return false // clientFlushLoop waits for room
			}
			err := m.mgrSend(mc, o.frames, true)
			switch {
			case errors.Is(err, engineio.ErrQueueFull):
				return false // clientFlushLoop waits for room
			case errors.Is(err, engineio.ErrClosed) || errors.Is(err, ErrNotConnected):
				return true // sent after the reconnection
			}
			// Sent, or lost (an error Emit has ruled out), as a packet
			// lost in flight: its ack fails with the connection.
			if o.ack != nil {
				o.ack.sent = true
			}
		}
		s.sendBuf[0] = clientOutgoing{}
		s.sendBuf = s.sendBuf[1:]
	}
	s.sendBuf = nil
	return true
}

// clientFlushLoop sends the buffered events that did not fit in mc's write
// queue at once, as it empties, until none is left, the socket is no
// longer connected over mc, or ctx ends (Manager.Close, clientStopFlush).
func (s *ClientSocket) clientFlushLoop(ctx context.Context, mc *mgrConn) {
	m := s.m
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if s.flushConn != mc || ctx.Err() != nil {
			m.mu.Unlock()
			return
		}
		if !s.connected || m.conn != mc || s.clientFlush(mc) {
			s.clientStopFlush()
			m.mu.Unlock()
			return
		}
		// Until the first fits in half the queue, or alone in an empty one
		// (see clientFlush).
		n := min(m.qlimit/2+frameBytes(s.sendBuf[0].frames), m.qlimit)
		m.mu.Unlock()
		if mc.client.WaitQueue(ctx, n) != nil {
			m.mu.Lock()
			if s.flushConn == mc {
				s.clientStopFlush()
			}
			m.mu.Unlock()
			return
		}
	}
}

// frameBytes returns the bytes of frames.
func frameBytes(frames []engineio.Frame) int {
	n := 0
	for _, f := range frames {
		n += len(f.Data)
	}
	return n
}

// clientStopFlush ends a flush of the buffered events under way; those not
// sent stay buffered. m.mu must be held.
func (s *ClientSocket) clientStopFlush() {
	if s.stopFlush != nil {
		s.stopFlush()
	}
	s.flushConn, s.stopFlush = nil, nil
}

// clientDeliver queues the event p for the handlers. m.mu must be held.
func (s *ClientSocket) clientDeliver(mc *mgrConn, p *parser.Packet) {
	name, ok := p.EventName()
	if !ok && len(p.Data) > 0 {
		var f float64 // a numeric event name
		if p.Data[0].Decode(&f) == nil {
			name = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	args := p.Args()
	// The offset of connection state recovery ends the events the server
	// stores, which have no ack request (socket.io-client takes the last
	// argument when it is a string, which the ack callback of an event
	// with one never is).
	if s.pid != "" && !p.HasID && len(args) > 0 {
		if off, ok := args[len(args)-1].AsString(); ok {
			s.lastOffset = off
		}
	}
	var ack func([]any) error
	if p.HasID {
		id, m := p.ID, s.m
		ack = func(args []any) error {
			frames, err := m.codec.Encode(&parser.Packet{Type: parser.Ack, Namespace: s.nsp, ID: id, HasID: true, Data: parser.ValuesOf(args...)})
			if err != nil {
				return err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			if !s.connected {
				return ErrNotConnected
			}
			return m.mgrSend(mc, frames, false)
		}
	}
	e := NewEvent(name, args, ack)
	s.clientEnqueue(func() {
		s.m.mu.Lock()
		anys := slices.Clone(s.anyHandlers)
		hs := slices.Clone(s.handlers[name])
		s.m.mu.Unlock()
		for _, h := range anys {
			h(e)
		}
		for _, h := range hs {
			h(e)
		}
	})
}

// clientConnLost handles the loss of the connection, which ended with err
// (nil for a clean end). m.mu must be held.
func (s *ClientSocket) clientConnLost(reason DisconnectReason, err error) {
	s.connectConn, s.connectPending = nil, nil
	s.clientStopFlush()
	if !s.connected {
		return
	}
	s.connected = false
	s.id = ""
	ackErr := fmt.Errorf("%w: %s", ErrNotConnected, reason)
	if err != nil {
		ackErr = fmt.Errorf("%w: %s: %w", ErrNotConnected, reason, err)
	}
	s.clientFailAcks(ackErr, false)
	s.clientDispatchDisconnect(reason)
}

// clientConnectFailed reports a failed connection attempt; final means no
// more attempts follow. m.mu must be held.
func (s *ClientSocket) clientConnectFailed(err error, final bool) {
	s.lastErr = err
	s.clientDispatchConnectError(err)
	if final {
		s.clientDeactivate("", err, false)
	}
}

// clientDeactivate disconnects the socket for good (until Connect): Connect
// calls return err, pending acknowledgements of sent events fail (all of
// them when all is set, with the retry queue), and OnDisconnect handlers
// get reason if the socket was connected and reason is not empty. m.mu must
// be held.
func (s *ClientSocket) clientDeactivate(reason DisconnectReason, err error, all bool) {
	wasConnected := s.connected
	s.active, s.connected = false, false
	s.connectConn = nil
	s.clientStopFlush()
	s.id = ""
	s.recvBuf = nil
	for _, w := range s.waiters {
		w <- err
	}
	s.waiters = nil
	s.clientFailAcks(err, all)
	if all {
		s.sendBuf = slices.DeleteFunc(s.sendBuf, func(o clientOutgoing) bool { return o.ack != nil })
		for _, r := range s.retryQ {
			if r.done != nil {
				r.done <- clientAckResult{err: err}
			}
		}
		s.retryQ = nil
	}
	if wasConnected && reason != "" {
		s.clientDispatchDisconnect(reason)
	}
}

// clientFailAcks fails the pending acknowledgements of sent events, or all
// of them. m.mu must be held.
func (s *ClientSocket) clientFailAcks(err error, all bool) {
	for id, a := range s.acks {
		if a.sent || all {
			delete(s.acks, id)
			a.ch <- clientAckResult{err: err}
		}
	}
}

func (s *ClientSocket) clientDispatchDisconnect(reason DisconnectReason) {
	s.clientEnqueue(func() {
		s.m.mu.Lock()
		hs := slices.Clone(s.onDisconnect)
		s.m.mu.Unlock()
		for _, h := range hs {
			h(reason)
		}
	})
}

func (s *ClientSocket) clientDispatchConnectError(err error) {
	s.clientEnqueue(func() {
		s.m.mu.Lock()
		hs := slices.Clone(s.onConnectError)
		s.m.mu.Unlock()
		for _, h := range hs {
			h(err)
		}
	})
}

// clientEnqueue queues fn for the socket's handler goroutine. m.mu is held,
// which keeps the order of calls made from different goroutines.
func (s *ClientSocket) clientEnqueue(fn func()) { s.exec.run(fn) }
