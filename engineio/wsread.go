package engineio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Reading a server WebSocket on the wsNetConn path (see wsconn.go): frames are
// parsed here (RFC 6455 §5), straight from the pooled read buffer, so that a
// message costs one allocation (its own bytes, which the handler may keep)
// and an idle session waits for data a few frames deep, holding no buffer.

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// WebSocket close codes (RFC 6455 §7.4.1).
const (
	closeNormal        = 1000
	closeProtocolError = 1002
	closeTooBig        = 1009
	closeNotUTF8       = 1007
	closeNoStatus      = 1005 // never sent: the close frame had no code
)

// A wsCloseError is the peer's close frame: the WebSocket ended cleanly.
type wsCloseError struct {
	Code   int
	Reason string
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("engineio: websocket closed by the peer: %d %q", e.Code, e.Reason)
}

// A wsProtocolError is a frame that breaks RFC 6455, or a message over the
// size limit; the connection is failed with Code.
type wsProtocolError struct {
	Code int
	Msg  string
}

func (e *wsProtocolError) Error() string { return "engineio: websocket: " + e.Msg }

// readFull fills p from the socket.
func (c *wsNetConn) readFull(p []byte) error {
	for len(p) > 0 {
		n, err := c.Read(p)
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// frameHeader is what readFrameHeader returns.
type frameHeader struct {
	fin bool
	op  byte
	n   int64
	key [4]byte
}

// readFrameHeader reads the header of a client frame, which must be masked
// and use no extension bits.
func (c *wsNetConn) readFrameHeader() (frameHeader, error) {
	var h frameHeader
	var hb [8]byte
	b := hb[:2]
	if err := c.readFull(b); err != nil {
		return h, err
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0f
	if b[0]&0x70 != 0 {
		return h, &wsProtocolError{closeProtocolError, "reserved bits set"}
	}
	if b[1]&0x80 == 0 {
		return h, &wsProtocolError{closeProtocolError, "unmasked client frame"}
	}
	switch n := b[1] & 0x7f; n {
	case 126:
		b = hb[:2]
		if err := c.readFull(b); err != nil {
			return h, err
		}
		h.n = int64(binary.BigEndian.Uint16(b))
	case 127:
		b = hb[:8]
		if err := c.readFull(b); err != nil {
			return h, err
		}
		u := binary.BigEndian.Uint64(b)
		if u > 1<<62 {
			return h, &wsProtocolError{closeProtocolError, "frame length out of range"}
		}
		h.n = int64(u)
	default:
		h.n = int64(n)
	}
	if err := c.readFull(h.key[:]); err != nil {
		return h, err
	}
	return h, nil
}

// unmask applies a frame's masking key to b, the frame's payload from its
// first byte.
func unmask(key [4]byte, b []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// readMessage reads the next data message, of at most limit bytes, into a
// slice of its own. Pings are answered, pongs skipped. A close frame from
// the peer is answered (once) and returned as a *wsCloseError; a frame that
// breaks the protocol or the limit is answered with a close frame and
// returned as a *wsProtocolError.
func (c *wsNetConn) readMessage(limit int) (bin bool, data []byte, err error) {
	bin, data, err = c.readFrames(limit)
	if err != nil {
		var pe *wsProtocolError // declared here: it escapes, on this path only
		if errors.As(err, &pe) {
			c.writeClose(pe.Code, pe.Msg)
		}
	}
	return bin, data, err
}

func (c *wsNetConn) readFrames(limit int) (bin bool, data []byte, err error) {
	started := false
	for {
		h, err := c.readFrameHeader()
		if err != nil {
			return false, nil, err
		}
		if h.op >= opClose {
			if err := c.readControl(h); err != nil {
				return false, nil, err
			}
			continue
		}
		switch h.op {
		case opContinuation:
			if !started {
				return false, nil, &wsProtocolError{closeProtocolError, "continuation frame without a message"}
			}
		case opText, opBinary:
			if started {
				return false, nil, &wsProtocolError{closeProtocolError, "new message inside a fragmented one"}
			}
			started, bin = true, h.op == opBinary
		default:
			return false, nil, &wsProtocolError{closeProtocolError, fmt.Sprintf("unknown opcode %#x", h.op)}
		}
		if h.n > int64(limit-len(data)) {
			return false, nil, &wsProtocolError{closeTooBig, fmt.Sprintf("message over %d bytes", limit)}
		}
		off := len(data)
		if data == nil && h.fin && h.n <= wsPrealloc {
			data = make([]byte, h.n) // the usual case: exactly one allocation
			if err := c.readFull(data); err != nil {
				return false, nil, err
			}
		} else if data, err = c.readGrowing(data, int(h.n)); err != nil {
			return false, nil, err
		}
		unmask(h.key, data[off:])
		if h.fin {
			if !bin && !utf8.Valid(data) {
				return false, nil, &wsProtocolError{closeNotUTF8, "text message is not UTF-8"}
			}
			return bin, data, nil
		}
	}
}

// wsPrealloc is the largest frame payload allocated whole before its bytes
// come (a read buffer's size). A longer one grows as they come: a header
// announces up to the limit (1 MB by default) in 14 bytes, and a peer that
// sends it and then nothing would otherwise make the server hold the limit
// per connection.
const wsPrealloc = wsReadBufSize

// readGrowing reads n more bytes onto data, growing it as they come (by
// doubling, from at most wsPrealloc): what it holds is at most about twice
// what the peer has sent.
func (c *wsNetConn) readGrowing(data []byte, n int) ([]byte, error) {
	end := len(data) + n
	for len(data) < end {
		if len(data) == cap(data) {
			grow := min(end-len(data), max(len(data), wsPrealloc))
			data = append(data, make([]byte, grow)...)[:len(data)]
		}
		m, err := c.Read(data[len(data):min(cap(data), end)])
		data = data[:len(data)+m]
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// readControl reads a control frame's payload and acts on it.
func (c *wsNetConn) readControl(h frameHeader) error {
	if !h.fin || h.n > 125 {
		return &wsProtocolError{closeProtocolError, "fragmented or oversized control frame"}
	}
	p := make([]byte, h.n) // rare: not worth a buffer per connection
	if err := c.readFull(p); err != nil {
		return err
	}
	unmask(h.key, p)
	switch h.op {
	case opPing:
		// Behind a backlog of WriteQueueSize the pong is dropped (RFC 6455
		// §5.5.3 lets an endpoint answer only some pings): a peer that sends
		// pings and reads nothing would otherwise grow the backlog with its
		// pongs without bound; bounded, it is that of any peer that does not
		// read (the session ends when one of its sends finds it full).
		_ = c.writeControl(opPong, p)
		return nil
	case opPong:
		return nil
	case opClose:
		ce := &wsCloseError{Code: closeNoStatus}
		switch {
		case len(p) == 1:
			return &wsProtocolError{closeProtocolError, "close frame of one byte"}
		case len(p) >= 2:
			ce.Code = int(binary.BigEndian.Uint16(p))
			ce.Reason = string(p[2:])
			if !utf8.ValidString(ce.Reason) {
				return &wsProtocolError{closeProtocolError, "close reason is not UTF-8"}
			}
		}
		// Echo the code (RFC 6455 §5.5.1); nothing is sent after it.
		code := ce.Code
		if code == closeNoStatus {
			code = 0
		}
		c.writeClose(code, "")
		return ce
	default:
		return &wsProtocolError{closeProtocolError, fmt.Sprintf("unknown opcode %#x", h.op)}
	}
}

// writeControl writes a control frame in order with the data frames.
func (c *wsNetConn) writeControl(op byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	if op == opClose {
		c.closeSent = true
	}
	c.hdr = appendFrameHeader(c.hdr[:0], op, len(payload))
	c.wv = append(c.wv[:0], c.hdr, payload)
	return c.writeLocked(op == opPong)
}

// writeClose sends a close frame with code (none when code is 0) and
// reason, once; no frame is written after it.
func (c *wsNetConn) writeClose(code int, reason string) {
	if code == 0 {
		_ = c.writeControl(opClose, nil)
		return
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	p = append(p, reason...)
	_ = c.writeControl(opClose, p)
}

// closeAfterPeer sends a close frame and ends the connection once the peer
// has answered it, or after grace: what the peer sends meanwhile is read and
// dropped. For a connection that no session reads.
func (c *wsNetConn) closeAfterPeer(code int, reason string, grace time.Duration) {
	c.writeClose(code, reason)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(grace))
		for {
			if _, _, err := c.readFrames(1 << 20); err != nil {
				break
			}
		}
		_ = c.Close()
	}()
}
