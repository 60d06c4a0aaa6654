package engineio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// A Server is an Engine.IO v4 server. It is an http.Handler: mount it where
// the clients connect (Node's default path is /engine.io/, Socket.IO's
// /socket.io/).
//
// Every new session is passed to the ConnectFunc given to NewServer, which
// returns the Handler that receives the session's messages.
type Server struct {
	opts    Options
	connect ConnectFunc

	mu       sync.RWMutex
	sessions map[string]*Session
	shutdown bool
	all      sync.WaitGroup // two per session: its end, and its removal from sessions
}

// A ConnectFunc is called once per new session, before any of its messages,
// and returns the Handler for them. It must not block; it may call the
// session's Send. If it returns nil the session is closed at once.
type ConnectFunc func(s *Session) Handler

// NewServer returns a server that hands new sessions to connect. opts may be
// nil for the defaults.
func NewServer(connect ConnectFunc, opts *Options) *Server {
	return &Server{
		opts:     opts.withDefaults(),
		connect:  connect,
		sessions: make(map[string]*Session),
	}
}

// Options returns the server's options with defaults applied.
func (s *Server) Options() Options { return s.opts }

// Session returns the live session with the given id, or nil.
func (s *Server) Session(id string) *Session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[id]
}

// Len returns the number of live sessions.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// Shutdown refuses new sessions, closes every session with ReasonForcedClose
// (each gets its queued frames and a close packet where the transport
// allows) and waits until all have ended or ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	list := make([]*Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	for _, ss := range list {
		ss.close(ReasonForcedClose, nil)
		// No final poll for a polling client: its next request gets 400,
		// which tells it as much as a close packet would.
		s.forget(ss)
	}
	done := make(chan struct{})
	go func() {
		s.all.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) forget(ss *Session) {
	s.mu.Lock()
	found := s.sessions[ss.id] == ss
	if found {
		delete(s.sessions, ss.id)
	}
	s.mu.Unlock()
	if found {
		s.all.Done()
	}
}

// ErrorCode is an Engine.IO handshake error code, sent as {"code":N,"message":...}.
type ErrorCode int

// The protocol's error codes.
const (
	CodeTransportUnknown    ErrorCode = 0
	CodeUnknownSID          ErrorCode = 1
	CodeBadHandshakeMethod  ErrorCode = 2
	CodeBadRequest          ErrorCode = 3
	CodeForbidden           ErrorCode = 4
	CodeUnsupportedProtocol ErrorCode = 5
)

var codeMessages = [...]string{
	"Transport unknown",
	"Session ID unknown",
	"Bad handshake method",
	"Bad request",
	"Forbidden",
	"Unsupported protocol version",
}

// Message returns the protocol's message for c.
func (c ErrorCode) Message() string {
	if c >= 0 && int(c) < len(codeMessages) {
		return codeMessages[c]
	}
	return "Unknown error"
}

// ServeHTTP serves Engine.IO requests: handshakes, polls, posts and WebSocket
// upgrades.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Path != "" && !strings.HasPrefix(r.URL.Path, s.opts.Path) {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodOptions {
		s.preflight(w, r)
		return
	}
	isWS := isWebSocketRequest(r)
	q := r.URL.RawQuery
	transport := Transport(queryValue(q, "transport"))
	if (transport != TransportPolling && transport != TransportWebSocket) || !s.opts.allows(transport) {
		s.refuse(w, r, isWS, CodeTransportUnknown, "")
		return
	}
	if !s.originAllowed(r) {
		s.refuse(w, r, isWS, CodeForbidden, "Origin not allowed")
		return
	}
	if (transport == TransportWebSocket) != isWS {
		// A WebSocket transport without an upgrade, or an upgrade for polling.
		s.refuse(w, r, isWS, CodeBadRequest, "")
		return
	}
	sid := queryValue(q, "sid")
	if sid == "" {
		if r.Method != http.MethodGet {
			s.refuse(w, r, isWS, CodeBadHandshakeMethod, "")
			return
		}
		if queryValue(q, "EIO") != "4" {
			s.refuse(w, r, isWS, CodeUnsupportedProtocol, "")
			return
		}
		if s.opts.AllowRequest != nil {
			if err := s.opts.AllowRequest(r); err != nil {
				s.refuse(w, r, isWS, CodeForbidden, err.Error())
				return
			}
		}
		s.handshake(w, r, transport)
		return
	}
	ss := s.Session(sid)
	if ss == nil {
		s.refuse(w, r, isWS, CodeUnknownSID, "")
		return
	}
	if transport == TransportWebSocket {
		s.upgrade(w, r, ss)
		return
	}
	ss.mu.Lock()
	onPolling := ss.transport == TransportPolling
	ss.mu.Unlock()
	if !onPolling {
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.poll(w, r, ss)
	case http.MethodPost:
		s.post(w, r, ss)
	default:
		s.refuse(w, r, false, CodeBadRequest, "")
	}
}

// queryValue is url.ParseQuery(raw).Get(key) without building the map (a
// request is served with three lookups): the first value of key among the
// pairs ParseQuery keeps (it drops those with a semicolon or a bad escape).
func queryValue(raw, key string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := unescapeQuery(k)
		if err != nil || k != key {
			continue
		}
		if v, err = unescapeQuery(v); err == nil {
			return v
		}
	}
	return ""
}

// unescapeQuery is url.QueryUnescape, which it calls only when s has
// something to unescape.
func unescapeQuery(s string) (string, error) {
	if strings.ContainsAny(s, "%+") {
		return url.QueryUnescape(s)
	}
	return s, nil
}

func isWebSocketRequest(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// refuse answers a request that the protocol refuses: the JSON error body,
// or the plain-text one of Node for a WebSocket upgrade request.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, isWS bool, code ErrorCode, msg string) {
	if msg == "" {
		msg = code.Message()
	}
	status := http.StatusBadRequest
	if code == CodeForbidden {
		status = http.StatusForbidden
	}
	h := w.Header()
	if isWS {
		h.Set("Connection", "close")
		h.Set("Content-Type", "text/html")
		h.Set("Content-Length", strconv.Itoa(len(msg)))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg))
		return
	}
	s.setCORSHeaders(w, r)
	body := appendErrorJSON(nil, code, msg)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func appendErrorJSON(b []byte, code ErrorCode, msg string) []byte {
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":`...)
	b = strconv.AppendQuote(b, msg) // ASCII-safe JSON for the messages we send
	return append(b, '}')
}

// newSession registers a new session on transport and runs the connect
// callback. It returns nil when the server is shutting down.
func (s *Server) newSession(r *http.Request, transport Transport) *Session {
	// Kept without net/http's context and body, in a shallow copy: net/http
	// gives every request its own Header and URL and does not touch them
	// after the handler returns, so they are kept as they are rather than
	// deep-copied for every session. A request that has neither (a
	// Listener's) is kept as it is.
	req := r
	if r.Context() != context.Background() || r.Body != http.NoBody {
		req = r.WithContext(context.Background())
		req.Body = http.NoBody
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss := &Session{
		srv:       s,
		req:       req,
		transport: transport,
		wake:      make(chan struct{}, 1),
		pollWake:  make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	// The session is visible (Shutdown, the heartbeat) before it has a
	// handler: whatever would call the handler meanwhile waits on dispatch.
	ss.dispatch.Lock()
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		cancel()
		return nil
	}
	for {
		ss.id = s.opts.NewID()
		if _, taken := s.sessions[ss.id]; !taken {
			break
		}
	}
	s.sessions[ss.id] = ss
	s.all.Add(2) // Done when the session has ended, and when it is forgotten
	s.mu.Unlock()

	ss.queue = append(ss.queue, ControlFrame(PacketOpen, s.openJSON(ss.id, transport)))
	if s.opts.InitialPacket != nil {
		ss.queue = append(ss.queue, TextFrame(s.opts.InitialPacket))
	}
	ss.mu.Lock()
	ss.armTimer(s.opts.PingInterval)
	ss.mu.Unlock()
	h := s.runConnect(ss)
	if h == nil {
		ss.handler = nopHandler{}
		ss.dispatch.Unlock()
		ss.close(ReasonForcedClose, errors.New("engineio: connection refused by the server"))
		return ss
	}
	ss.handler = h
	ss.dispatch.Unlock()
	return ss
}

// runConnect calls the connect callback for ss, whose dispatch lock is
// held. If the callback panics, the session is closed (and the lock let go:
// Shutdown would wait for it forever) before the panic goes on to the HTTP
// server, which logs it.
func (s *Server) runConnect(ss *Session) Handler {
	defer func() {
		if v := recover(); v != nil {
			ss.handler = nopHandler{}
			ss.dispatch.Unlock()
			ss.close(ReasonForcedClose, fmt.Errorf("engineio: the connect callback panicked: %v", v))
			panic(v)
		}
	}()
	return s.connect(ss)
}

// openJSON returns the open packet's JSON, keys in Node's order.
func (s *Server) openJSON(sid string, transport Transport) string {
	upgrades := `[]`
	if transport == TransportPolling && !s.opts.DisableUpgrades && s.opts.allows(TransportWebSocket) {
		upgrades = `["websocket"]`
	}
	b := make([]byte, 0, 128)
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, `","upgrades":`...)
	b = append(b, upgrades...)
	b = append(b, `,"pingInterval":`...)
	b = strconv.AppendInt(b, s.opts.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, s.opts.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, int64(s.opts.MaxHTTPBufferSize), 10)
	return string(append(b, '}'))
}

func (s *Server) handshake(w http.ResponseWriter, r *http.Request, transport Transport) {
	if transport == TransportWebSocket {
		s.serveWebSocket(w, r, nil)
		return
	}
	ss := s.newSession(r, transport)
	if ss == nil {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if ck := s.opts.Cookie; ck != nil {
		c := *ck
		c.Value = ss.id
		http.SetCookie(w, &c)
	}
	// The handshake GET is the session's first poll: it returns the open
	// packet and anything the connect callback queued.
	ss.mu.Lock()
	frames := ss.takeQueue()
	ss.mu.Unlock()
	s.writePayload(w, r, frames)
}

type nopHandler struct{}

func (nopHandler) HandleMessage([]byte, bool)     {}
func (nopHandler) HandleClose(CloseReason, error) {}
