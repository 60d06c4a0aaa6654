package engineio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// allocated returns the bytes f allocates (on this goroutine's watch: the
// test runs nothing else meanwhile).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A frame header announces a message of up to the limit; the peer sends a
// few bytes of it and then nothing. The server must not allocate the
// announced size before the bytes come: 14 bytes of header would otherwise
// hold MaxHTTPBufferSize (1 MB by default) per connection.
func TestWebSocketAnnouncedLengthNotPreallocated(t *testing.T) {
	const limit = 1_000_000
	for _, fin := range []bool{true, false} {
		first := byte(0x01) // text, not final
		if fin {
			first = 0x81
		}
		in := []byte{first, 0x80 | 127}
		in = binary.BigEndian.AppendUint64(in, limit)
		in = append(in, 1, 2, 3, 4)             // the mask
		in = append(in, "4abcdefghijklmnop"...) // 17 of the 1e6 bytes
		var out []byte
		c := bytesWSConn(in, &out)
		var err error
		n := allocated(func() { _, _, err = c.readMessage(limit) })
		if !errors.Is(err, io.EOF) {
			t.Fatalf("fin=%v: error %v, want EOF", fin, err)
		}
		if n > 4*wsPrealloc { // the buffer, and some slack for the race detector
			t.Fatalf("fin=%v: %d bytes allocated for a message of which 17 bytes came", fin, n)
		}
	}
}

// Messages that grow as their bytes come arrive whole: one frame, and
// fragments of every size around the preallocation.
func TestWebSocketGrowingMessages(t *testing.T) {
	msg := make([]byte, 300_000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	for _, frag := range []int{1, 7, wsPrealloc - 1, wsPrealloc, wsPrealloc + 1, 100_000, len(msg)} {
		var in []byte
		for off := 0; off < len(msg); off += frag {
			first := byte(opContinuation)
			if off == 0 {
				first = opBinary
			}
			if off+frag >= len(msg) {
				first |= 0x80
			}
			in = append(in, clientFrame(first, msg[off:min(off+frag, len(msg))])...)
			if frag == 1 && off > 20_000 { // enough single bytes: the rest at once
				in = append(in, clientFrame(0x80, msg[off+1:])...)
				break
			}
		}
		var out []byte
		c := bytesWSConn(in, &out)
		bin, data, err := c.readMessage(len(msg))
		if err != nil || !bin || !bytes.Equal(data, msg) {
			t.Fatalf("fragments of %d: binary=%v, %d bytes, %v", frag, bin, len(data), err)
		}
	}
}

// markHandler signals when the message "done" comes; it sends nothing.
type markHandler struct{ done chan struct{} }

func (h markHandler) HandleMessage(data []byte, _ bool) {
	if string(data) == "done" {
		close(h.done)
	}
}

func (markHandler) HandleClose(CloseReason, error) {}

// A peer that never reads and sends pings: each is answered with a pong,
// which waits behind the others in the session's write backlog. The pongs
// must not grow it beyond WriteQueueSize.
func TestWebSocketPingFloodBacklogBounded(t *testing.T) {
	const queue = 64 << 10
	h := markHandler{done: make(chan struct{})}
	var ss *Session
	srv := NewServer(func(s *Session) Handler { ss = s; return h }, &Options{PingInterval: time.Minute, WriteQueueSize: queue})
	ts := &testServer{Server: httptest.NewServer(srv), eio: srv}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	c := dialRawWS(t, ts) // reads the open packet, then nothing
	_ = c.nc.SetDeadline(time.Now().Add(60 * time.Second))
	ping := clientFrame(0x89, bytes.Repeat([]byte("p"), 125))
	batch := bytes.Repeat(ping, 1000)
	const total = 24 << 20 // more than loopback socket buffers take
	for sent := 0; sent < total; sent += len(batch) {
		c.write(batch)
	}
	c.write(clientFrame(0x81, []byte("4done")))
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not read the pings")
	}
	out := ss.wsc.out
	out.wmu.Lock()
	pend := len(out.pend)
	out.wmu.Unlock()
	if pend > queue+len(ping) {
		t.Fatalf("%d bytes of pongs held for a peer that does not read; WriteQueueSize is %d", pend, queue)
	}
}

// A polling client sends a GET for a large payload and never reads the
// response. Once the session has ended (its heartbeat timed out), the
// request's goroutine and the payload must go too: a peer could otherwise
// pin them with one idle TCP connection each, forever.
func TestPollNeverReadEnds(t *testing.T) {
	var active atomic.Int32
	srv := NewServer(func(s *Session) Handler { return nopHandler{} },
		&Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, WriteQueueSize: 64 << 20})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	ts := &testServer{Server: hs, eio: srv}
	sid := ts.handshake(t)
	ss := srv.Session(sid)
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
	}
	for range 32 { // more than the socket buffers of both ends take
		if err := ss.Send(TextFrame(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	nc, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	if _, err := io.WriteString(nc, "GET /engine.io/?EIO=4&transport=polling&sid="+sid+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing; the session times out.
	select {
	case <-ss.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("session not done")
	}
	deadline := time.Now().Add(10 * time.Second)
	for active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d request(s) still writing to a peer that does not read, after its session ended", active.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
