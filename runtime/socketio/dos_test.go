package socketio

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// With ConcurrentEvents, each event's handlers run in a goroutine of their
// own; a client that sends faster than they finish must be held back at
// MaxPendingEvents of them, as without it, rather than make the server start
// a goroutine per event it sends (a 1 MB polling body holds about 110 000
// events of 9 bytes).
func TestConcurrentEventsBounded(t *testing.T) {
	const limit, sent = 8, 200
	env := newEnv(t, &ServerOptions{ConcurrentEvents: true, MaxPendingEvents: limit})
	release := make(chan struct{})
	var entered, handled atomic.Int64
	env.srv.OnConnection(func(s *Socket) {
		s.On("work", func(e *Event) {
			entered.Add(1)
			<-release
			handled.Add(1)
		})
	})
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	for i := range sent {
		c.emit("/", "work", i)
	}
	waitUntil(t, func() bool { return entered.Load() >= limit })
	time.Sleep(200 * time.Millisecond) // let the server read what it will
	if n := entered.Load(); n > limit {
		t.Fatalf("%d handlers running at once for one socket, MaxPendingEvents %d", n, limit)
	}
	close(release)
	waitUntil(t, func() bool { return handled.Load() == sent })
}

// Every client that drops its connection leaves a recoverable session for
// MaxDisconnectionDuration. Keeping them must not make each later
// disconnect, and each broadcast, look at all of them: a peer that opens
// and drops connections would make the server's work grow with their
// square, under the lock of the namespace's recovery.
func TestRecoverySessionsPrunedInOrder(t *testing.T) {
	srv := NewServer(&ServerOptions{ConnectionStateRecovery: &RecoveryOptions{MaxDisconnectionDuration: time.Hour}})
	a := srv.Of("/").adapter.(*MemoryAdapter)
	const n = 2000
	for i := range n {
		a.PersistSession(SessionState{SID: strconv.Itoa(i), PID: "p" + strconv.Itoa(i)})
	}
	for range n {
		a.Store(parser.NewEvent("/", "x", 1), BroadcastOptions{})
	}
	if a.visited > 2*n {
		t.Fatalf("%d persisted sessions and %d broadcasts: pruning looked at sessions %d times", n, n, a.visited)
	}
	// Those kept are restored once; expired ones are not.
	if _, _, ok := a.RestoreSession("p7", a.packets[0].offset); !ok {
		t.Fatal("a kept session was not restored")
	}
	if _, _, ok := a.RestoreSession("p7", a.packets[0].offset); ok {
		t.Fatal("a session was restored twice")
	}
	// One persisted again (a recovered socket that dropped again) is kept
	// from its last time; those past the window are not restored.
	short := NewServer(&ServerOptions{ConnectionStateRecovery: &RecoveryOptions{MaxDisconnectionDuration: 50 * time.Millisecond}})
	b := short.Of("/").adapter.(*MemoryAdapter)
	b.Store(parser.NewEvent("/", "x", 1), BroadcastOptions{})
	off := b.packets[0].offset
	b.PersistSession(SessionState{SID: "a", PID: "pa"})
	b.PersistSession(SessionState{SID: "b", PID: "pb"})
	time.Sleep(30 * time.Millisecond)
	b.PersistSession(SessionState{SID: "b", PID: "pb"})
	time.Sleep(30 * time.Millisecond) // pa is 60 ms old, pb 30 ms
	b.Store(parser.NewEvent("/", "x", 2), BroadcastOptions{})
	if _, _, ok := b.RestoreSession("pa", off); ok {
		t.Fatal("a session past the window was restored")
	}
	b.recMu.Lock()
	_, kept := b.sessions["pb"]
	b.recMu.Unlock()
	if !kept {
		t.Fatal("a session persisted again was dropped by its first time")
	}
	time.Sleep(60 * time.Millisecond)
	b.Store(parser.NewEvent("/", "x", 3), BroadcastOptions{})
	b.recMu.Lock()
	left := len(b.sessions)
	b.recMu.Unlock()
	if left != 0 {
		t.Fatalf("%d sessions kept past the window", left)
	}
}

// A CONNECT to a dynamic namespace creates it before the middleware run. When
// they refuse it, the child that no socket joined must go again: a peer
// could otherwise make the server create namespaces without end (about
// 600 bytes each with the in-memory adapter, a subscription each with
// Redis's) with CONNECTs it knows will be refused.
func TestRefusedConnectsLeaveNoDynamicNamespaces(t *testing.T) {
	env := newEnv(t, nil)
	p := env.srv.OfFunc(func(string, parser.Value) bool { return true })
	p.Use(func(s *Socket) error {
		var a struct{ Token int }
		if s.Handshake().Auth.Decode(&a) != nil || a.Token == 0 {
			return errors.New("no")
		}
		return nil
	})
	before := len(env.srv.Namespaces())
	c := env.dial(t, engineio.TransportWebSocket)
	const n = 500
	for i := range n {
		c.send(&parser.Packet{Type: parser.Connect, Namespace: "/d" + strconv.Itoa(i)})
		if r := c.next(); r.Type != parser.ConnectError {
			t.Fatalf("CONNECT %d: %v", i, r.Type)
		}
	}
	// The last one is dropped after its CONNECT_ERROR is sent.
	waitUntil(t, func() bool { return len(env.srv.Namespaces()) == before })
	// One that a socket joined stays, after the socket has left too (as in
	// Node without cleanupEmptyChildNamespaces), and after a refusal.
	c.connect("/kept", map[string]any{"token": 1})
	c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/kept"})
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/kept"})
	if r := c.next(); r.Type != parser.ConnectError {
		t.Fatalf("refused CONNECT to /kept: %v", r.Type)
	}
	c.connect("/other", map[string]any{"token": 1}) // after /kept's refusal is done
	if got := len(env.srv.Namespaces()) - before; got != 2 {
		t.Fatalf("%d namespaces, want /kept and /other", got)
	}
}
