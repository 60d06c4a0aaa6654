package socketio

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/id"
)

// A client that vanishes while the server waits for its ack: EmitWithAck
// returns ErrNotConnected at once, not when its context ends.
func TestVanishMidAck(t *testing.T) {
	env := newEnv(t, nil)
	result := make(chan error, 1)
	env.srv.OnConnection(func(s *Socket) {
		s.On("ask-me", func(*Event) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question")
			result <- err
		})
	})
	c := env.dial(t, engineio.TransportWebSocket)
	c.connect("/", nil)
	c.emit("/", "ask-me")
	if p := c.next(); !p.HasID {
		t.Fatalf("question without ack id: %s", show(p))
	}
	c.eio.Close() // gone without answering
	select {
	case err := <-result:
		if !errors.Is(err, ErrNotConnected) {
			t.Fatalf("EmitWithAck: %v, want ErrNotConnected", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("EmitWithAck still waiting after the client vanished")
	}
}

// A client that vanishes between a binary event and its attachments, or
// in the middle of an upgrade, leaves nothing behind (the leak check runs
// after the tests) and the server serves the others.
func TestVanishMidBinaryAndMidUpgrade(t *testing.T) {
	env := newEnv(t, nil)
	got := make(chan string, 1)
	env.srv.OnConnection(func(s *Socket) { s.On("x", func(*Event) { got <- "handler ran" }) })
	for _, tr := range []engineio.Transport{engineio.TransportWebSocket, engineio.TransportPolling} {
		c := env.dial(t, tr)
		c.connect("/", nil)
		_ = c.eio.Send(engineio.TextFrame([]byte(`52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)),
			engineio.BinaryFrame([]byte{1}))
		c.eio.Close() // the second attachment never comes
		c.waitClosed()
	}
	// A client closed right after connecting with the default transports,
	// while its polling-to-WebSocket upgrade is under way (probes that
	// misbehave are tested in engineio's TestCraftedRequestsFailAlone).
	c := env.dial(t)
	c.connect("/", nil)
	c.eio.Close()
	c.waitClosed()
	select {
	case s := <-got:
		t.Fatalf("an incomplete binary event reached a handler: %s", s)
	default:
	}
	waitUntil(t, func() bool { return env.srv.Of("/").Len() == 0 })
	ok := env.dial(t)
	ok.connect("/", nil)
}

// Shutdown while clients send and the server broadcasts: it returns, every
// socket sees its disconnect, and no goroutine is left (the leak check).
func TestShutdownUnderLoad(t *testing.T) {
	srv := NewServer(nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := &testEnv{srv: srv, http: hs, codec: srv.Codec()}
	var disconnected atomic.Int64
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(DisconnectReason) { disconnected.Add(1) })
		s.On("msg", func(e *Event) { _ = s.Broadcast().Emit("msg", e.Args[0]) })
	})
	const n = 20
	clients := make([]*rawClient, n)
	for i := range clients {
		tr := engineio.TransportWebSocket
		if i%2 == 1 {
			tr = engineio.TransportPolling
		}
		clients[i] = env.dial(t, tr)
		clients[i].connect("/", nil)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(2)
		go func() { // send until the server goes
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if c.eio.Send(engineio.TextFrame([]byte(`2["msg",`+string(rune('0'+i%10))+`]`))) != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		go func() { // drain
			defer wg.Done()
			for {
				select {
				case <-c.packets:
				case <-stop:
					return
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown under load: %v", err)
	}
	waitUntil(t, func() bool { return disconnected.Load() == n })
	for _, c := range clients {
		c.waitClosed()
	}
	close(stop)
	wg.Wait()
}

// Socket and session ids are unguessable: crypto-random, 20 URL-safe
// characters (120 bits), never repeated.
func TestIDs(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	seen := make(map[string]bool)
	for i := 0; i < 100000; i++ {
		s := id.New()
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("id %q (repeat: %v)", s, seen[s])
		}
		seen[s] = true
	}
}
