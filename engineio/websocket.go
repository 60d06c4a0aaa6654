package engineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// wsConn is an accepted WebSocket: either the library's connection, or (see
// wshandshake.go, wsread.go and wsconn.go) a plain socket that this package
// handshakes, reads and writes itself. The zero wsConn is none.
type wsConn struct {
	ws  *websocket.Conn // TLS, permessage-deflate, a wrapped connection: the library's
	out *wsNetConn      // otherwise
}

// ok reports whether c is a connection.
func (c wsConn) ok() bool { return c.ws != nil || c.out != nil }

// closeNow ends the connection without a close handshake.
func (c wsConn) closeNow() {
	if c.out != nil {
		_ = c.out.Close()
		return
	}
	_ = c.ws.CloseNow()
}

// close ends a connection no session reads, with a close frame of code and
// reason; it waits for the peer's answer (the library) or lets a goroutine
// do so (out), at most closeGrace.
func (c wsConn) close(code websocket.StatusCode, reason string) {
	if c.out != nil {
		c.out.closeAfterPeer(int(code), reason, closeGrace)
		return
	}
	_ = c.ws.Close(code, reason)
}

// expect reads one text message and reports whether it is want. Reads fail
// once ctx is done.
func (c wsConn) expect(ctx context.Context, want string) bool {
	if c.out == nil {
		typ, data, err := c.ws.Read(ctx)
		return err == nil && typ == websocket.MessageText && string(data) == want
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.out.SetReadDeadline(d)
		defer c.out.SetReadDeadline(time.Time{})
	}
	bin, data, err := c.out.readMessage(len(want))
	return err == nil && !bin && string(data) == want
}

// writeText writes one text message.
func (c wsConn) writeText(ctx context.Context, s string) error {
	if c.out != nil {
		return c.out.writeFrames([]Frame{{Data: []byte(s)}}, false)
	}
	return c.ws.Write(ctx, websocket.MessageText, []byte(s))
}

// acceptWebSocket completes the WebSocket handshake. On failure the response
// has been written. With joinFirst, a plain socket's 101 response goes out
// with the first frames written (the caller writes some at once: the open
// packet, or a close frame): one write instead of two per connect.
func (s *Server) acceptWebSocket(w http.ResponseWriter, r *http.Request, joinFirst bool) (wsConn, error) {
	if key, ok := s.plainUpgrade(r); ok {
		return s.acceptPlain(w, r, key, joinFirst)
	}
	return s.acceptLibrary(w, r)
}

// acceptLibrary has github.com/coder/websocket complete the handshake (or
// refuse it) and read and write the connection.
func (s *Server) acceptLibrary(w http.ResponseWriter, r *http.Request) (wsConn, error) {
	mode := websocket.CompressionDisabled
	if s.opts.PerMessageDeflate {
		mode = websocket.CompressionContextTakeover
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the Origin was checked by ServeHTTP, with the CORS policy
		CompressionMode:    mode,
	})
	if err != nil {
		return wsConn{}, err
	}
	c.SetReadLimit(int64(s.opts.MaxHTTPBufferSize))
	return wsConn{ws: c}, nil
}

// serveWebSocket serves a session that starts on WebSocket (no polling).
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, _ *Session) {
	c, err := s.acceptWebSocket(w, r, true)
	if err != nil {
		return
	}
	started := false
	defer func() {
		if !started { // the connect callback panicked
			c.closeNow()
		}
	}()
	ss := s.newSession(r, TransportWebSocket)
	started = true
	if ss == nil {
		c.close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	ss.runWebSocket(c)
}

// upgrade probes a WebSocket for a polling session and, on "5", moves the
// session onto it.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, ss *Session) {
	ss.mu.Lock()
	ok := !s.opts.DisableUpgrades && ss.transport == TransportPolling && !ss.probing && !ss.closed
	if ok {
		ss.probing = true
	}
	ss.mu.Unlock()
	if !ok {
		if s.opts.DisableUpgrades {
			s.refuse(w, r, true, CodeBadRequest, "")
			return
		}
		// Already upgraded, upgrading, or closed: like Node, accept the
		// WebSocket and close it at once; the session is not affected.
		if c, err := s.acceptWebSocket(w, r, true); err == nil {
			c.close(websocket.StatusPolicyViolation, "session already has a websocket")
		}
		return
	}
	endProbe := func() {
		ss.mu.Lock()
		ss.probing = false
		ss.upgrading = false
		ss.mu.Unlock()
		ss.signal()
	}
	c, err := s.acceptWebSocket(w, r, false) // the client waits for it to send "2probe"
	if err != nil {
		endProbe()
		return
	}
	// Reads fail, and close the WebSocket, when the upgrade takes too long.
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.UpgradeTimeout)
	defer cancel()
	if !c.expect(ctx, "2probe") {
		endProbe()
		c.closeNow()
		return
	}
	// Upgrading before "3probe" goes out: once the client may know, a poll
	// must see it (a pending or new poll now answers noop).
	ss.mu.Lock()
	ss.upgrading = true
	ss.mu.Unlock()
	ss.signal()
	if c.writeText(ctx, "3probe") != nil {
		endProbe()
		c.closeNow()
		return
	}
	if !c.expect(ctx, "5") {
		endProbe()
		c.closeNow()
		return
	}
	ss.runWebSocket(c)
}

// runWebSocket makes c the session's transport and serves it until it ends,
// with a reader goroutine (and, for the library's connections, a writer
// goroutine draining the queue; on a plain socket, senders write). The HTTP
// handler returns (the connection is hijacked): its goroutine, its
// stack grown by net/http and the handshake, would otherwise stay parked for
// the session's life. BenchmarkIdleWebSocketSessions: ~11.7 → ~7.5 KB of
// stack per idle session.
func (ss *Session) runWebSocket(c wsConn) {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		c.closeNow()
		return
	}
	ss.transport = TransportWebSocket
	ss.upgrading = false
	ss.probing = false
	ss.wsc = c
	if c.out != nil {
		// Frames are written by their senders from now on; what polling
		// left queued goes first (with the 101 response, when it waits for
		// the first frames).
		c.out.onFail = func(err error) {
			ss.close(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err))
		}
		_ = c.out.writeFrames(ss.takeQueue(), false)
		ss.wg.Add(1)
	} else {
		ss.wg.Add(2)
	}
	ss.mu.Unlock()
	ss.signal() // after an upgrade, the pending poll, if any, answers noop
	if c.out != nil {
		go ss.readDirect(c.out, false)
		return
	}
	go ss.writeLoop(c.ws)
	go ss.readLoop(c.ws)
}

// readDirect reads packets from a socket this package reads itself until it
// ends, then closes the session and the socket. fresh is false for the
// session's first reading goroutine: see below.
func (ss *Session) readDirect(c *wsNetConn, fresh bool) {
	defer ss.wg.Done()
	limit := ss.srv.opts.MaxHTTPBufferSize
	on := ss.onMessage
	handled := false
	for {
		var err error
		if len(c.r) == 0 {
			if handled && !fresh {
				// The first messages (a Socket.IO CONNECT, its middlewares
				// and handlers) grow this goroutine's stack, and a goroutine
				// parked in the poller keeps a grown stack for good: the GC
				// halves a stack only while less than a quarter of it is in
				// use, and the poller's frames and the guard take more than
				// that of 4 KiB. So once, the first time the socket runs
				// dry, reading goes on in a new goroutine with the smallest
				// stack: an idle session costs 2 KiB less.
				ss.wg.Add(1)
				go ss.readDirect(c, true)
				return
			}
			// Wait for data here, not deeper, and handle what comes
			// (wsserve.go); the first goroutine returns once it is drained.
			h, stop, serr := c.serve(limit, on, !fresh)
			handled = handled || h
			if stop {
				_ = c.Close()
				return
			}
			err = serr
			if err == nil {
				continue // more to read through readMessage, or drained
			}
		}
		var bin bool
		var data []byte
		if err == nil {
			bin, data, err = c.readMessage(limit)
		}
		if err != nil {
			var ce *wsCloseError
			if errors.As(err, &ce) {
				ss.close(ReasonTransportClose, nil)
			} else {
				ss.close(ReasonTransportError, err)
			}
			_ = c.Close()
			return
		}
		if !on(bin, data) {
			_ = c.Close()
			return
		}
		handled = true
	}
}

// readLoop reads packets until the WebSocket ends, then closes the session.
func (ss *Session) readLoop(c *websocket.Conn) {
	defer ss.wg.Done()
	for {
		typ, data, err := readMessage(c)
		if err != nil {
			reason := ReasonTransportError
			if websocket.CloseStatus(err) != -1 {
				reason, err = ReasonTransportClose, nil
			} else if errors.Is(err, context.Canceled) {
				err = nil
			}
			ss.close(reason, err)
			return
		}
		if typ == websocket.MessageText && !utf8.Valid(data) {
			// As the engineio reader and Node's ws: 1007, "transport error".
			_ = c.Close(websocket.StatusInvalidFramePayloadData, "text message is not UTF-8")
			ss.close(ReasonTransportError, errors.New("engineio: websocket: text message is not UTF-8"))
			return
		}
		if !ss.onMessage(typ == websocket.MessageBinary, data) {
			return
		}
	}
}

// onMessage handles one WebSocket message; false when it ended the session.
func (ss *Session) onMessage(binary bool, data []byte) bool {
	if binary {
		ss.onPacket(Packet{Type: PacketMessage, Data: data, Binary: true})
		return true
	}
	p, err := DecodePacket(data)
	if err != nil {
		ss.close(ReasonParseError, err)
		return false
	}
	ss.onPacket(p)
	return true
}

// readBufs are scratch buffers for readMessage.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// readMessage reads the next message into a slice of exactly its size, which
// the handler may keep. (websocket.Conn.Read uses io.ReadAll, whose 512-byte
// first buffer is what a small message kept: most of an echo's allocation.)
// The scratch buffer comes from a pool only once a message has begun, so an
// idle session holds none.
func readMessage(c *websocket.Conn) (websocket.MessageType, []byte, error) {
	typ, r, err := c.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	bp := readBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		var n int
		n, err = r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	var data []byte
	if err == io.EOF {
		err = nil
		data = make([]byte, len(b))
		copy(data, b)
	}
	if cap(b) <= 64<<10 { // a pool of small buffers: a large message's goes
		*bp = b[:0]
		readBufs.Put(bp)
	}
	return typ, data, err
}

// writeLoop writes queued frames, one per WebSocket message, until the
// session ends; then it flushes what is left and closes the WebSocket.
func (ss *Session) writeLoop(c *websocket.Conn) {
	defer ss.wg.Done()
	ctx := context.Background()
	for {
		ss.mu.Lock()
		frames := ss.takeQueue()
		closed := ss.closed
		ss.mu.Unlock()
		for _, f := range frames {
			typ := websocket.MessageText
			if f.Binary {
				typ = websocket.MessageBinary
			}
			if err := ss.writeFrame(ctx, c, typ, f); err != nil {
				ss.close(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err))
				_ = c.CloseNow()
				return
			}
		}
		if closed {
			_ = c.Close(websocket.StatusNormalClosure, "")
			return
		}
		<-ss.wake
	}
}

// writeFrame writes one frame as one WebSocket message. A NoCompress frame
// on a connection with permessage-deflate is written in two fragments, the
// first of one byte: the WebSocket library decides compression from the
// first fragment's size, so the message goes out uncompressed.
func (ss *Session) writeFrame(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, f Frame) error {
	if !f.NoCompress || !ss.srv.opts.PerMessageDeflate || len(f.Data) < 2 {
		return c.Write(ctx, typ, f.Data)
	}
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	if _, err := w.Write(f.Data[:1]); err != nil {
		return err
	}
	if _, err := w.Write(f.Data[1:]); err != nil {
		return err
	}
	return w.Close()
}
