package engineio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsSession dials a WebSocket-only session and returns the client and the
// server side of it, which must write directly to its socket.
func wsSession(t *testing.T, ts *testServer) (*websocket.Conn, *Session) {
	t.Helper()
	c := mustDialWS(t, ts, "")
	o := parseOpen(t, readText(t, c))
	ss := ts.eio.Session(o.SID)
	if ss == nil {
		t.Fatal("no session")
	}
	ss.mu.Lock()
	direct := ss.wsc.out != nil
	ss.mu.Unlock()
	if !direct {
		t.Fatal("a plain TCP WebSocket is not written directly")
	}
	return c, ss
}

func TestWebSocketFrameLengths(t *testing.T) {
	ts := newTestServer(t, calmOptions())
	c, ss := wsSession(t, ts)
	// Every length encoding of RFC 6455 §5.2 and its edges, text and binary.
	for _, n := range []int{1, 2, 125, 126, 127, 0xffff, 0x10000, 300000} {
		for _, bin := range []bool{false, true} {
			data := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
			data[0] = '4'
			if err := ss.Send(Frame{Data: data, Binary: bin}); err != nil {
				t.Fatalf("send %d: %v", n, err)
			}
			typ, got := readFrame(t, c)
			if want := map[bool]websocket.MessageType{false: websocket.MessageText, true: websocket.MessageBinary}[bin]; typ != want {
				t.Fatalf("length %d: type %v, want %v", n, typ, want)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("length %d binary=%v: got %d bytes, not what was sent", n, bin, len(got))
			}
		}
	}
	// Several frames of one Send arrive as separate messages, in order.
	if err := ss.Send(TextFrame([]byte("a")), BinaryFrame([]byte{1}), TextFrame([]byte("b"))); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"4a", "\x01", "4b"} {
		if _, got := readFrame(t, c); string(got) != want {
			t.Fatalf("frame %d: %q, want %q", i, got, want)
		}
	}
}

// backlogSize is more than loopback socket buffers take, so that a client
// that does not read makes the server hold a backlog.
const backlogSize = 24 << 20

func TestWebSocketBacklogKeepsOrder(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute, WriteQueueSize: 2 * backlogSize})
	c, ss := wsSession(t, ts)
	const frame = 64 << 10
	n := backlogSize / frame
	for i := range n { // the client reads nothing meanwhile
		data := make([]byte, frame)
		data[0] = '4'
		binary.BigEndian.PutUint32(data[1:], uint32(i))
		if err := ss.Send(Frame{Data: data}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	out := ss.wsc.out
	out.wmu.Lock()
	backlog := out.flushing
	out.wmu.Unlock()
	if !backlog {
		t.Fatalf("the kernel took %d MiB at once: the backlog path was not exercised", backlogSize>>20)
	}
	for i := range n {
		_, got := readFrame(t, c)
		if len(got) != frame || binary.BigEndian.Uint32(got[1:]) != uint32(i) {
			t.Fatalf("frame %d: %d bytes, number %d", i, len(got), binary.BigEndian.Uint32(got[1:]))
		}
	}
	// Then an ordinary echo, and the backlog is gone.
	writeText(t, c, "4after")
	if _, got := readFrame(t, c); string(got) != "4after" {
		t.Fatalf("echo after the backlog: %q", got)
	}
	out.wmu.Lock()
	flushing, pend := out.flushing, out.pend
	out.wmu.Unlock()
	if flushing || pend != nil {
		t.Fatalf("after draining: flushing %v, %d bytes pending", flushing, len(pend))
	}
}

func TestWebSocketBacklogLimit(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute, WriteQueueSize: 1 << 20})
	_, ss := wsSession(t, ts)
	data := append([]byte{'4'}, bytes.Repeat([]byte("x"), 64<<10)...)
	// Volatile frames are dropped once the backlog would pass the bound; the
	// session stays.
	dropped := false
	for range backlogSize / len(data) {
		if err := ss.SendVolatile(Frame{Data: data}); err != nil {
			if !errors.Is(err, ErrQueueFull) {
				t.Fatalf("volatile send: %v", err)
			}
			dropped = true
			break
		}
	}
	if !dropped {
		t.Fatal("no volatile frame was dropped")
	}
	select {
	case r := <-ts.handler(ss.ID()).closed:
		t.Fatalf("a dropped volatile frame closed the session: %s", r)
	case <-time.After(50 * time.Millisecond):
	}
	// A frame that must not be lost closes the session instead. (The kernel
	// may have taken more meanwhile, as its buffers grow: the first frames
	// may still fit.)
	var err error
	for range backlogSize / len(data) {
		if err = ss.Send(Frame{Data: data}); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("send over the bound: %v", err)
	}
	if r := ts.waitClose(t, ss.ID()); r != ReasonWriteQueueFull {
		t.Fatalf("reason %q", r)
	}
}

func TestWebSocketPipelinedFrame(t *testing.T) {
	// A client may send its first frames in the same segment as the
	// handshake: the bytes net/http has already buffered must not be lost,
	// and two frames read at once are two messages.
	ts := newTestServer(t, calmOptions())
	nc, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	mask := [4]byte{1, 2, 3, 4}
	frame := func(payload string) []byte {
		f := []byte{0x81, 0x80 | byte(len(payload)), mask[0], mask[1], mask[2], mask[3]}
		for i := range len(payload) {
			f = append(f, payload[i]^mask[i%4])
		}
		return f
	}
	msg := append([]byte(req), frame("4pipelined")...)
	msg = append(msg, frame("4second")...)
	if _, err := nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	readServerFrame := func() string {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatal(err)
		}
		n := int(h[1] & 0x7f)
		if h[1]&0x80 != 0 || n >= 126 {
			t.Fatalf("unexpected header %x", h)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if open := readServerFrame(); !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet %q", open)
	}
	for _, want := range []string{"4pipelined", "4second"} {
		if echo := readServerFrame(); echo != want {
			t.Fatalf("echo %q, want %q", echo, want)
		}
	}
}

func TestAppendFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		n      int
		binary bool
		want   string
	}{
		{0, false, "8100"},
		{125, false, "817d"},
		{126, true, "827e007e"},
		{0xffff, false, "817effff"},
		{0x10000, true, "827f0000000000010000"},
	} {
		if got := fmt.Sprintf("%x", appendFrameHeader(nil, dataOp(tc.binary), tc.n)); got != tc.want {
			t.Errorf("header(%d, %v) = %s, want %s", tc.n, tc.binary, got, tc.want)
		}
	}
}

func TestWebSocketDirectWritesConcurrent(t *testing.T) {
	// Senders on many goroutines: every frame arrives whole, each sender's
	// in its order.
	ts := newTestServer(t, calmOptions())
	c, ss := wsSession(t, ts)
	const senders, each = 8, 200
	go func() {
		for g := range senders {
			go func() {
				for i := range each {
					_ = ss.Send(TextFrame(fmt.Appendf(nil, "%d:%d:%s", g, i, strings.Repeat("y", i*37%3000))))
				}
			}()
		}
	}()
	next := make([]int, senders)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range senders * each {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var g, i int
		if _, err := fmt.Sscanf(string(b[1:]), "%d:%d:", &g, &i); err != nil {
			t.Fatalf("frame %q: %v", b, err)
		}
		if i != next[g] {
			t.Fatalf("sender %d: frame %d, want %d", g, i, next[g])
		}
		next[g]++
	}
}

func TestFrameHeaderLen(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000, 1 << 30} {
		if got, want := frameHeaderLen(n), len(appendFrameHeader(nil, opText, n)); got != want {
			t.Errorf("frameHeaderLen(%d) = %d, header is %d bytes", n, got, want)
		}
	}
}
