package socketio

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// A client that sends faster than its handler runs is held back: at most
// MaxPendingEvents wait, and none is lost.
func TestMaxPendingEventsBackpressure(t *testing.T) {
	const limit, sent = 8, 60
	env := newEnv(t, &ServerOptions{MaxPendingEvents: limit})
	release := make(chan struct{})
	var handled atomic.Int64
	var sock atomic.Pointer[Socket]
	env.srv.OnConnection(func(s *Socket) {
		sock.Store(s)
		s.On("work", func(e *Event) {
			<-release
			var n int
			_ = e.Decode(&n)
			if int64(n) != handled.Load() {
				t.Errorf("event %d handled in position %d", n, handled.Load())
			}
			handled.Add(1)
		})
	})
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	for i := 0; i < sent; i++ {
		c.emit("/", "work", i)
	}
	time.Sleep(200 * time.Millisecond) // let the server read what it will
	s := sock.Load()
	s.exec.mu.Lock()
	queued := s.exec.pending()
	s.exec.mu.Unlock()
	if queued > limit {
		t.Fatalf("%d events queued, limit %d", queued, limit)
	}
	close(release)
	waitUntil(t, func() bool { return handled.Load() == sent })
}

func TestMaxNamespaces(t *testing.T) {
	env := newEnv(t, &ServerOptions{MaxNamespaces: 2})
	env.srv.OfFunc(func(string, parser.Value) bool { return true })
	c := env.dial(t)
	c.connect("/", nil)
	c.connect("/a", nil)
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/b"})
	p := c.next()
	var e struct {
		Message string `json:"message"`
	}
	if p.Type != parser.ConnectError || p.Data[0].Decode(&e) != nil || e.Message != "too many namespaces" {
		t.Fatalf("third namespace: %v %s", p.Type, show(p))
	}
	// Leaving one makes room again.
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/a"})
	waitUntil(t, func() bool { return env.srv.Of("/a").Len() == 0 })
	c.connect("/b", nil)
}

// Inputs shaped like the known socket.io-parser CVEs close only the
// offending connection; the server and other clients carry on.
//   - CVE-2022-2421: attachment placeholders of the wrong type or range.
//   - CVE-2023-32695: an event name that is not a string or number.
func TestCVEClassPacketsCloseOnlyThatConnection(t *testing.T) {
	tests := []struct {
		name   string
		frames []engineio.Frame
	}{
		{"placeholder num as string", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":"0"}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num as object", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":{"__proto__":0}}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num out of range", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":7}]`)), engineio.BinaryFrame([]byte{1})}},
		{"placeholder num negative", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":-1}]`)), engineio.BinaryFrame([]byte{1})}},
		{"attachment count huge", []engineio.Frame{
			engineio.TextFrame([]byte(`5999999999-["x"]`))}},
		{"binary with no attachment expected", []engineio.Frame{engineio.BinaryFrame([]byte{1, 2, 3})}},
		{"text while attachments are expected", []engineio.Frame{
			engineio.TextFrame([]byte(`51-["x",{"_placeholder":true,"num":0}]`)), engineio.TextFrame([]byte(`2["y"]`))}},
		{"event name is an object", []engineio.Frame{engineio.TextFrame([]byte(`2[{"toString":"foo"}]`))}},
		{"event name is an array", []engineio.Frame{engineio.TextFrame([]byte(`2[["x"]]`))}},
		{"event name is null", []engineio.Frame{engineio.TextFrame([]byte(`2[null]`))}},
		{"empty event", []engineio.Frame{engineio.TextFrame([]byte(`2[]`))}},
		{"deeply nested", []engineio.Frame{engineio.TextFrame([]byte(`2["x",` + deep(100000) + `]`))}},
	}
	env := newEnv(t, nil)
	reasons := make(chan DisconnectReason, 1)
	env.srv.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	bystander := env.dial(t)
	bystander.connect("/", nil)
	<-time.After(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.dial(t, engineio.TransportWebSocket)
			c.connect("/", nil)
			for _, f := range tt.frames {
				_ = c.eio.Send(f)
			}
			c.waitClosed()
			if r := <-reasons; r != ReasonParseError {
				t.Errorf("reason %q", r)
			}
		})
	}
	_ = env.srv.Emit("still", "here")
	bystander.expectEvent("/", "still")
}

func deep(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		b = append(b, '[')
	}
	for i := 0; i < n; i++ {
		b = append(b, ']')
	}
	return string(b)
}

// A client that never acknowledges cannot make the server keep more than
// MaxPendingAcks waiting acks for it.
func TestMaxPendingAcks(t *testing.T) {
	env := newEnv(t, &ServerOptions{MaxPendingAcks: 2, ConcurrentEvents: true})
	errs := make(chan error, 3)
	env.srv.OnConnection(func(s *Socket) {
		s.On("ask-me", func(*Event) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question")
			errs <- err
		})
	})
	c := env.dial(t)
	c.connect("/", nil)
	for i := 0; i < 3; i++ {
		c.emit("/", "ask-me")
	}
	var tooMany, timedOut int
	for i := 0; i < 3; i++ {
		switch err := <-errs; {
		case errors.Is(err, ErrTooManyAcks):
			tooMany++
		case errors.Is(err, ErrAckTimeout):
			timedOut++
		default:
			t.Fatalf("EmitWithAck: %v", err)
		}
	}
	if tooMany != 1 || timedOut != 2 {
		t.Fatalf("%d refused, %d timed out; want 1 and 2", tooMany, timedOut)
	}
	// The expired ones are gone: there is room again.
	c.emit("/", "ask-me")
	if err := <-errs; !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("after expiry: %v", err)
	}
}

// An executor that never runs dry (each task queues the next, with a few
// always waiting) runs every task in order and keeps its queue small.
func TestExecutorBusyQueueStaysSmall(t *testing.T) {
	var x executor
	const total, ahead = 10000, 5
	var mu sync.Mutex
	ran, maxCap := 0, 0
	done := make(chan struct{})
	var next func(i int) func()
	next = func(i int) func() {
		return func() {
			mu.Lock()
			if i != ran {
				t.Errorf("task %d ran in position %d", i, ran)
			}
			ran++
			mu.Unlock()
			x.mu.Lock()
			maxCap = max(maxCap, cap(x.queue))
			x.mu.Unlock()
			if i+ahead < total {
				x.run(next(i + ahead))
			}
			if i == total-1 {
				close(done)
			}
		}
	}
	x.mu.Lock() // queue the first ones before the loop starts
	for i := range ahead {
		x.queue = append(x.queue, task{fn: next(i)})
	}
	x.mu.Unlock()
	x.run(func() {})
	<-done
	if maxCap > 4*ahead {
		t.Fatalf("queue capacity reached %d with at most %d tasks waiting", maxCap, ahead+1)
	}
}
