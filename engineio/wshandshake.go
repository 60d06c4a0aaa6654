package engineio

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// The opening handshake of a server WebSocket on a plain socket (RFC 6455
// §4.2), done here rather than by github.com/coder/websocket: its Conn, which
// this package would discard at once, and net/http's WriteHeader (which
// copies the header map) cost a connect about 2 KB of garbage and a share of
// its CPU. Requests this does not take (TLS, permessage-deflate, anything
// invalid, which the library refuses with the right status) go to the
// library.

// keyGUID is appended to the client's key to compute Sec-WebSocket-Accept.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// plainUpgrade reports whether r is a valid WebSocket handshake that this
// package completes itself, and returns its key.
func (s *Server) plainUpgrade(r *http.Request) (key string, ok bool) {
	if r.TLS != nil || r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) ||
		!hasToken(r.Header, "Connection", "upgrade") || !hasToken(r.Header, "Upgrade", "websocket") ||
		r.Header.Get("Sec-WebSocket-Version") != "13" {
		return "", false
	}
	if s.opts.PerMessageDeflate && hasToken(r.Header, "Sec-WebSocket-Extensions", "permessage-deflate") {
		return "", false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return "", false
	}
	key = strings.TrimSpace(keys[0])
	var raw [18]byte
	if n, err := base64.StdEncoding.Decode(raw[:], []byte(key)); err != nil || n != 16 {
		return "", false
	}
	return key, true
}

// hasToken reports whether the comma-separated header values of name hold
// token, ignoring case and the parameters after ';'.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			t, _, _ = strings.Cut(t, ";")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// acceptPlain completes the handshake of r (plainUpgrade said yes): it
// takes the connection (from the Listener, or hijacked from net/http) and
// writes the 101 response itself. A connection that is not a plain socket
// (a listener's wrapper) is handed to the library with the handshake still
// to write.
func (s *Server) acceptPlain(w http.ResponseWriter, r *http.Request, key string, joinFirst bool) (wsConn, error) {
	if d, ok := w.(*directWriter); ok {
		c, rest := d.take()
		return s.acceptConn(w.Header(), key, c, c.(syscall.Conn), rest, joinFirst)
	}
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return wsConn{}, fmt.Errorf("engineio: websocket: %w", err)
	}
	sc, ok := plainSocket(c)
	if !ok {
		// The library writes the response through hijacked.WriteHeader.
		return s.acceptLibrary(&hijacked{h: w.Header(), c: c, brw: brw}, r)
	}
	var rest []byte
	if n := brw.Reader.Buffered(); n > 0 { // sent right behind the handshake
		b, _ := brw.Reader.Peek(n)
		rest = append([]byte(nil), b...)
	}
	return s.acceptConn(w.Header(), key, c, sc, rest, joinFirst)
}

// acceptConn finishes the handshake on a connection taken from net/http or
// the Listener; rest is what the client sent after the request's head.
func (s *Server) acceptConn(h http.Header, key string, c net.Conn, sc syscall.Conn, rest []byte, joinFirst bool) (wsConn, error) {
	raw, err := sc.SyscallConn()
	if err != nil {
		_ = c.Close()
		return wsConn{}, err
	}
	nc := &wsNetConn{Conn: c, raw: raw, limit: s.opts.WriteQueueSize, r: rest}
	nc.readFn, nc.writeFn, nc.serveFn = nc.readFd, nc.writeFd, nc.serveFd
	if joinFirst {
		nc.head = switchingProtocols(h, key)
		return wsConn{out: nc}, nil
	}
	if _, err := nc.Write(switchingProtocols(h, key)); err != nil {
		_ = c.Close()
		return wsConn{}, err
	}
	return wsConn{out: nc}, nil
}

// switchingProtocols is the 101 response: with a key, the fields that accept
// it and then those of h (but its own Upgrade, Connection and
// Sec-WebSocket-Accept); without, the fields of h alone (the library set
// them).
func switchingProtocols(h http.Header, key string) []byte {
	n := 160
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	b := make([]byte, 0, n)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\n"...)
	var skip func(string) bool
	if key != "" {
		b = append(b, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
		b = appendAccept(b, key)
		b = append(b, "\r\n"...)
		skip = func(k string) bool { return k == "Upgrade" || k == "Connection" || k == "Sec-Websocket-Accept" }
	}
	b = appendFields(b, h, skip)
	return append(b, "\r\n"...)
}

// appendFields appends the fields of h but those skip names, as net/http
// would write them (invalid names dropped, line breaks in values made
// spaces), in no particular order, without copying or sorting h.
func appendFields(b []byte, h http.Header, skip func(string) bool) []byte {
	for k, vs := range h {
		if skip != nil && skip(k) || !validFieldName(k) {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = appendFieldValue(b, v)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// appendAccept appends the Sec-WebSocket-Accept value for key (RFC 6455 §4.2.2).
func appendAccept(b []byte, key string) []byte {
	var buf [64]byte // a key is 24 characters, the GUID 36
	sum := sha1.Sum(append(append(buf[:0], key...), keyGUID...))
	return base64.StdEncoding.AppendEncode(b, sum[:])
}

// validFieldName reports whether k is an HTTP token (RFC 9110 §5.6.2).
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// appendFieldValue appends v with CR and LF made spaces and the surrounding
// spaces and tabs trimmed, as http.Header.Write does.
func appendFieldValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t\r\n")
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

// hijacked is a ResponseWriter over a connection already hijacked: the
// library writes its 101 response through WriteHeader and takes the
// connection with Hijack.
type hijacked struct {
	h   http.Header
	c   net.Conn
	brw *bufio.ReadWriter
}

func (w *hijacked) Header() http.Header { return w.h }

func (w *hijacked) Write(p []byte) (int, error) { return w.brw.Write(p) }

// WriteHeader writes the status line and the header.
func (w *hijacked) WriteHeader(code int) {
	if code != http.StatusSwitchingProtocols {
		return // the request was valid: the library only switches
	}
	_, _ = w.brw.Write(switchingProtocols(w.h, ""))
	_ = w.brw.Flush()
}

func (w *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.c, w.brw, nil }
