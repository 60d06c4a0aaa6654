package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// wsClient is the load generator's WebSocket client (RFC 6455, no
// extensions): the handshake on a plain TCP connection, masked frames
// written straight to the socket, frames read through one buffer. It does
// per message what a WebSocket client must do and nothing more, so that the
// generator's core is not what bounds a closed-loop scenario: a general
// client (github.com/coder/websocket, used before) cost the generator ~1.45×
// the CPU per echo against siogen in throughput-500 (27.6 µs, now 18.8–19.3),
// and the throughput scenarios saturated the generator's core before the
// servers'.
//
// One goroutine reads (read), any number write (write, serialized).
type wsClient struct {
	conn net.Conn
	br   *bufio.Reader
	msg  []byte // read's message buffer, reused: a message is valid until the next read

	wmu  sync.Mutex
	wbuf []byte
	seed uint64 // masking keys (xorshift): unpredictable enough for a generator

	rctx, wctx   context.Context // the contexts the deadlines below are bound to
	rstop, wstop func() bool
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// errWSClosed is read's error for the server's close frame.
var errWSClosed = errors.New("websocket closed by the server")

// dialWS opens a WebSocket to u ("ws://host[:port]/path?query") within ctx.
func dialWS(ctx context.Context, u string) (*wsClient, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	if pu.Scheme != "ws" {
		return nil, fmt.Errorf("dial %s: only ws:// URLs", u)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", pu.Host)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + pu.RequestURI() + " HTTP/1.1\r\nHost: " + pu.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	c := &wsClient{conn: conn, br: bufio.NewReaderSize(conn, 4096), seed: binary.LittleEndian.Uint64(k[:]) | 1}
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	resp.Body.Close()
	sum := sha1.Sum([]byte(key + wsGUID))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		conn.Close()
		return nil, fmt.Errorf("websocket handshake: %s (accept %q)", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	if !stop() { // ctx ended during the handshake; the deadline is set
		conn.Close()
		return nil, ctx.Err()
	}
	return c, nil
}

// bind makes the ending of ctx fail the blocked reads (or writes) of c: one
// context.AfterFunc per context, not per call.
func (c *wsClient) bind(ctx context.Context, cur *context.Context, stop *func() bool, set func(time.Time) error) {
	if *cur == ctx {
		return
	}
	if *stop != nil {
		(*stop)()
	}
	*cur = ctx
	*stop = context.AfterFunc(ctx, func() { set(time.Unix(1, 0)) })
}

// unbind undoes bind for both directions: dial calls it when the
// handshake's context is done with. It fails when that context ended first.
func (c *wsClient) unbind() error {
	ok := true
	for _, stop := range []*func() bool{&c.rstop, &c.wstop} {
		if *stop != nil {
			ok = (*stop)() && ok
			*stop = nil
		}
	}
	c.rctx, c.wctx = nil, nil
	if !ok {
		return errors.New("websocket: the dial's context ended")
	}
	return nil
}

// read returns the next data message, answering pings. The message is
// valid until the next call.
func (c *wsClient) read(ctx context.Context) (bin bool, msg []byte, err error) {
	c.bind(ctx, &c.rctx, &c.rstop, c.conn.SetReadDeadline)
	msg = c.msg[:0]
	first := true
	for {
		var h [14]byte
		if _, err := io.ReadFull(c.br, h[:2]); err != nil {
			return false, nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		if h[1]&0x80 != 0 {
			return false, nil, errors.New("websocket: masked server frame")
		}
		n := int64(h[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, h[2:4]); err != nil {
				return false, nil, err
			}
			n = int64(binary.BigEndian.Uint16(h[2:4]))
		case 127:
			if _, err := io.ReadFull(c.br, h[2:10]); err != nil {
				return false, nil, err
			}
			n = int64(binary.BigEndian.Uint64(h[2:10]))
			if n < 0 || n > 1<<26 {
				return false, nil, fmt.Errorf("websocket: a %d-byte frame", n)
			}
		}
		if op >= 0x8 { // control: ping, pong, close (at most 125 bytes)
			var p [125]byte
			if n > 125 {
				return false, nil, errors.New("websocket: long control frame")
			}
			if _, err := io.ReadFull(c.br, p[:n]); err != nil {
				return false, nil, err
			}
			switch op {
			case 0x8:
				_ = c.writeFrame(0x8, p[:min(n, 2)])
				return false, nil, errWSClosed
			case 0x9:
				if err := c.writeFrame(0xA, p[:n]); err != nil {
					return false, nil, err
				}
			}
			continue
		}
		if first {
			if op != 0x1 && op != 0x2 {
				return false, nil, fmt.Errorf("websocket: opcode %d starts a message", op)
			}
			bin, first = op == 0x2, false
		} else if op != 0x0 {
			return false, nil, fmt.Errorf("websocket: opcode %d inside a message", op)
		}
		off := len(msg)
		msg = append(msg, make([]byte, n)...)
		if _, err := io.ReadFull(c.br, msg[off:]); err != nil {
			return false, nil, err
		}
		if fin {
			c.msg = msg
			return bin, msg, nil
		}
	}
}

// write sends one data message in one frame.
func (c *wsClient) write(ctx context.Context, bin bool, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.bind(ctx, &c.wctx, &c.wstop, c.conn.SetWriteDeadline)
	op := byte(0x1)
	if bin {
		op = 0x2
	}
	return c.writeLocked(op, b)
}

// writeFrame sends a control frame.
func (c *wsClient) writeFrame(op byte, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(op, b)
}

func (c *wsClient) writeLocked(op byte, b []byte) error {
	w := append(c.wbuf[:0], 0x80|op)
	switch n := len(b); {
	case n < 126:
		w = append(w, 0x80|byte(n))
	case n < 1<<16:
		w = append(w, 0x80|126, byte(n>>8), byte(n))
	default:
		w = append(w, 0x80|127)
		w = binary.BigEndian.AppendUint64(w, uint64(n))
	}
	c.seed ^= c.seed << 13
	c.seed ^= c.seed >> 7
	c.seed ^= c.seed << 17
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(c.seed))
	w = append(w, key[:]...)
	off := len(w)
	w = append(w, b...)
	for i := range b {
		w[off+i] ^= key[i&3]
	}
	c.wbuf = w
	_, err := c.conn.Write(w)
	return err
}

// closeNow closes the connection without a close handshake.
func (c *wsClient) closeNow() {
	c.conn.Close()
}
