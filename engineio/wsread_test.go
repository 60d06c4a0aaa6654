package engineio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawWS is a WebSocket client written byte by byte, to send what a library
// would refuse to: fragments, interleaved control frames, broken frames.
type rawWS struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialRawWS opens a WebSocket-only Engine.IO session and reads its open packet.
func dialRawWS(t *testing.T, ts *testServer) *rawWS {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	c := &rawWS{t: t, nc: nc, br: bufio.NewReader(nc)}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	if op, p := c.read(); op != opText || !strings.HasPrefix(string(p), "0{") {
		t.Fatalf("open packet: opcode %d %q", op, p)
	}
	return c
}

// clientFrame encodes a masked client frame; first is the first header byte
// (FIN, RSV, opcode) as is.
func clientFrame(first byte, payload []byte) []byte {
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := []byte{first}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i%4])
	}
	return f
}

func (c *rawWS) write(frames ...[]byte) {
	c.t.Helper()
	if _, err := c.nc.Write(bytes.Join(frames, nil)); err != nil {
		c.t.Fatal(err)
	}
}

// read reads one server frame, which must be final and unmasked.
func (c *rawWS) read() (op byte, payload []byte) {
	c.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if h[0]&0xf0 != 0x80 || h[1]&0x80 != 0 {
		c.t.Fatalf("server frame header %x", h)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, _ = io.ReadFull(c.br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, _ = io.ReadFull(c.br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		c.t.Fatalf("read payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// expectClose reads a close frame with code, then the end of the connection.
func (c *rawWS) expectClose(code int) {
	c.t.Helper()
	op, p := c.read()
	if op != opClose {
		c.t.Fatalf("opcode %d %q, want a close frame", op, p)
	}
	if code == 0 {
		if len(p) != 0 {
			c.t.Fatalf("close payload %q, want none", p)
		}
	} else if len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code {
		c.t.Fatalf("close payload %q, want code %d", p, code)
	}
	if _, err := c.br.ReadByte(); err == nil {
		c.t.Fatal("data after the close frame")
	}
}

// closeReason waits for the session's close.
func closeReason(t *testing.T, ts *testServer) CloseReason {
	t.Helper()
	ts.mu.Lock()
	var h *echoHandler
	for _, x := range ts.handlers {
		h = x
	}
	ts.mu.Unlock()
	select {
	case r := <-h.closed:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("session not closed")
		return ""
	}
}

func TestWebSocketFragmentsAndControlFrames(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	c := dialRawWS(t, ts)
	// A text message in three fragments with a ping between them; then a
	// binary one in two; then one whose length takes 64 bits.
	c.write(
		clientFrame(0x01, []byte("4frag")),
		clientFrame(0x89, []byte("are you there")),
		clientFrame(0x00, []byte("men")),
		clientFrame(0x8A, []byte("unsolicited pong")),
		clientFrame(0x80, []byte("ted")),
		clientFrame(0x02, []byte{1, 2}),
		clientFrame(0x80, []byte{3}),
	)
	if op, p := c.read(); op != opPong || string(p) != "are you there" {
		t.Fatalf("opcode %d %q, want the pong", op, p)
	}
	if op, p := c.read(); op != opText || string(p) != "4fragmented" {
		t.Fatalf("opcode %d %q, want the echo of the fragmented text", op, p)
	}
	if op, p := c.read(); op != opBinary || !bytes.Equal(p, []byte{1, 2, 3}) {
		t.Fatalf("opcode %d %x, want the echo of the fragmented binary", op, p)
	}
	big := append([]byte("4"), bytes.Repeat([]byte("z"), 70000)...)
	c.write(clientFrame(0x81, big))
	if op, p := c.read(); op != opText || !bytes.Equal(p, big) {
		t.Fatalf("opcode %d, %d bytes: want the echo of %d", op, len(p), len(big))
	}
	// The peer's close is answered with its code, and ends the session cleanly.
	c.write(clientFrame(0x88, append(binary.BigEndian.AppendUint16(nil, 4000), "bye"...)))
	c.expectClose(4000)
	if r := closeReason(t, ts); r != ReasonTransportClose {
		t.Fatalf("reason %q, want %q", r, ReasonTransportClose)
	}
}

func TestWebSocketEmptyClose(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	c := dialRawWS(t, ts)
	c.write(clientFrame(0x88, nil))
	c.expectClose(0)
	if r := closeReason(t, ts); r != ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
}

func TestWebSocketProtocolErrors(t *testing.T) {
	unmasked := []byte{0x81, 0x02, '4', 'x'}
	tests := []struct {
		name   string
		frames [][]byte
		code   int
	}{
		{"unmasked frame", [][]byte{unmasked}, closeProtocolError},
		{"reserved bit", [][]byte{clientFrame(0xC1, []byte("4x"))}, closeProtocolError},
		{"unknown data opcode", [][]byte{clientFrame(0x83, []byte("4x"))}, closeProtocolError},
		{"unknown control opcode", [][]byte{clientFrame(0x8B, nil)}, closeProtocolError},
		{"continuation first", [][]byte{clientFrame(0x80, []byte("4x"))}, closeProtocolError},
		{"message inside a message", [][]byte{clientFrame(0x01, []byte("4x")), clientFrame(0x81, []byte("4y"))}, closeProtocolError},
		{"fragmented ping", [][]byte{clientFrame(0x09, []byte("p"))}, closeProtocolError},
		{"ping over 125 bytes", [][]byte{clientFrame(0x89, bytes.Repeat([]byte("p"), 126))}, closeProtocolError},
		{"close of one byte", [][]byte{clientFrame(0x88, []byte{3})}, closeProtocolError},
		{"close reason not UTF-8", [][]byte{clientFrame(0x88, []byte{0x03, 0xe8, 0xff})}, closeProtocolError},
		{"message over the limit", [][]byte{clientFrame(0x81, bytes.Repeat([]byte("4"), 101))}, closeTooBig},
		{"fragments over the limit", [][]byte{
			clientFrame(0x01, bytes.Repeat([]byte("4"), 60)),
			clientFrame(0x80, bytes.Repeat([]byte("x"), 41)),
		}, closeTooBig},
		{"length beyond 2^62", [][]byte{{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}}, closeProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, &Options{PingInterval: time.Minute, MaxHTTPBufferSize: 100})
			c := dialRawWS(t, ts)
			c.write(tt.frames...)
			c.expectClose(tt.code)
			if r := closeReason(t, ts); r != ReasonTransportError {
				t.Fatalf("reason %q, want %q", r, ReasonTransportError)
			}
		})
	}
}

func TestWebSocketServerClose(t *testing.T) {
	// Session.Close: what was sent goes first, then the close frame; the
	// server ends the connection once the client answers.
	ts := newTestServer(t, calmOptions())
	c := dialRawWS(t, ts)
	var ss *Session
	ts.mu.Lock()
	for _, h := range ts.handlers {
		ss = h.s
	}
	ts.mu.Unlock()
	if err := ss.Send(TextFrame([]byte("last"))); err != nil {
		t.Fatal(err)
	}
	_ = ss.Close()
	if err := ss.Send(TextFrame([]byte("too late"))); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if op, p := c.read(); op != opText || string(p) != "4last" {
		t.Fatalf("opcode %d %q", op, p)
	}
	if op, p := c.read(); op != opClose || binary.BigEndian.Uint16(p) != closeNormal {
		t.Fatalf("opcode %d %q, want close 1000", op, p)
	}
	c.write(clientFrame(0x88, binary.BigEndian.AppendUint16(nil, closeNormal)))
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("after the close handshake: %v, want EOF", err)
	}
	select {
	case <-ss.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session not done")
	}
}

// fakeRaw is a syscall.RawConn whose callbacks run at once, on no socket.
type fakeRaw struct{}

func (fakeRaw) Control(f func(uintptr)) error { f(0); return nil }

func (fakeRaw) Read(f func(uintptr) bool) error { f(0); return nil }

func (fakeRaw) Write(f func(uintptr) bool) error { f(0); return nil }

var _ syscall.RawConn = fakeRaw{}

// bytesWSConn returns a wsNetConn that reads in (then EOF) and appends what
// it writes to *out.
func bytesWSConn(in []byte, out *[]byte) *wsNetConn {
	c := &wsNetConn{raw: fakeRaw{}, r: in, limit: 1 << 20}
	c.readFn = func(uintptr) bool { c.rres = sysResult{}; return true }
	c.writeFn = func(uintptr) bool {
		n := 0
		for _, b := range c.wv {
			*out = append(*out, b...)
			n += len(b)
		}
		c.wres = sysResult{n: n}
		return true
	}
	return c
}

func TestUnmask(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 40 {
		b := bytes.Repeat([]byte{0xa5}, n)
		unmask(key, b)
		for i := range b {
			if b[i] != 0xa5^key[i%4] {
				t.Fatalf("length %d: byte %d is %x", n, i, b[i])
			}
		}
	}
}

func FuzzWebSocketFrames(f *testing.F) {
	f.Add(clientFrame(0x81, []byte("4hello")), 100)
	f.Add(append(clientFrame(0x01, []byte("4a")), clientFrame(0x80, []byte("b"))...), 100)
	f.Add(append(clientFrame(0x89, []byte("p")), clientFrame(0x82, []byte{1})...), 10)
	f.Add(clientFrame(0x88, []byte{3, 0xe8, 'x'}), 10)
	f.Add(clientFrame(0x81, bytes.Repeat([]byte("x"), 300)), 1000)
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}, 1<<20)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		var out []byte
		c := bytesWSConn(append([]byte(nil), in...), &out)
		for {
			_, data, err := c.readMessage(limit)
			if err != nil {
				var ce *wsCloseError
				var pe *wsProtocolError
				if !errors.Is(err, io.EOF) && !errors.As(err, &ce) && !errors.As(err, &pe) {
					t.Fatalf("unexpected error %v", err)
				}
				if (ce != nil || pe != nil) && lastServerOp(t, out) != opClose {
					t.Fatalf("%v without a close frame last: %x", err, out)
				}
				return
			}
			if len(data) > limit {
				t.Fatalf("%d bytes over the limit %d", len(data), limit)
			}
		}
	})
}

// lastServerOp parses server frames and returns the last one's opcode.
func lastServerOp(t *testing.T, b []byte) byte {
	op := byte(0xff)
	for len(b) > 0 {
		if len(b) < 2 || b[1]&0x80 != 0 {
			t.Fatalf("bad server frame %x", b)
		}
		op = b[0] & 0x0f
		n, h := int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			t.Fatalf("short server frame %x", b)
		}
		b = b[h+n:]
	}
	return op
}
