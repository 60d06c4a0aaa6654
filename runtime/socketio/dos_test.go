package socketio

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
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
