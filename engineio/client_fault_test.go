package engineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// clientDeafOpen is the open packet of clientDeafServer.
const clientDeafOpen = `0{"sid":"deaf","upgrades":[],"pingInterval":60000,"pingTimeout":60000,"maxPayload":100000000}`

// clientDeafServer is an Engine.IO server that completes the handshake and
// then never reads again: over WebSocket it leaves the socket unread (the
// client's writes block once the TCP buffers are full); over long-polling it
// holds every GET and POST unanswered, the POST's body unread; posts gets a
// value for each POST. failPolls makes the held GETs, and later ones, fail
// with HTTP 400. Its handlers are released, and waited for, at the end of
// the test.
func clientDeafServer(t *testing.T) (url string, posts <-chan struct{}, failPolls func()) {
	t.Helper()
	release := make(chan struct{})
	failGets := make(chan struct{})
	postCh := make(chan struct{}, 100)
	var handlers sync.WaitGroup
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		q := r.URL.Query()
		switch {
		case q.Get("transport") == "websocket":
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			if ws.Write(context.Background(), websocket.MessageText, []byte(clientDeafOpen)) != nil {
				return
			}
			<-release
		case q.Get("sid") == "":
			io.WriteString(w, clientDeafOpen)
		case r.Method == http.MethodGet:
			select {
			case <-release:
			case <-failGets:
				http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
			}
		default:
			postCh <- struct{}{}
			<-release
		}
	}))
	t.Cleanup(func() {
		close(release)
		ts.CloseClientConnections()
		ts.Close()
		handlers.Wait()
	})
	return ts.URL, postCh, sync.OnceFunc(func() { close(failGets) })
}

// clientSetCloseTimeout shortens clientCloseTimeout for one test.
func clientSetCloseTimeout(t *testing.T, d time.Duration) {
	old := clientCloseTimeout
	clientCloseTimeout = d
	t.Cleanup(func() { clientCloseTimeout = old })
}

// TestClientCloseStuckWrite: Close ends the connection even when the
// transport's write cannot complete because the server stopped reading.
// Without a bound on the graceful close, Done never closed.
func TestClientCloseStuckWrite(t *testing.T) {
	clientSetCloseTimeout(t, 100*time.Millisecond)
	for _, mode := range []clientMode{clientModes[0], clientModes[2]} {
		t.Run(mode.name, func(t *testing.T) {
			url, posts, _ := clientDeafServer(t)
			rec := clientNewRecorder()
			c, err := Dial(context.Background(), url, rec, &DialOptions{
				Transports:      mode.transports,
				HTTPClient:      clientHTTP(t),
				WriteQueueBytes: 64 << 20,
			})
			if err != nil {
				t.Fatal(err)
			}
			// Close once a write is under way and cannot end.
			if mode.want == TransportPolling {
				// A POST is stuck with any body: it is never answered.
				if err := c.Send(TextFrame([]byte("stuck"))); err != nil {
					t.Fatal(err)
				}
				<-posts
			} else {
				// More than the TCP buffers of a loopback connection
				// hold: once the run loop took some from the queue, its
				// write cannot end (and what is left cannot be flushed).
				msg := make([]byte, 1<<20)
				for range 16 {
					if err := c.Send(BinaryFrame(msg)); err != nil {
						t.Fatal(err)
					}
				}
				clientWaitQueueTaken(t, c, 16)
			}
			c.Close()
			select {
			case <-c.Done():
			case <-time.After(20 * time.Second): // a hang, not a slow close
				t.Fatal("Close did not end the connection: the graceful close is unbounded")
			}
			reason, err := rec.waitClose(t, time.Second)
			if reason != ReasonForcedClose {
				t.Errorf("HandleClose(%q), want forced close", reason)
			}
			// The messages that were not written are not lost silently.
			if err == nil || !strings.Contains(err.Error(), "not all have been written") {
				t.Errorf("HandleClose(%q, %v), want an error saying the queue was not flushed", reason, err)
			}
			rec.check(t)
		})
	}
}

// clientWaitQueueTaken waits until the run loop has taken some of the sent
// frames from the queue to write them.
func clientWaitQueueTaken(t *testing.T, c *Client, sent int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.queue)
		c.mu.Unlock()
		if n < sent {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d frames still queued", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestClientCloseAfterTransportError: a transport failure during a graceful
// close ends it at once, before the close bound.
func TestClientCloseAfterTransportError(t *testing.T) {
	clientSetCloseTimeout(t, time.Hour)
	url, posts, failPolls := clientDeafServer(t)
	rec := clientNewRecorder()
	hc := clientHTTP(t)
	c, err := Dial(context.Background(), url, rec, &DialOptions{
		Transports: []Transport{TransportPolling}, HTTPClient: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(TextFrame([]byte("stuck"))); err != nil {
		t.Fatal(err)
	}
	<-posts
	c.Close()
	// The POST is stuck; the pending GET fails: the graceful close gives up.
	failPolls()
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("a transport failure did not end the graceful close")
	}
	rec.check(t)
}

// TestClientWriteQueueLimits: a message bigger than the whole write queue is
// refused with ErrMessageTooLarge and the connection stays open; messages
// that fit but overflow the queue of a server that stopped reading still
// end the connection with ReasonWriteQueueFull.
func TestClientWriteQueueLimits(t *testing.T) {
	url, _, _ := clientDeafServer(t)
	rec := clientNewRecorder()
	const limit = 1 << 20
	c, err := Dial(context.Background(), url, rec, &DialOptions{
		Transports:      []Transport{TransportWebSocket},
		HTTPClient:      clientHTTP(t),
		WriteQueueBytes: limit,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close(); <-c.Done() }()
	big := BinaryFrame(make([]byte, limit+1))
	if err := c.Send(big); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Send of a message bigger than the queue: %v, want ErrMessageTooLarge", err)
	}
	if err := c.SendVolatile(big); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("SendVolatile of a message bigger than the queue: %v, want ErrMessageTooLarge", err)
	}
	// Two frames of one message count together.
	half := BinaryFrame(make([]byte, limit/2+1))
	if err := c.Send(half, half); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Send of two frames bigger than the queue: %v, want ErrMessageTooLarge", err)
	}
	select {
	case <-rec.closed:
		t.Fatalf("the connection ended: %s %v", rec.reason, rec.err)
	default:
	}
	// Messages that fit: they are written until the server's TCP buffers are
	// full, then the queue overflows.
	msg := BinaryFrame(make([]byte, limit/4))
	var sendErr error
	for i := 0; i < 1024 && sendErr == nil; i++ {
		sendErr = c.Send(msg)
	}
	if !errors.Is(sendErr, ErrQueueFull) {
		t.Fatalf("Send to a server that does not read: %v, want ErrQueueFull", sendErr)
	}
	reason, err := rec.waitClose(t, 10*time.Second)
	if reason != ReasonWriteQueueFull || !errors.Is(err, ErrQueueFull) {
		t.Errorf("HandleClose(%q, %v), want write queue full", reason, err)
	}
	rec.check(t)
}

// TestClientReadLimit: DialOptions.ReadLimit bounds the data of each message
// from the server, on every transport (a long-polling body holding several
// messages may be bigger); a bigger one ends the connection with an error
// wrapping ErrMessageTooLarge.
func TestClientReadLimit(t *testing.T) {
	srv := clientStartNode(t)
	const limit = 1000
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, srv.URL, mode, &DialOptions{ReadLimit: limit})
			c.Send(TextFrame([]byte("big:1000")))
			rec.expect(t, strings.Repeat("x", limit), false)
			bin := make([]byte, limit)
			c.Send(BinaryFrame(bin))
			rec.expect(t, string(bin), true)
			// Several messages that together exceed the limit.
			for range 3 {
				c.Send(TextFrame([]byte(strings.Repeat("y", limit))))
			}
			for range 3 {
				rec.expect(t, strings.Repeat("y", limit), false)
			}
			c.Send(BinaryFrame(make([]byte, limit+1)))
			reason, err := rec.waitClose(t, 10*time.Second)
			if reason != ReasonTransportError || !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("HandleClose(%q, %v), want a transport error wrapping ErrMessageTooLarge", reason, err)
			}
			t.Logf("error: %v", err)
		})
	}
}

// TestClientWaitQueue: WaitQueue returns at once when the frames fit, waits
// while they do not (a server that stopped reading), until its context
// ends or the connection closes; it refuses more than the queue can hold.
func TestClientWaitQueue(t *testing.T) {
	clientSetCloseTimeout(t, 100*time.Millisecond) // the writes are stuck
	url, _, _ := clientDeafServer(t)
	rec := clientNewRecorder()
	const limit = 64 << 10
	c, err := Dial(context.Background(), url, rec, &DialOptions{
		Transports:      []Transport{TransportWebSocket},
		HTTPClient:      clientHTTP(t),
		WriteQueueBytes: limit,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close(); <-c.Done() }()
	ctx := context.Background()
	if err := c.WaitQueue(ctx, limit); err != nil {
		t.Fatalf("WaitQueue on an empty queue: %v", err)
	}
	if err := c.WaitQueue(ctx, limit+1); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("WaitQueue(limit+1) = %v, want ErrMessageTooLarge", err)
	}
	// Fill the queue: the server's TCP buffers fill first, then the writes
	// block and the queue stays full.
	msg := BinaryFrame(make([]byte, limit/4))
	for {
		if err := c.WaitQueue(ctx, len(msg.Data)); err != nil {
			t.Fatal(err)
		}
		shortCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := c.WaitQueue(shortCtx, limit)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break // full, and not emptying
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Send(msg); err != nil {
			t.Fatalf("Send after WaitQueue: %v", err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- c.WaitQueue(ctx, limit) }()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("WaitQueue when the connection closes = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitQueue did not return when the connection closed")
	}
}

// clientBlockingHandler is a clientRecorder whose HandleMessage blocks on
// the first message until release is closed.
type clientBlockingHandler struct {
	*clientRecorder
	first   sync.Once
	blocked chan struct{}
	release chan struct{}
}

func (h *clientBlockingHandler) HandleMessage(data []byte, binary bool) {
	h.first.Do(func() {
		close(h.blocked)
		<-h.release
	})
	h.clientRecorder.HandleMessage(data, binary)
}

// clientDialBusyHandler dials, with the default transports (long-polling,
// then the upgrade), a Go server that sends "a" and echoes each message as
// clientServerHandler (got gets them), and returns once the Handler holds
// the long-poll's reader on "a", until release is called. The connection
// is released and closed at the end of the test.
func clientDialBusyHandler(t *testing.T) (c *Client, h *clientBlockingHandler, got chan string, release func()) {
	t.Helper()
	got = make(chan string, 10)
	srv := NewServer(func(ss *Session) Handler {
		ss.Send(TextFrame([]byte("a")))
		return clientServerHandler{ss, got}
	}, nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	h = &clientBlockingHandler{clientRecorder: clientNewRecorder(), blocked: make(chan struct{}), release: make(chan struct{})}
	hc := clientHTTP(t)
	c, err := Dial(context.Background(), ts.URL, h, &DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() { close(h.release) })
	t.Cleanup(func() { release(); c.Close(); <-c.Done(); hc.CloseIdleConnections() })
	<-h.blocked
	return c, h, got, release
}

// TestClientUpgradeWhileHandlerBusy: when the long-poll cannot pause for
// the upgrade in time because the Handler holds its reader (a slow
// consumer), the upgrade is given up and the connection stays on
// long-polling, as after a failed probe (a server drops the probe after its
// upgradeTimeout anyway). Before, the whole connection was closed
// (transport error: the long-poll did not pause).
func TestClientUpgradeWhileHandlerBusy(t *testing.T) {
	old := clientProbeTimeout
	clientProbeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { clientProbeTimeout = old })
	c, h, got, release := clientDialBusyHandler(t)
	time.Sleep(3 * clientProbeTimeout)
	release()
	h.expect(t, "a", false)
	// The connection works both ways.
	for i := range 3 {
		msg := fmt.Sprintf("m%d", i)
		if err := c.Send(TextFrame([]byte(msg))); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			if m != msg {
				t.Fatalf("server got %q, want %q", m, msg)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("server did not get %q", msg)
		}
		h.expect(t, "echo "+msg, false)
	}
	select {
	case <-h.closed:
		t.Fatalf("connection closed: %s %v", h.reason, h.err)
	default:
	}
	if tr := c.Transport(); tr != TransportPolling {
		t.Errorf("transport %s, want polling (the upgrade given up)", tr)
	}
	h.check(t)
}

// clientServerHandler echoes each message back as "echo <message>" and
// passes it to got.
type clientServerHandler struct {
	ss  *Session
	got chan string
}

func (h clientServerHandler) HandleMessage(data []byte, binary bool) {
	h.got <- string(data)
	h.ss.Send(TextFrame([]byte("echo " + string(data))))
}

func (clientServerHandler) HandleClose(CloseReason, error) {}

// TestClientWritable: Writable is engine.io-client's transport.writable:
// true on an idle open connection; false while a long-polling POST is in
// flight, while an upgrade holds the writes (the long-poll cannot pause:
// the Handler holds its reader), and once the connection is closing.
func TestClientWritable(t *testing.T) {
	// waitWritable waits until c.Writable() is want.
	waitWritable := func(t *testing.T, c *Client, want bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for c.Writable() != want {
			if time.Now().After(deadline) {
				t.Fatalf("Writable() is %v %s, want %v", !want, what, want)
			}
			time.Sleep(time.Millisecond)
		}
	}

	t.Run("post", func(t *testing.T) {
		clientSetCloseTimeout(t, 100*time.Millisecond) // the POST is stuck
		url, posts, _ := clientDeafServer(t)
		hc := clientHTTP(t)
		c, err := Dial(context.Background(), url, clientNewRecorder(), &DialOptions{
			Transports: []Transport{TransportPolling}, HTTPClient: hc,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { c.Close(); <-c.Done() }()
		if !c.Writable() {
			t.Fatal("Writable() is false on an idle connection")
		}
		if err := c.Send(TextFrame([]byte("a"))); err != nil {
			t.Fatal(err)
		}
		select {
		case <-posts:
		case <-time.After(10 * time.Second):
			t.Fatal("no POST")
		}
		if c.Writable() {
			t.Fatal("Writable() is true while the POST is in flight")
		}
		c.Close()
		if c.Writable() {
			t.Fatal("Writable() is true after Close")
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		c, h, _, release := clientDialBusyHandler(t)
		// Nothing is written: only the upgrade, once probed, can hold the
		// writes, until the Handler lets the long-poll pause.
		waitWritable(t, c, false, "during the upgrade")
		if tr := c.Transport(); tr != TransportPolling {
			t.Fatalf("transport %s during the upgrade", tr)
		}
		release()
		h.expect(t, "a", false)
		clientWaitTransport(t, c, TransportWebSocket)
		waitWritable(t, c, true, "after the upgrade")
		h.check(t)
	})
}
