package socketio

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// A Server is a Socket.IO v5 server. It is an http.Handler: mount it where
// clients connect, by default /socket.io/ on any mux.
//
//	srv := socketio.NewServer(nil)
//	srv.Of("/").OnConnection(func(s *socketio.Socket) {
//		s.On("hello", func(e *socketio.Event) { e.Ack("world") })
//	})
//	http.Handle("/socket.io/", srv)
type Server struct {
	opts  ServerOptions
	codec parser.Codec
	// appendEnc is codec when it can encode into pooled memory (both of
	// package parser's can); nil otherwise.
	appendEnc parser.AppendEncoder
	eio       *engineio.Server

	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*parentNamespace
	closing bool
	conns   map[*conn]struct{}

	hooks *recoveryHooks // tests only
}

// NewServer returns a server; opts may be nil for the defaults.
func NewServer(opts *ServerOptions) *Server {
	o := opts.withDefaults()
	s := &Server{
		opts:  o,
		codec: o.Parser,
		nsps:  make(map[string]*Namespace),
		conns: make(map[*conn]struct{}),
	}
	s.appendEnc, _ = o.Parser.(parser.AppendEncoder)
	s.eio = engineio.NewServer(s.newConn, &o.Engine)
	s.Of("/")
	return s
}

// ServeHTTP serves the Engine.IO requests of Socket.IO clients.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Path != "" && !strings.HasPrefix(r.URL.Path, s.opts.Path) {
		http.NotFound(w, r)
		return
	}
	s.eio.ServeHTTP(w, r)
}

// Listener returns a listener for an http.Server that serves the WebSocket
// handshakes of s's clients itself, without net/http, under the server's
// Path (default "/socket.io/"), and passes every other connection on to the
// http.Server, whose Handler must serve s as well (polling, and what the
// listener leaves to net/http). See engineio.Listener for what it takes and
// what it costs. For more servers on one port, give the listener their
// engines: l.Handle("/admin/", admin.Engine()).
//
//	ln, err := engineio.Listen("tcp", ":3000") // or net.Listen
//	...
//	http.Handle("/socket.io/", srv)
//	err = http.Serve(srv.Listener(ln), nil)
func (s *Server) Listener(ln net.Listener) *engineio.Listener {
	path := s.opts.Path
	if path == "" {
		path = "/socket.io/"
	}
	l := engineio.NewListener(ln)
	l.Handle(path, s.eio)
	return l
}

// Engine returns the Engine.IO server underneath.
func (s *Server) Engine() *engineio.Server { return s.eio }

// Codec returns the packet codec in use.
func (s *Server) Codec() parser.Codec { return s.codec }

// Of returns the namespace called name ("/chat"), creating it if needed.
// A name without a leading slash gets one.
func (s *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nsps[name]; ok {
		return n
	}
	n := newNamespace(s, name, nil)
	s.nsps[name] = n
	return n
}

// OfFunc declares dynamic namespaces: a client connecting to a namespace that
// does not exist yet creates it when match(name, auth) returns true. The
// returned ParentNamespace holds the middleware, handlers and broadcasts of
// all of them. A child that no socket has joined (its middleware refused
// every CONNECT) is dropped again; one that a socket joined stays.
func (s *Server) OfFunc(match func(name string, auth parser.Value) bool) *ParentNamespace {
	p := &parentNamespace{match: match}
	s.mu.Lock()
	p.Namespace = newNamespace(s, "/_"+strconv.Itoa(len(s.parents)), nil)
	p.Namespace.group = p
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p.Namespace
}

// OfRegexp declares dynamic namespaces whose names match re, like Node's
// io.of(/^\/dyn-\w+$/).
func (s *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ parser.Value) bool { return re.MatchString(name) })
}

// ParentNamespace is the namespace that groups dynamic namespaces. Its
// middleware and connection handlers apply to each child; its broadcasts
// reach the sockets of every child.
type ParentNamespace = Namespace

type parentNamespace struct {
	*Namespace
	match    func(string, parser.Value) bool
	mu       sync.Mutex
	children []*Namespace
}

// lookup returns the namespace a CONNECT for name joins, creating a dynamic
// child when a parent matches.
func (s *Server) lookup(name string, auth parser.Value) *Namespace {
	s.mu.RLock()
	n := s.nsps[name]
	if n != nil && n.parent != nil {
		n.connecting.Add(1) // under the lock, which connectDone takes to drop n
	}
	parents := s.parents
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	for _, p := range parents {
		if !p.match(name, auth) {
			continue
		}
		s.mu.Lock()
		if n := s.nsps[name]; n != nil { // created meanwhile
			n.connecting.Add(1)
			s.mu.Unlock()
			return n
		}
		child := newNamespace(s, name, p)
		child.connecting.Add(1)
		s.nsps[name] = child
		s.mu.Unlock()
		p.mu.Lock()
		p.children = append(p.children, child)
		p.mu.Unlock()
		return child
	}
	return nil
}

// connectDone ends a CONNECT that lookup returned n for. A dynamic child
// that no socket has joined is dropped when no other CONNECT for it is under
// way: it was created by CONNECTs that were all refused, and a peer could
// otherwise make the server create namespaces without end (about 600 bytes
// each, a subscription each with an adapter for several nodes) with
// CONNECTs that its middleware refuses. One that a socket joined stays, as
// in Node.
func (s *Server) connectDone(n *Namespace) {
	if n.parent == nil || n.connecting.Add(-1) != 0 {
		return
	}
	s.dropIfUnused(n)
}

// dropIfUnused drops n, a dynamic child, when no CONNECT for it is under way
// and no socket is in it, and either no socket ever joined it or
// ServerOptions.CleanupEmptyChildNamespaces is set. Its adapter is closed.
func (s *Server) dropIfUnused(n *Namespace) {
	unused := func() bool {
		return n.connecting.Load() == 0 && n.members.Load() == 0 &&
			(!n.joined.Load() || s.opts.CleanupEmptyChildNamespaces)
	}
	if n.parent == nil || !unused() {
		return
	}
	s.mu.Lock()
	if s.closing || !unused() || s.nsps[n.name] != n {
		s.mu.Unlock()
		return
	}
	delete(s.nsps, n.name)
	s.mu.Unlock()
	p := n.parent
	p.mu.Lock()
	if i := slices.Index(p.children, n); i >= 0 {
		p.children = slices.Delete(p.children, i, i+1)
	}
	p.mu.Unlock()
	_ = n.adapter.Close()
}

// Namespaces returns the names of the namespaces, dynamic children included.
func (s *Server) Namespaces() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.nsps))
	for name := range s.nsps {
		out = append(out, name)
	}
	return out
}

// OnConnection registers fn for sockets connecting to the main namespace "/".
func (s *Server) OnConnection(fn func(*Socket)) { s.Of("/").OnConnection(fn) }

// Use adds a middleware to the main namespace "/".
func (s *Server) Use(fn Middleware) { s.Of("/").Use(fn) }

// To selects the sockets of the main namespace in rooms.
func (s *Server) To(rooms ...Room) *BroadcastOperator { return s.Of("/").To(rooms...) }

// In is To.
func (s *Server) In(rooms ...Room) *BroadcastOperator { return s.To(rooms...) }

// Except selects the sockets of the main namespace not in rooms.
func (s *Server) Except(rooms ...Room) *BroadcastOperator { return s.Of("/").Except(rooms...) }

// Volatile selects the sockets of the main namespace for an event that may be
// dropped for those that cannot take it now.
func (s *Server) Volatile() *BroadcastOperator { return s.Of("/").Volatile() }

// Timeout bounds EmitWithAck to the sockets of the main namespace (Node's
// io.timeout(ms)).
func (s *Server) Timeout(d time.Duration) *BroadcastOperator { return s.Of("/").Timeout(d) }

// Emit sends an event to every socket of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.Of("/").Emit(event, args...) }

// Shutdown disconnects every socket ("server shutting down"), closes the
// adapters and the Engine.IO sessions, and waits until they have ended or
// ctx is done. It does not stop the http.Server the handler is mounted on.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	nsps := make([]*Namespace, 0, len(s.nsps)+len(s.parents))
	for _, n := range s.nsps {
		nsps = append(nsps, n)
	}
	for _, p := range s.parents {
		nsps = append(nsps, p.Namespace) // its adapter too (a Redis adapter subscribes)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeSockets(ReasonServerShuttingDown)
	}
	err := s.eio.Shutdown(ctx)
	for _, n := range nsps {
		_ = n.adapter.Close()
	}
	return err
}
