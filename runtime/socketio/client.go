package socketio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// ManagerOptions configures a Manager. A nil *ManagerOptions, like the zero
// value, means socket.io-client's defaults: path "/socket.io/", long-polling
// then WebSocket, the JSON parser, reconnection forever with delays from 1 s
// to 5 s randomized by ±50 %, and a 20 s connection timeout.
type ManagerOptions struct {
	// Path is the Socket.IO endpoint on the server. Default "/socket.io/".
	// The path of the URL given to NewManager is not used (a namespace is
	// chosen with Manager.Socket).
	Path string
	// Transports lists the Engine.IO transports, the first one for the
	// handshake. Nil means long-polling, then an upgrade to WebSocket.
	Transports []engineio.Transport
	// Header holds extra HTTP headers sent with every request.
	Header http.Header
	// Query holds extra query parameters sent with every request.
	Query url.Values
	// HTTPClient makes the HTTP requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// Parser is the Socket.IO codec: parser.JSON (the default) or
	// parser.MessagePack for servers that use socket.io-msgpack-parser.
	Parser parser.Codec

	// NoReconnection turns automatic reconnection off: after the connection
	// is lost, sockets stay disconnected until Connect is called again.
	NoReconnection bool
	// ReconnectionAttempts bounds the reconnection attempts made in a row;
	// zero means no bound.
	ReconnectionAttempts int
	// ReconnectionDelay is the delay before the first reconnection attempt,
	// doubled at each following one. Default 1 s.
	ReconnectionDelay time.Duration
	// ReconnectionDelayMax caps the delay between attempts. Default 5 s.
	ReconnectionDelayMax time.Duration
	// RandomizationFactor moves each delay up or down by a random share of
	// itself, at most this one. Zero means 0.5; a negative value means no
	// randomization.
	RandomizationFactor float64
	// Timeout bounds each Engine.IO connection attempt (the handshake).
	// Default 20 s.
	Timeout time.Duration

	// WriteQueueBytes bounds the bytes of the messages queued on the
	// connection and not yet written. A message (an event with its binary
	// attachments) bigger than it can never be sent: Emit and EmitWithAck
	// refuse it with an error wrapping engineio.ErrMessageTooLarge, and the
	// connection stays open. Messages that fit but overflow the queue (the
	// server stopped reading) end the connection; the events buffered while
	// a socket was disconnected, however many, are sent as the queue
	// empties, filling at most half of it (the rest is left to the other
	// sockets), and the socket's emits wait behind them meanwhile. Zero
	// means 8 MiB.
	WriteQueueBytes int
	// ReadLimit bounds the size of each Engine.IO message from the server
	// (an event, or one binary attachment), as a server's maxHttpBufferSize
	// does the other way. A bigger one ends the connection (reason
	// ReasonTransportError; pending acknowledgements fail with an error
	// wrapping engineio.ErrMessageTooLarge), and the Manager reconnects.
	// Zero means 64 MiB (a server may send what its clients accept:
	// socket.io-client takes up to ws's 100 MiB in Node, anything in a
	// browser); a negative value means no limit.
	ReadLimit int64

	// MaxPendingEvents bounds the events of one socket received and waiting
	// for its handlers. When the server sends faster than they run, the
	// reading of the connection pauses until they catch up (the server's
	// write queue then fills: a Node server buffers, a siogen server
	// disconnects a client that stays behind by its WriteQueueSize). Its
	// other packets, acknowledgements too, wait meanwhile: a handler that
	// waits for an acknowledgement should do so with a deadline. Default
	// 1024, as the server's ServerOptions.MaxPendingEvents.
	MaxPendingEvents int
}

// Defaults of ManagerOptions.
const (
	DefaultClientPath            = "/socket.io/"
	DefaultReconnectionDelay     = time.Second
	DefaultReconnectionDelayMax  = 5 * time.Second
	DefaultRandomizationFactor   = 0.5
	DefaultManagerTimeout        = 20 * time.Second
	DefaultClientWriteQueueBytes = 8 << 20
	DefaultClientReadLimit       = 64 << 20
)

// Errors of the client.
var (
	// ErrManagerClosed: the Manager was closed.
	ErrManagerClosed = errors.New("socketio: manager closed")
	// ErrReconnectFailed: the connection could not be (re)established within
	// ManagerOptions.ReconnectionAttempts attempts. It is wrapped with the last
	// attempt's error.
	ErrReconnectFailed = errors.New("socketio: reconnection failed")
)

// A ConnectError is the refusal of a namespace CONNECT (a CONNECT_ERROR
// packet): on the server, what a middleware returns to refuse with data
// (NewConnectError); on the client, the server's refusal, a middleware's
// error or "Invalid namespace".
type ConnectError struct {
	// Message is the error message (err.message on the Node side).
	Message string
	// Data is the error's data (err.data on the Node side), the zero Value
	// when absent.
	Data parser.Value
}

// Error implements error.
func (e *ConnectError) Error() string { return "socketio: connect refused: " + e.Message }

// A Manager is one Engine.IO connection to a Socket.IO server, shared by the
// client sockets of several namespaces, as socket.io-client's Manager. It
// opens the connection when a socket connects, closes it when no socket
// wants to be connected, and reconnects with exponential backoff when it is
// lost, re-connecting every socket's namespace.
//
// Its methods are safe for concurrent use.
type Manager struct {
	url     string
	dial    engineio.DialOptions
	codec   parser.Codec
	timeout time.Duration
	qlimit  int // ManagerOptions.WriteQueueBytes
	recon   bool
	maxAtt  int
	maxPend int // ManagerOptions.MaxPendingEvents
	backoff clientBackoff

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the run loop

	mu      sync.Mutex
	closed  bool
	running bool          // the run loop is running
	conn    *mgrConn      // the open connection, nil when none
	wakeRun chan struct{} // capacity 1: a socket wants a connection now
	sockets map[string]*ClientSocket
	on      mgrHandlers

	exec executor // runs the On… handlers in order
}

// mgrHandlers are the Manager's event handlers. Guarded by Manager.mu.
type mgrHandlers struct {
	open             []func()
	close            []func(DisconnectReason, error)
	errors           []func(error)
	reconnectAttempt []func(int)
	reconnect        []func(int)
	reconnectError   []func(error)
	reconnectFailed  []func()
}

// NewManager returns a Manager for the server at rawURL (http, https, ws or
// wss). It does not connect: ClientSocket.Connect does. opts may be nil.
// A bad URL is reported by Connect.
func NewManager(rawURL string, opts *ManagerOptions) *Manager {
	var o ManagerOptions
	if opts != nil {
		o = *opts
	}
	if o.Path == "" {
		o.Path = DefaultClientPath
	}
	if o.Parser == nil {
		o.Parser = parser.JSON
	}
	if o.ReconnectionDelay <= 0 {
		o.ReconnectionDelay = DefaultReconnectionDelay
	}
	if o.ReconnectionDelayMax <= 0 {
		o.ReconnectionDelayMax = DefaultReconnectionDelayMax
	}
	if o.ReconnectionDelayMax < o.ReconnectionDelay {
		o.ReconnectionDelayMax = o.ReconnectionDelay
	}
	switch {
	case o.RandomizationFactor == 0:
		o.RandomizationFactor = DefaultRandomizationFactor
	case o.RandomizationFactor < 0:
		o.RandomizationFactor = 0
	case o.RandomizationFactor > 1:
		o.RandomizationFactor = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultManagerTimeout
	}
	if o.MaxPendingEvents <= 0 {
		o.MaxPendingEvents = DefaultMaxPendingEvents
	}
	if o.WriteQueueBytes <= 0 {
		o.WriteQueueBytes = DefaultClientWriteQueueBytes
	}
	switch {
	case o.ReadLimit == 0:
		o.ReadLimit = DefaultClientReadLimit
	case o.ReadLimit < 0:
		o.ReadLimit = -1
	}
	m := &Manager{
		url: rawURL,
		dial: engineio.DialOptions{
			HTTPClient: o.HTTPClient,
			Header:     o.Header,
			Query:      o.Query,
			Path:       o.Path,
			Transports: o.Transports,

			WriteQueueBytes: o.WriteQueueBytes,
			ReadLimit:       o.ReadLimit,
		},
		codec:   o.Parser,
		timeout: o.Timeout,
		qlimit:  o.WriteQueueBytes,
		recon:   !o.NoReconnection,
		maxAtt:  max(o.ReconnectionAttempts, 0),
		maxPend: o.MaxPendingEvents,
		backoff: clientBackoff{
			min:    o.ReconnectionDelay,
			max:    o.ReconnectionDelayMax,
			jitter: o.RandomizationFactor,
		},
		wakeRun: make(chan struct{}, 1),
		sockets: make(map[string]*ClientSocket),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Socket returns the client socket of namespace nsp ("/" when empty; a
// leading "/" is added when missing). The same socket is returned for the
// same namespace; opts is used only when the socket is created. The socket
// is not connected: call its Connect method.
func (m *Manager) Socket(nsp string, opts *ClientSocketOptions) *ClientSocket {
	if nsp == "" {
		nsp = "/"
	} else if nsp[0] != '/' {
		nsp = "/" + nsp
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.sockets[nsp]; s != nil {
		return s
	}
	s := newClientSocket(m, nsp, opts)
	m.sockets[nsp] = s
	return s
}

// Close disconnects every socket (their OnDisconnect handlers get
// ReasonIOClientDisconnect), fails their pending acknowledgements, stops
// reconnecting and closes the connection. It waits for the connection's
// goroutines to end, but not for event handlers that are still running.
// Close is safe to call more than once and from a handler.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, s := range m.sockets {
		s.clientDeactivate(ReasonIOClientDisconnect, ErrManagerClosed, true)
	}
	mc := m.conn
	m.conn = nil
	m.mu.Unlock()
	m.cancel()
	if mc != nil {
		mc.intentional.Store(true)
		_ = mc.client.Close()
		<-mc.client.Done()
	}
	m.wg.Wait()
	return nil
}

// mgrEnsureRunning starts the run loop. When it runs already, fresh wakes
// it from a wait between attempts, to dial at once with the backoff reset:
// fresh is for a Connect while no socket was active and there was no
// connection, as socket.io-client's open() once its Manager stopped
// reconnecting. A Connect while the Manager reconnects for other sockets
// keeps its schedule. m.mu must be held.
func (m *Manager) mgrEnsureRunning(fresh bool) {
	if m.running {
		if !fresh {
			return
		}
		select {
		case m.wakeRun <- struct{}{}:
		default:
		}
		return
	}
	m.running = true
	// Drain a stale wake-up.
	select {
	case <-m.wakeRun:
	default:
	}
	m.wg.Add(1)
	go m.mgrRun()
}

// The Manager's On… handlers are called in order, one at a time, on a
// goroutine of the Manager (never from the caller of a method); they may
// call any method of the Manager and its sockets.

// OnOpen registers fn, called each time the connection opens (after each
// successful (re)connection, before the namespaces are connected), as
// socket.io-client's manager "open" event.
func (m *Manager) OnOpen(fn func()) { mgrOn(m, &m.on.open, fn) }

// OnClose registers fn, called each time the open connection ends, with its
// reason and the error that ended it (nil for a clean end: the server or the
// client closed it), as socket.io-client's manager "close" event. A
// reconnection follows when a socket still wants to be connected.
func (m *Manager) OnClose(fn func(reason DisconnectReason, err error)) { mgrOn(m, &m.on.close, fn) }

// OnError registers fn, called with the error of each connection attempt
// that failed, reconnection attempts included, and with the transport error
// that ended an open connection (a failed long-polling request or
// WebSocket, an Engine.IO packet that cannot be parsed, a message over
// ManagerOptions.ReadLimit, an overflow of the write queue), before the
// OnClose of that connection, as socket.io-client's manager "error" event.
// An end without error is not reported here: the server closing the
// connection, a ping timeout, a Socket.IO packet that cannot be parsed
// (OnClose's "parse error", as socket.io-client), or Close and the last
// socket leaving.
func (m *Manager) OnError(fn func(err error)) { mgrOn(m, &m.on.errors, fn) }

// OnReconnectAttempt registers fn, called before each reconnection attempt
// with its number (1 for the first), as socket.io-client's manager
// "reconnect_attempt" event.
func (m *Manager) OnReconnectAttempt(fn func(attempt int)) { mgrOn(m, &m.on.reconnectAttempt, fn) }

// OnReconnect registers fn, called when a reconnection attempt succeeded,
// with the number of attempts it took, as socket.io-client's manager
// "reconnect" event.
func (m *Manager) OnReconnect(fn func(attempt int)) { mgrOn(m, &m.on.reconnect, fn) }

// OnReconnectError registers fn, called with the error of each reconnection
// attempt that failed, as socket.io-client's manager "reconnect_error"
// event.
func (m *Manager) OnReconnectError(fn func(err error)) { mgrOn(m, &m.on.reconnectError, fn) }

// OnReconnectFailed registers fn, called when the Manager gives up after
// ManagerOptions.ReconnectionAttempts attempts, as socket.io-client's
// manager "reconnect_failed" event.
func (m *Manager) OnReconnectFailed(fn func()) { mgrOn(m, &m.on.reconnectFailed, fn) }

// mgrOn adds fn to the handlers hs of m.
func mgrOn[F any](m *Manager, hs *[]F, fn F) {
	m.mu.Lock()
	defer m.mu.Unlock()
	*hs = append(*hs, fn)
}

// mgrEmit calls the handlers *hs with call, in order with the Manager's
// other events, on the Manager's executor. m.mu must be held.
func mgrEmit[F any](m *Manager, hs []F, call func(F)) {
	if len(hs) == 0 {
		return
	}
	hs = slices.Clone(hs)
	m.exec.run(func() {
		for _, h := range hs {
			call(h)
		}
	})
}

// mgrHasActive reports whether a socket wants to be connected. m.mu must be
// held.
func (m *Manager) mgrHasActive() bool {
	for _, s := range m.sockets {
		if s.active {
			return true
		}
	}
	return false
}

// mgrCloseIfIdle closes the connection when no socket wants it any more, as
// socket.io-client does, or ends the wait of a run loop that was to
// reconnect. m.mu must be held.
func (m *Manager) mgrCloseIfIdle() {
	if m.mgrHasActive() {
		return
	}
	if m.conn != nil {
		m.conn.intentional.Store(true)
		_ = m.conn.client.Close()
	} else if m.running {
		// The run loop may wait to reconnect: wake it, to end.
		select {
		case m.wakeRun <- struct{}{}:
		default:
		}
	}
}

// mgrRun opens the connection and keeps it open, with reconnection, while
// a socket is active.
func (m *Manager) mgrRun() {
	defer m.wg.Done()
	attempt := 0  // reconnection attempts made in a row
	wait := false // wait before the next attempt
	var lastErr error
	for {
		if wait {
			m.mu.Lock()
			if m.maxAtt > 0 && attempt >= m.maxAtt {
				err := fmt.Errorf("%w after %d attempts: %w", ErrReconnectFailed, attempt, lastErr)
				m.mgrGiveUp(err)
				mgrEmit(m, m.on.reconnectFailed, func(h func()) { h() })
				m.running = false
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
			t := time.NewTimer(m.backoff.duration(attempt))
			attempt++
			select {
			case <-t.C:
			case <-m.wakeRun: // a fresh Connect (mgrEnsureRunning): try now
				t.Stop()
				attempt, wait = 0, false
			case <-m.ctx.Done():
				t.Stop()
			}
		}
		m.mu.Lock()
		if m.closed || !m.mgrHasActive() {
			m.running = false
			m.mu.Unlock()
			return
		}
		if wait {
			n := attempt
			mgrEmit(m, m.on.reconnectAttempt, func(h func(int)) { h(n) })
		}
		m.mu.Unlock()

		mc, err := m.mgrDial()
		if err != nil {
			m.mu.Lock()
			if m.closed {
				m.running = false
				m.mu.Unlock()
				return
			}
			mgrEmit(m, m.on.errors, func(h func(error)) { h(err) })
			if wait {
				mgrEmit(m, m.on.reconnectError, func(h func(error)) { h(err) })
			}
			lastErr = err
			for _, s := range m.sockets {
				if s.active && !s.connected {
					s.clientConnectFailed(err, !m.recon)
				}
			}
			if !m.recon {
				m.running = false
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
			wait = true
			continue
		}
		m.mu.Lock()
		mgrEmit(m, m.on.open, func(h func()) { h() })
		if wait {
			n := attempt
			mgrEmit(m, m.on.reconnect, func(h func(int)) { h(n) })
		}
		attempt, wait, lastErr = 0, false, nil
		select {
		case <-m.wakeRun: // stale
		default:
		}

		// Connect the namespaces.
		m.mgrCloseIfIdle() // every socket left during the dial
		var active []*ClientSocket
		for _, s := range m.sockets {
			if s.active {
				active = append(active, s)
			}
		}
		for _, s := range active {
			if s.opts.AuthFunc != nil {
				// Its AuthFunc may take its time (a token refresh): the
				// other sockets' CONNECTs do not wait for it, and the
				// loop watches the connection meanwhile.
				m.wg.Add(1)
				go func() {
					defer m.wg.Done()
					s.clientSendConnect(m.ctx, mc)
				}()
			}
		}
		m.mu.Unlock()
		for _, s := range active {
			if s.opts.AuthFunc == nil {
				s.clientSendConnect(m.ctx, mc)
			}
		}

		select {
		case <-mc.closed:
		case <-m.ctx.Done():
			// Close closes the connection and waits for it.
			<-mc.closed
		}
		m.mu.Lock()
		reason, cerr := mc.reason, mc.err
		mgrEmit(m, m.on.close, func(h func(DisconnectReason, error)) { h(reason, cerr) })
		if m.closed {
			m.running = false
			m.mu.Unlock()
			return
		}
		if !m.recon && !mc.intentional.Load() {
			for _, s := range m.sockets {
				if s.active {
					s.clientDeactivate("", fmt.Errorf("%w: connection lost (%s)", ErrNotConnected, mc.reason), false)
				}
			}
			m.running = false
			m.mu.Unlock()
			return
		}
		// Reconnect at once when the connection was closed on purpose (all
		// sockets had left) and a socket wants it again; after a delay
		// otherwise.
		wait = !mc.intentional.Load()
		m.mu.Unlock()
	}
}

// mgrGiveUp fails the sockets still waiting for a connection. m.mu must be
// held.
func (m *Manager) mgrGiveUp(err error) {
	for _, s := range m.sockets {
		if s.active && !s.connected {
			s.clientDeactivate("", err, false)
		}
	}
}

// mgrDial opens an Engine.IO connection and installs it as m.conn.
func (m *Manager) mgrDial() (*mgrConn, error) {
	mc := &mgrConn{
		m:      m,
		dec:    m.codec.NewDecoder(parser.DecoderOptions{}),
		ready:  make(chan struct{}),
		closed: make(chan struct{}),
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.timeout)
	c, err := engineio.Dial(ctx, m.url, mc, &m.dial)
	cancel()
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && m.ctx.Err() == nil {
			err = fmt.Errorf("socketio: connection timeout: %w", err)
		}
		return nil, err
	}
	mc.client = c
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		mc.intentional.Store(true)
		close(mc.ready)
		_ = c.Close()
		<-c.Done()
		return nil, ErrManagerClosed
	}
	m.conn = mc
	close(mc.ready)
	m.mu.Unlock()
	return mc, nil
}

// mgrCheckSize fails for a message that can never fit in the connection's
// write queue (ManagerOptions.WriteQueueBytes), with an error wrapping
// engineio.ErrMessageTooLarge.
func (m *Manager) mgrCheckSize(what string, frames []engineio.Frame) error {
	n := frameBytes(frames)
	if n > m.qlimit {
		return fmt.Errorf("socketio: %s: %w: %d bytes encoded, more than the write queue's %d (ManagerOptions.WriteQueueBytes)",
			what, engineio.ErrMessageTooLarge, n, m.qlimit)
	}
	return nil
}

// mgrSend encodes p and queues it on mc. m.mu must be held.
func (m *Manager) mgrSend(mc *mgrConn, frames []engineio.Frame, volatile bool) error {
	if mc == nil || m.conn != mc {
		return ErrNotConnected
	}
	if volatile {
		return mc.client.SendVolatile(frames...)
	}
	return mc.client.Send(frames...)
}

// mgrConn is the engineio.Handler of one Engine.IO connection.
type mgrConn struct {
	m      *Manager
	client *engineio.Client
	dec    parser.Decoder // used by the connection's reader goroutine only

	ready       chan struct{} // closed once client is set
	closed      chan struct{} // closed after HandleClose
	reason      DisconnectReason
	err         error // the error of HandleClose
	parseError  bool  // set by the reader goroutine before Close
	intentional atomic.Bool
}

// HandleMessage implements engineio.Handler.
func (mc *mgrConn) HandleMessage(data []byte, binary bool) {
	<-mc.ready
	if mc.parseError {
		return
	}
	p, err := mc.dec.Add(data, binary)
	if err != nil {
		mc.parseError = true
		_ = mc.client.Close()
		return
	}
	if p == nil {
		return // waiting for attachments
	}
	m := mc.m
	m.mu.Lock()
	s := m.sockets[p.Namespace]
	if m.conn != mc || s == nil {
		m.mu.Unlock()
		return
	}
	s.clientHandlePacket(mc, p)
	m.mu.Unlock()
	// Backpressure: while the socket's handlers are MaxPendingEvents events
	// behind, read nothing more (the server's writes then wait on TCP).
	s.exec.waitRoom(mc.client.Closing())
}

// HandleClose implements engineio.Handler.
func (mc *mgrConn) HandleClose(reason engineio.CloseReason, err error) {
	<-mc.ready
	r := DisconnectReason(reason)
	switch {
	case mc.parseError:
		r = ReasonParseError
	case reason == engineio.ReasonWriteQueueFull:
		r = ReasonTransportError
	}
	m := mc.m
	m.mu.Lock()
	mc.reason, mc.err = r, err
	if m.conn == mc {
		m.conn = nil
		if err != nil && reason != engineio.ReasonForcedClose {
			// A transport error, which engine.io-client emits before its
			// close: socket.io-client's Manager emits it as its error
			// event, and its sockets whose CONNECT got no reply yet as
			// their connect_error.
			mgrEmit(m, m.on.errors, func(h func(error)) { h(err) })
			for _, s := range m.sockets {
				if s.active && !s.connected {
					s.clientConnectFailed(err, false)
				}
			}
		}
		for _, s := range m.sockets {
			s.clientConnLost(r, err)
		}
	}
	m.mu.Unlock()
	close(mc.closed)
}
