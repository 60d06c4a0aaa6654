package socketio

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/id"
	"github.com/siogen/siogen/runtime/parser"
)

// conn is one Engine.IO session seen by the Socket.IO server: it decodes
// packets and routes them to the session's sockets, one per namespace
// (Node's Client).
type conn struct {
	srv *Server
	eio engineio.Conn // an *engineio.Session (a benchmark's fake in tests): it honours Frame.Borrowed
	req *http.Request // the handshake request
	dec parser.Decoder

	mu      sync.Mutex
	sockets []*Socket        // one per namespace joined (a few: a list costs less than a map)
	pending []string         // namespaces being joined: from the CONNECT until the socket is admitted or refused
	joined  bool             // a namespace was joined: the connect timeout is over
	reason  DisconnectReason // set when this side closes for a reason of its own
	closed  bool
	timer   *time.Timer // the connect timeout; nil once a namespace is joined
}

// newConn is the engineio.ConnectFunc of the server.
func (s *Server) newConn(es *engineio.Session) engineio.Handler {
	if h := s.attach(es, es.Request()); h != nil {
		return h
	}
	return nil
}

// attach makes the Socket.IO connection of an Engine.IO connection; nil
// when the server is shutting down.
func (s *Server) attach(ec engineio.Conn, req *http.Request) *conn {
	c := &conn{
		srv: s,
		eio: ec,
		req: req,
		dec: s.codec.NewDecoder(parser.DecoderOptions{MaxAttachments: s.opts.MaxAttachments}),
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	t := time.AfterFunc(s.opts.ConnectTimeout, func() {
		c.mu.Lock()
		idle := !c.joined
		c.mu.Unlock()
		if idle {
			c.fail(ReasonTransportClose, errors.New("socketio: no namespace joined within connectTimeout"))
		}
	})
	c.mu.Lock()
	if !c.joined { // a CONNECT may have been handled meanwhile
		c.timer = t
	} else {
		t.Stop()
	}
	c.mu.Unlock()
	return c
}

// HandleMessage decodes one Engine.IO message and acts on the packet.
func (c *conn) HandleMessage(data []byte, binary bool) {
	p, err := c.dec.Add(data, binary)
	if err != nil {
		c.fail(ReasonParseError, err)
		return
	}
	if p == nil { // waiting for attachments
		return
	}
	if p.Type == parser.Connect {
		c.connect(p)
		return
	}
	s := c.socket(p.Namespace)
	if s == nil {
		c.fail(ReasonParseError, fmt.Errorf("socketio: %v packet for namespace %q, which is not joined", p.Type, p.Namespace))
		return
	}
	switch p.Type {
	case parser.Event, parser.BinaryEvent:
		s.onEvent(p)
	case parser.Ack, parser.BinaryAck:
		s.onAck(p)
	case parser.Disconnect:
		s.onclose(ReasonClientNamespaceDisconnect)
	default:
		c.fail(ReasonParseError, fmt.Errorf("socketio: unexpected %v packet from a client", p.Type))
	}
}

// HandleClose disconnects every socket of the session.
func (c *conn) HandleClose(reason engineio.CloseReason, err error) {
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	c.mu.Lock()
	c.stopTimer()
	c.closed = true
	r := c.reason
	c.mu.Unlock()
	if r == "" {
		r = DisconnectReason(reason)
	}
	c.closeSockets(r)
}

// fail closes the session for a reason of this side.
func (c *conn) fail(reason DisconnectReason, err error) {
	c.mu.Lock()
	if c.reason == "" {
		c.reason = reason
	}
	c.mu.Unlock()
	c.srv.opts.Logger.Debug("socketio: closing connection", "sid", c.eio.ID(), "reason", string(reason), "err", err)
	_ = c.eio.Close()
}

// stopTimer ends the connect timeout. c.mu is held.
func (c *conn) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

func (c *conn) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketLocked(nsp)
}

// socketLocked returns the socket of namespace nsp. c.mu is held.
func (c *conn) socketLocked(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

func (c *conn) remove(s *Socket) {
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}

func (c *conn) closeSockets(reason DisconnectReason) {
	c.mu.Lock()
	list := slices.Clone(c.sockets)
	c.mu.Unlock()
	for _, s := range list {
		s.onclose(reason)
	}
}

// disconnectAll disconnects every socket of the connection (each gets a
// DISCONNECT packet), then closes it: Socket.Disconnect(true).
func (c *conn) disconnectAll() {
	c.mu.Lock()
	list := slices.Clone(c.sockets)
	c.reason = ReasonForcedServerClose
	c.mu.Unlock()
	for _, s := range list {
		s.Disconnect(false)
	}
	_ = c.eio.Close()
}

// connectReply is the payload of the server's CONNECT.
type connectReply struct {
	SID string `json:"sid"`
	PID string `json:"pid,omitempty"`
}

// connectErrorPayload is the payload of CONNECT_ERROR.
type connectErrorPayload struct {
	Message string       `json:"message"`
	Data    parser.Value `json:"data,omitempty,omitzero"`
}

// recoveryAuth is what socket.io-client adds to auth to recover a session.
type recoveryAuth struct {
	PID    string `json:"pid"`
	Offset string `json:"offset"`
}

var emptyAuth = parser.ValueOf(struct{}{})

// connect joins the namespace of a CONNECT packet. The namespace's
// middleware runs on a goroutine of its own, as Node's asynchronous ones
// do: a middleware that takes its time holds up neither the connection's
// other namespaces nor its reading. Until it has passed, the namespace is
// not joined, and a packet for it closes the connection, as in Node.
//
// A CONNECT for a namespace the connection has joined or is joining is
// ignored: socket.io-client sends two when socket.connect() is called
// right after manager.socket() on an open connection, and Node, which gets
// both in one read over WebSocket, answers both and keeps the connection.
func (c *conn) connect(p *parser.Packet) {
	name := p.Namespace
	c.mu.Lock()
	again := c.socketLocked(name) != nil || slices.Contains(c.pending, name)
	joined := len(c.sockets) + len(c.pending)
	c.mu.Unlock()
	if again {
		c.srv.opts.Logger.Debug("socketio: CONNECT for a namespace joined already", "sid", c.eio.ID(), "nsp", name)
		return
	}
	auth := emptyAuth
	if len(p.Data) > 0 {
		auth = p.Data[0]
	}
	if joined >= c.srv.opts.MaxNamespaces {
		c.sendConnectError(name, "too many namespaces", parser.Value{})
		return
	}
	nsp := c.srv.lookup(name, auth)
	if nsp == nil {
		c.sendConnectError(name, "Invalid namespace", parser.Value{})
		return
	}
	rec := c.srv.opts.ConnectionStateRecovery
	s := &Socket{
		nsp:       nsp,
		conn:      c,
		id:        id.New(),
		handshake: newHandshake(c.req, auth),
		gone:      make(chan struct{}),
	}
	s.exec.setLimit(c.srv.opts.MaxPendingEvents)
	if c.srv.opts.ConcurrentEvents {
		s.ready = make(chan struct{})
	}
	var r *restore
	if rec != nil {
		s.pid = id.New()
		var ra recoveryAuth
		if len(p.Data) > 0 && auth.Decode(&ra) == nil && ra.PID != "" && ra.Offset != "" {
			r = takeSession(nsp.adapter, ra)
		}
		if r != nil {
			s.id, s.pid, s.data, s.recovered = r.state.SID, r.state.PID, r.state.Data, true
			if h := c.srv.hooks; h != nil && h.taken != nil {
				h.taken(s)
			}
		}
	}
	var chain []Middleware
	if !s.recovered || rec.RunMiddlewares {
		chain = nsp.middlewareChain()
	}
	if len(chain) == 0 {
		c.admit(s, r)
		c.srv.connectDone(nsp)
		return
	}
	c.mu.Lock()
	c.pending = append(c.pending, name)
	c.mu.Unlock()
	go func() {
		err := runMiddleware(s, chain)
		if err == nil {
			if h := c.srv.hooks; h != nil && h.passed != nil {
				h.passed(s)
			}
			c.admit(s, r) // takes name off c.pending
		} else {
			c.mu.Lock()
			c.unpendLocked(name)
			c.mu.Unlock()
			s.leaveAll() // rooms a middleware joined
			// Before the CONNECT_ERROR, so that a client that retries at
			// once, on this connection or another, recovers.
			r.release()
			c.refuse(name, err)
		}
		// Only now is this CONNECT done: a dynamic child it created is
		// dropped if no socket joined it (see Server.connectDone).
		c.srv.connectDone(nsp)
	}()
}

// unpendLocked takes nsp off the namespaces whose middleware runs. c.mu is
// held.
func (c *conn) unpendLocked(nsp string) {
	if i := slices.Index(c.pending, nsp); i >= 0 {
		c.pending = slices.Delete(c.pending, i, i+1)
	}
}

// runMiddleware runs chain for s and returns the first refusal.
func runMiddleware(s *Socket, chain []Middleware) error {
	for _, mw := range chain {
		if err := mw(s); err != nil {
			return err
		}
	}
	return nil
}

// refuse sends the refusal err of a middleware as a CONNECT_ERROR.
func (c *conn) refuse(nsp string, err error) {
	var ce *ConnectError
	if errors.As(err, &ce) {
		c.sendConnectError(nsp, ce.Message, ce.Data)
	} else {
		c.sendConnectError(nsp, err.Error(), parser.Value{})
	}
}

// restore is what a recovering socket brings to its admission.
type restore struct {
	state  SessionState
	offset string
	// resumer is the adapter, when it is a SessionResumer; otherwise
	// missed are the packets RestoreSession returned at CONNECT.
	resumer SessionResumer
	missed  []*parser.Packet
}

// takeSession looks up the session a CONNECT asks to recover; nil when
// there is none to recover. The server then admits the socket, or calls
// release.
func takeSession(a Adapter, ra recoveryAuth) *restore {
	if sr, ok := a.(SessionResumer); ok {
		if st, ok := sr.TakeSession(ra.PID, ra.Offset); ok {
			return &restore{state: st, offset: ra.Offset, resumer: sr}
		}
		return nil
	}
	if st, missed, ok := a.RestoreSession(ra.PID, ra.Offset); ok {
		return &restore{state: st, offset: ra.Offset, missed: missed}
	}
	return nil
}

// release gives back the session of a recovering socket that is not
// admitted, so that its client can retry; a no-op when r is nil, or when
// the adapter is no SessionResumer (RestoreSession consumed the session).
func (r *restore) release() {
	if r != nil && r.resumer != nil {
		r.resumer.ReleaseSession(r.state.PID)
	}
}

// admit connects s, which passed the middleware, to its namespace: unless
// the connection has closed meanwhile, or joined the namespace already. r
// is nil unless s is recovering. The namespace stops being pending in the
// same step as s joins it, so that a CONNECT for it read meanwhile is
// ignored (see connect).
func (c *conn) admit(s *Socket, r *restore) {
	nsp, name := s.nsp, s.nsp.name
	c.mu.Lock()
	c.unpendLocked(name)
	if c.closed || c.socketLocked(name) != nil {
		c.mu.Unlock()
		s.leaveAll() // rooms a middleware joined
		r.release()
		if h := c.srv.hooks; h != nil && h.dropped != nil {
			h.dropped(s)
		}
		return
	}
	c.sockets = append(c.sockets, s)
	nsp.joined.Store(true)
	nsp.members.Add(1) // until its disconnect has run (Socket.onclose)
	c.joined = true
	c.stopTimer()
	s.connected = true
	// One task in the socket's order: join the namespace, send what a
	// recovered socket missed and the CONNECT reply, run the connection
	// handlers. It is queued before the socket can be found (c.mu), so a
	// disconnect or a client event that comes meanwhile is queued after it,
	// and the handlers it registers see it.
	s.exec.run(func() {
		if h := c.srv.hooks; h != nil && h.admitted != nil {
			h.admitted(s)
		}
		switch {
		case s.Connected():
			c.connectSocket(s, r)
		case r != nil:
			// Disconnected before it joined: its disconnect, queued after
			// this task, keeps its state again, rooms included, and the
			// client's offset still tells what it missed.
			nsp.adapter.AddAll(s.id, append([]Room{s.id}, r.state.Rooms...)...)
		}
		for _, fn := range nsp.connectionHandlers() {
			fn(s)
		}
		if s.ready != nil {
			close(s.ready) // events that came meanwhile run now (ConcurrentEvents)
		}
	})
	c.mu.Unlock()
}

// connectSocket connects s to its namespace: s joins its rooms, what it
// missed is queued (a recovered socket), s enters the namespace's list,
// where broadcasts and Namespace.Socket find it, and the CONNECT reply is
// queued. So no live packet comes before a missed one, and one that comes
// before the reply is buffered by the client until it (socket.io-client
// does so): as in Node, the client sees the missed packets, then the
// connection, then the live ones. With a SessionResumer this runs under
// the adapter's lock against the broadcasts it keeps, and the missed
// packets are computed here, at admission, not at CONNECT: each broadcast
// kept since the CONNECT is among them or reaches s live, after the reply.
func (c *conn) connectSocket(s *Socket, r *restore) {
	switch {
	case r == nil:
		c.enter(s, nil, nil, false)
	case r.resumer == nil:
		c.enter(s, r.state.Rooms, r.missed, true)
	case !r.resumer.ResumeSession(r.state, r.offset, func(missed []*parser.Packet) { c.enter(s, r.state.Rooms, missed, true) }):
		// What it missed can no longer be told: a new session, which the
		// client tells from its new private id (socket.recovered false).
		c.srv.opts.Logger.Debug("socketio: recovery window ended before the socket was admitted",
			"sid", c.eio.ID(), "nsp", s.nsp.name, "socket", s.id)
		s.mu.Lock()
		s.recovered = false
		s.mu.Unlock()
		s.pid = id.New()
		c.enter(s, nil, nil, false)
	}
}

// enter is connectSocket's one step: s joins its own room and rooms, the
// packets it missed are queued, it enters the namespace's list and its
// CONNECT reply is queued. recovering tells the test hook.
func (c *conn) enter(s *Socket, rooms []Room, missed []*parser.Packet, recovering bool) {
	nsp := s.nsp
	nsp.adapter.AddAll(s.id, append([]Room{s.id}, rooms...)...)
	if h := c.srv.hooks; h != nil && h.joined != nil && recovering {
		h.joined(s)
	}
	for _, mp := range missed {
		q := *mp
		q.Namespace = nsp.name
		// Not through sendFrames: as in Node, OnAnyOutgoing handlers do
		// not see replayed packets (and no handler runs under the
		// adapter's lock).
		if frames, err := nsp.server.codec.Encode(&q); err == nil {
			_ = c.eio.Send(frames...)
		}
	}
	nsp.add(s)
	_, _ = s.sendPacket(&parser.Packet{Type: parser.Connect, Namespace: nsp.name,
		Data: []parser.Value{parser.ValueOf(connectReply{SID: s.id, PID: s.pid})}}, false)
}

func (c *conn) sendConnectError(nsp, msg string, data parser.Value) {
	frames, err := c.srv.codec.Encode(&parser.Packet{Type: parser.ConnectError, Namespace: nsp,
		Data: []parser.Value{parser.ValueOf(connectErrorPayload{Message: msg, Data: data})}})
	if err == nil {
		_ = c.eio.Send(frames...)
	}
}
