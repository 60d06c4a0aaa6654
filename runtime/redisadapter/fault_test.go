package redisadapter_test

import (
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/internal/syncbuf"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

// TestRedisRestart: Redis is killed and restarted while a node broadcasts
// every few milliseconds. The node's own client gets every broadcast; the
// other node's client gets them again once go-redis has reconnected and
// restored the subscriptions; requests during the outage fail with a clear
// error; the cluster then answers requests again.
func TestRedisRestart(t *testing.T) {
	for _, mode := range []struct {
		name    string
		sharded bool
	}{{"classic", false}, {"sharded", true}} {
		t.Run(mode.name, func(t *testing.T) {
			r := startRedis(t)
			nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: mode.sharded, RequestsTimeout: time.Second})
			type seen struct {
				mu  sync.Mutex
				got []int
			}
			var local, remote seen
			record := func(s *seen) func(e *socketio.Event) {
				return func(e *socketio.Event) {
					var n int
					_ = e.Decode(&n)
					s.mu.Lock()
					s.got = append(s.got, n)
					s.mu.Unlock()
				}
			}
			a := nodes[0].Connect(t, "/", wsOnly)
			a.On("seq", record(&local))
			b := nodes[1].Connect(t, "/", wsOnly)
			b.On("seq", record(&remote))

			var sent atomic.Int64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					_ = nodes[0].Emit("seq", i) // an error only concerns the other nodes
					sent.Store(int64(i))
				}
			}()
			remoteAfter := func(n int64) func() bool {
				return func() bool {
					remote.mu.Lock()
					defer remote.mu.Unlock()
					return len(remote.got) > 0 && int64(remote.got[len(remote.got)-1]) > n
				}
			}
			waitFor(t, remoteAfter(10))

			r.Stop()
			killedAt := sent.Load()
			time.Sleep(300 * time.Millisecond)
			ctx := ctx5(t)
			start := time.Now()
			if _, err := nodes[0].Of("/").FetchSockets(ctx); err == nil {
				t.Fatal("FetchSockets succeeded with Redis down")
			} else {
				t.Logf("during the outage (%v): %v", time.Since(start).Round(time.Millisecond), err)
			}
			r.Start()
			restartedAt := sent.Load()
			deadline := time.Now().Add(10 * time.Second)
			for !remoteAfter(restartedAt)() {
				if time.Now().After(deadline) {
					t.Fatal("the other node's client got nothing within 10s after Redis came back")
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("killed at #%d, restarted at #%d, remote delivery back after %v", killedAt, restartedAt, time.Since(start))
			close(stop)
			<-done
			last := int(sent.Load())

			// The local client missed nothing.
			waitFor(t, func() bool {
				local.mu.Lock()
				defer local.mu.Unlock()
				return len(local.got) == last
			})
			local.mu.Lock()
			for i, n := range local.got {
				if n != i+1 {
					t.Fatalf("local client: #%d is %d", i+1, n)
				}
			}
			local.mu.Unlock()

			// Requests work again (the sharded adapter may take a moment to
			// re-subscribe: retry briefly).
			waitFor(t, func() bool {
				socks, err := nodes[1].Of("/").FetchSockets(ctx)
				return err == nil && len(socks) == 2
			})
		})
	}
}

// While Redis is away, what the node fails to publish is counted in its
// warning, with the deadline that ran out.
func TestLostPublishesLogged(t *testing.T) {
	r := startRedis(t)
	var logs syncbuf.Buffer
	nodes := cluster(t, r, 1, &redisadapter.Options{RequestsTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "messages not published") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning of lost messages; log:\n%s", logs.String())
		}
		_ = nodes[0].Emit("ev", 1) // local delivery; the rest is queued for Redis
		time.Sleep(50 * time.Millisecond)
	}
	if !regexp.MustCompile(`messages not published.*messages=[1-9]\d* deadline=200ms`).MatchString(logs.String()) {
		t.Fatalf("warning without the count or the deadline:\n%s", logs.String())
	}
	r.Start() // for the cluster's cleanup
}

// With Redis away a broadcast with acks cannot count the other nodes: it
// still waits for this node's clients and returns their answers with the
// Redis error, as Node returns the answers it has.
func TestEmitWithAckRedisDown(t *testing.T) {
	r := startRedis(t)
	nodes := cluster(t, r, 1, &redisadapter.Options{RequestsTimeout: 300 * time.Millisecond})
	c := nodes[0].Connect(t, "/", wsOnly)
	c.On("ask", func(e *socketio.Event) {
		time.Sleep(600 * time.Millisecond) // answers after the adapter has failed (RequestsTimeout)
		_ = e.Ack("here")
	})
	r.Stop()
	defer r.Start() // for the cluster's cleanup
	res, err := nodes[0].Timeout(3*time.Second).EmitWithAck(ctx5(t), "ask")
	if err == nil || errors.Is(err, socketio.ErrAckTimeout) || len(res) != 1 {
		t.Fatalf("EmitWithAck = %d answers, %v; want the local answer and the Redis error", len(res), err)
	}
	t.Logf("error: %v", err)
}

// In sharded dynamic mode a room joined while the publish queue is full
// (Redis away, the node still broadcasting) is still subscribed to once
// Redis is back: its SSUBSCRIBE used to be dropped with the overflowing
// messages, and the node then never received that room's broadcasts from
// the other nodes.
func TestRoomSubscribedAfterQueueFull(t *testing.T) {
	r := startRedis(t)
	nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: true, QueueSize: 1,
		RequestsTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	a := connect(t, "a", nodes[0])
	r.Stop()
	full := false
	for i := 0; i < 1000 && !full; i++ {
		full = errors.Is(nodes[0].Emit("ev", "lost"), redisadapter.ErrQueueFull)
	}
	if !full {
		t.Fatal("the publish queue never filled up")
	}
	join(t, a, "late-room")
	r.Start()
	waitShardSubs(t, r, "late-room", 1)
	// The node's "lost" broadcasts reach its own client; then the other
	// node's (the queue holds one message: it may be full for a moment).
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := nodes[1].To("late-room").Emit("ev", "to-late-room"); err != nil && !errors.Is(err, redisadapter.ErrQueueFull) {
			t.Fatal(err)
		}
		select {
		case got := <-a.ev:
			if got == "to-late-room" {
				return
			}
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the room's broadcasts from the other node never arrived")
		}
	}
}
