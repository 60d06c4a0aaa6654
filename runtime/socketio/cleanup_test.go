package socketio_test

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

// With CleanupEmptyChildNamespaces a dynamic namespace goes once its last
// socket has disconnected, and the next CONNECT creates it afresh; without
// it, it stays (Node's default).
func TestCleanupEmptyChildNamespaces(t *testing.T) {
	ws := &siotest.ClientOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}}
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not within 5s: %s", what)
			}
		}
	}
	for _, cleanup := range []bool{false, true} {
		srv := siotest.NewServer(t, &socketio.ServerOptions{CleanupEmptyChildNamespaces: cleanup})
		connected := make(chan *socketio.Namespace, 4)
		srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`)).OnConnection(func(s *socketio.Socket) {
			connected <- s.Namespace()
		})
		has := func() bool { return slices.Contains(srv.Namespaces(), "/dyn-1") }

		a := srv.Connect(t, "/dyn-1", ws)
		b := srv.Connect(t, "/dyn-1", ws)
		first := <-connected
		<-connected
		_ = a.Disconnect()
		until("one socket left", func() bool { return first.Len() == 1 })
		if !has() {
			t.Fatalf("cleanup %v: /dyn-1 dropped while a socket is still in it", cleanup)
		}
		_ = b.Disconnect()
		until("no socket left", func() bool { return first.Len() == 0 })
		if cleanup {
			until("/dyn-1 dropped", func() bool { return !has() })
		} else {
			time.Sleep(100 * time.Millisecond)
			if !has() {
				t.Fatal("/dyn-1 dropped without CleanupEmptyChildNamespaces")
			}
		}
		c := srv.Connect(t, "/dyn-1", ws)
		again := <-connected
		if !has() || !c.Connected() || again.Name() != "/dyn-1" || (again == first) == cleanup {
			t.Fatalf("cleanup %v: reconnected to %s (the same namespace: %v), namespaces %v", cleanup, again.Name(), again == first, srv.Namespaces())
		}
	}
}
