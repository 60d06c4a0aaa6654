package engineio

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// A Listener is a net.Listener for an http.Server that serves the WebSocket
// handshakes of Engine.IO servers itself. Of each connection that the
// listener underneath accepts, it reads the first request's head: a
// WebSocket handshake for one of its servers (a GET under the path the
// server was given to Handle, with transport=websocket, on a plain TCP
// socket, without permessage-deflate) is served by that server there and
// then, without net/http; any other connection is returned by Accept, with
// the bytes read so far, for the http.Server to serve as usual.
//
//	ln, err := Listen("tcp", ":3000") // or net.Listen
//	...
//	l := engineio.NewListener(ln)
//	l.Handle("/engine.io/", eio)
//	mux.Handle("/engine.io/", eio) // polling, and what the listener leaves
//	err = http.Serve(l, mux)
//
// It is what Node's engine.io does with the "upgrade" event of its
// http.Server. The point is cost: net/http gives every connection two 4 KiB
// buffers, a goroutine with a grown stack and two contexts, and a hijacked
// connection's buffers are garbage; a WebSocket connect through a Listener
// costs about a fifth less server CPU (bench/README.md).
//
// The handshakes it takes do not go through the http.Server's Handler, its
// middleware or its hooks (ConnState, ConnContext, timeouts): vet them with
// Options.AllowRequest and CORS, which both paths apply. Until its first
// head has come, a connection is held at most 10 s, then passed on as it
// is; until its first bytes have come, it holds no buffer. Closing the
// Listener closes the one underneath and the connections it holds; the
// WebSocket sessions it started belong to their servers and end with
// Server.Shutdown.
//
// On Linux, when ln is a TCP listener, NewListener sets TCP_DEFER_ACCEPT on
// it (nginx's "deferred"): the kernel hands a connection over only once its
// first bytes have come, which saves a wake-up and a read per connection,
// and holds one that sends nothing for about 10 s (15 s: its SYN-ACK
// retransmission steps) before handing it over all the same. HTTP clients
// speak first, so only silent connections see a difference: while the
// kernel holds one, closing the Listener does not close it (the peer learns
// of it when it sends).
type Listener struct {
	ln     net.Listener
	conns  chan net.Conn // for Accept
	done   chan struct{} // closed by Close
	failed chan struct{} // closed when ln fails; err says why
	err    error

	mu     sync.Mutex
	routes []route               // longest path first
	held   map[net.Conn]struct{} // being read; closed by Close
	closed bool
	once   sync.Once
}

// route is a server of a Listener and the path it serves.
type route struct {
	path string
	s    *Server
}

// NewListener returns a Listener that accepts from ln; it serves no
// handshake until Handle gives it a server.
func NewListener(ln net.Listener) *Listener {
	l := &Listener{
		ln:     ln,
		conns:  make(chan net.Conn),
		done:   make(chan struct{}),
		failed: make(chan struct{}),
		held:   make(map[net.Conn]struct{}),
	}
	deferAccept(ln, headTimeout)
	go l.acceptLoop()
	return l
}

// Handle makes the listener serve the WebSocket handshakes whose URL path
// starts with path ("" for any) with s. Of several paths that match, the
// longest wins.
func (l *Listener) Handle(path string, s *Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.routes = append(l.routes, route{path, s})
	slices.SortStableFunc(l.routes, func(a, b route) int { return len(b.path) - len(a.path) })
}

// Addr returns the address of the listener underneath.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// headTimeout bounds the wait for a connection's first request head (a
// variable for the tests).
var headTimeout = 10 * time.Second

// headBufSize is the largest request head the listener reads; a longer one
// goes to net/http (whose limit is 1 MB).
const headBufSize = 4 << 10

var headBufs = sync.Pool{New: func() any { b := make([]byte, headBufSize); return &b }}

// Accept returns the next connection that is not a WebSocket handshake of
// the server.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.failed:
		return nil, l.err
	}
}

// Close closes the underlying listener and the connections whose first
// request has not been read yet.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		for c := range l.held {
			_ = c.Close()
		}
		l.mu.Unlock()
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

// acceptLoop accepts connections until ln fails. Temporary errors (too
// many open files) are retried after a pause, as net/http does.
func (l *Listener) acceptLoop() {
	var pause time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(pause):
					continue
				case <-l.done:
				}
			}
			l.err = err
			close(l.failed)
			return
		}
		pause = 0
		if !l.hold(c) {
			_ = c.Close()
			continue
		}
		go l.serve(c)
	}
}

// hold records c as being read; false once the listener is closed.
func (l *Listener) hold(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.held[c] = struct{}{}
	return true
}

// release forgets c; false when Close has closed it meanwhile.
func (l *Listener) release(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, c)
	return !l.closed
}

// serve reads c's first request head and serves it when it is a WebSocket
// handshake of the server; otherwise passes c on to Accept.
func (l *Listener) serve(c net.Conn) {
	sc, ok := plainSocket(c)
	if !ok {
		l.release(c)
		l.pass(c, nil)
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(headTimeout))
	bp, n, rerr := firstRead(sc)
	buf := *bp
	var r *http.Request
	var srv *Server
	end := -1
	for {
		if !bytes.HasPrefix(buf[:n], []byte("GET ")[:min(n, 4)]) {
			break
		}
		if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 {
			end = i + 4
			break
		}
		if rerr != nil || n == len(buf) {
			break
		}
		var m int
		m, rerr = c.Read(buf[n:])
		n += m
	}
	if end >= 0 && asksWebSocket(buf[:end]) {
		if r, _ = parseHead(buf[:end]); r != nil {
			if srv = l.server(r); srv == nil {
				r = nil
			}
		}
	}
	if r == nil {
		end = 0 // net/http reads it all again
	}
	rest := append([]byte(nil), buf[end:n]...)
	headBufs.Put(bp)
	_ = c.SetReadDeadline(time.Time{})
	if !l.release(c) {
		return // closed by Close
	}
	if r == nil {
		if n == 0 && rerr != nil && !isTimeout(rerr) {
			_ = c.Close() // gone before a byte
			return
		}
		l.pass(c, rest)
		return
	}
	r.RemoteAddr = c.RemoteAddr().String()
	w := &directWriter{c: c, rest: rest}
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				srv.opts.Logger.Error("engineio: panic serving a WebSocket handshake",
					"remote", r.RemoteAddr, "panic", v, "stack", string(debug.Stack()))
			}
			if w.taken {
				_ = w.c.Close() // nobody else will
				return
			}
		}
		w.finish()
	}()
	srv.ServeHTTP(w, r)
}

// firstRead waits until c has sent something, or has ended or failed, or
// its read deadline has passed, and reads it into a head buffer: a crowd of
// connections that send nothing holds no buffers, their goroutines only.
func firstRead(c syscall.Conn) (bp *[]byte, n int, err error) {
	var res sysResult
	rc, err := c.SyscallConn()
	if err == nil {
		err = rc.Read(func(fd uintptr) bool { return readPooled(fd, &headBufs, &bp, &res) })
	}
	if err == nil {
		err = res.readErr()
	}
	if bp == nil {
		bp = headBufs.Get().(*[]byte)
	}
	return bp, max(res.n, 0), err
}

// asksWebSocket reports whether the request line of head has
// transport=websocket in its query: only such a head is worth parsing (a
// polling request, or a page, goes to net/http, which parses it anyway).
func asksWebSocket(head []byte) bool {
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	_, query, ok := bytes.Cut(line, []byte("?"))
	if !ok {
		return false
	}
	query, _, _ = bytes.Cut(query, []byte(" "))
	// The query is only read here: no copy of it is kept.
	return queryValue(unsafe.String(unsafe.SliceData(query), len(query)), "transport") == string(TransportWebSocket)
}

// isTimeout reports whether err is a deadline's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// server returns the server that serves r itself, if any: r, whose query
// asks for transport=websocket (asksWebSocket), is a WebSocket handshake
// under its path that this package completes without the library.
func (l *Listener) server(r *http.Request) *Server {
	l.mu.Lock()
	var s *Server
	for _, rt := range l.routes {
		if strings.HasPrefix(r.URL.Path, rt.path) {
			s = rt.s
			break
		}
	}
	l.mu.Unlock()
	if s == nil {
		return nil
	}
	if _, ok := s.plainUpgrade(r); !ok {
		return nil
	}
	return s
}

// pass hands c, with the bytes already read from it, to Accept.
func (l *Listener) pass(c net.Conn, read []byte) {
	if len(read) > 0 {
		c = &prefixConn{Conn: c, pre: read}
	}
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// prefixConn is a connection whose first bytes were read already.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite shuts down the writing side, as net/http does before it closes
// a connection after an error response.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// directWriter is the ResponseWriter of a handshake served by the listener:
// acceptPlain takes its connection, with the bytes that followed the head;
// anything else (a refusal) is written with the connection's end by finish.
type directWriter struct {
	c      net.Conn
	rest   []byte
	h      http.Header
	status int
	body   []byte
	taken  bool
}

func (w *directWriter) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header)
	}
	return w.h
}

func (w *directWriter) WriteHeader(code int) {
	if w.status == 0 && !w.taken {
		w.status = code
	}
}

func (w *directWriter) Write(p []byte) (int, error) {
	if w.taken {
		return 0, http.ErrHijacked
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// take hands the connection and the bytes after the head to the caller.
func (w *directWriter) take() (net.Conn, []byte) {
	w.taken = true
	return w.c, w.rest
}

// finish writes the response, unless the connection was taken, and closes
// the connection.
func (w *directWriter) finish() {
	if w.taken {
		return
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	h.Del("Connection")
	h.Set("Content-Length", strconv.Itoa(len(w.body)))
	b := make([]byte, 0, 128+len(w.body))
	b = fmt.Appendf(b, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	b = appendFields(b, h, nil)
	b = append(b, "Connection: close\r\n\r\n"...)
	b = append(b, w.body...)
	_ = w.c.SetWriteDeadline(time.Now().Add(headTimeout))
	_, _ = w.c.Write(b)
	_ = w.c.Close()
}
