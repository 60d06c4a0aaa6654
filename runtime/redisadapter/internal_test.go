package redisadapter

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/redistest"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

// adapterOf returns the Redis adapter of a node's namespace "/".
func adapterOf(s *siotest.Server) *Adapter { return s.Of("/").Adapter().(*Adapter) }

// eventually waits up to 5s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A broadcast with acks whose context never ends (no Timeout flag, a
// context without deadline) waits RequestsTimeout for the other nodes: its
// request is then forgotten, as Node forgets it after flags.timeout, instead
// of staying in the adapter for good.
func TestAckRequestForgotten(t *testing.T) {
	for _, sharded := range []bool{false, true} {
		name := "classic"
		if sharded {
			name = "sharded"
		}
		t.Run(name, func(t *testing.T) {
			r := redistest.Start(t)
			o := &Options{Sharded: sharded, RequestsTimeout: 300 * time.Millisecond}
			var nodes []*siotest.Server
			for range 2 {
				nodes = append(nodes, siotest.NewServer(t, &socketio.ServerOptions{Adapter: New(r.Client(t), o)}))
			}
			c := nodes[1].Connect(t, "/", &siotest.ClientOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}})
			c.On("ask", func(e *socketio.Event) { _ = e.Ack("yes") })
			a := adapterOf(nodes[0])
			for range 3 {
				res, err := nodes[0].Of("/").Except().EmitWithAck(context.Background(), "ask")
				if err != nil || len(res) != 1 {
					t.Fatalf("EmitWithAck = %v, %v", res, err)
				}
			}
			eventually(t, "ack requests forgotten", func() bool {
				a.mu.Lock()
				defer a.mu.Unlock()
				return len(a.acks) == 0
			})
		})
	}
}

// keySlot agrees with Redis's CLUSTER KEYSLOT.
func TestKeySlot(t *testing.T) {
	rdb := redistest.StartCluster(t, 1).Servers[0].Client(t)
	for _, key := range []string{"foo", "123456789", "{user1000}.following", "foo{}bar", "foo{bar", "{a}{b}",
		"socket.io#/#", "socket.io#/#r1#", "socket.io#/chat#0123456789abcdef#", ""} {
		want, err := rdb.ClusterKeySlot(context.Background(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := keySlot(key); got != int(want) {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

// checkNesting accepts what the encoders write and refuses truncated or
// too deeply nested MessagePack.
func TestCheckNesting(t *testing.T) {
	long := func(n int) string { return string(bytes.Repeat([]byte{'x'}, n)) }
	vals := []any{
		nil, true, false, 0, 1, -1, -33, 127, 128, 255, 256, 65536, 1 << 40, -(1 << 40), uint64(1 << 63), 1.5, float32(2.5),
		"", long(31), long(32), long(255), long(256), long(65536),
		[]byte{}, []byte{1, 2, 3}, bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{7}, 70000),
		[]any{}, []any{1, "a", []any{nil}}, make([]any, 20), make([]any, 70000),
		map[string]any{}, map[string]any{"a": map[string]any{"b": []any{1}}}, time.Unix(1, 2),
		[]any{"emitter", map[string]any{"type": 2, "data": []any{"e1", "x", []byte{10, 11}}, "nsp": "/"}, map[string]any{}},
	}
	for _, v := range vals {
		b, err := mpMarshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkNesting(b); err != nil {
			t.Errorf("%T %.40v: %v (% x)", v, v, err, b[:min(len(b), 16)])
		}
		if len(b) > 1 {
			if err := checkNesting(b[:len(b)-1]); err == nil {
				t.Errorf("%T %.40v truncated: accepted", v, v)
			}
		}
	}
	deep := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0xc0) }
	if err := checkNesting(deep(maxNesting)); err != nil {
		t.Errorf("%d levels: %v", maxNesting, err)
	}
	if err := checkNesting(deep(maxNesting + 1)); err != errTooDeep {
		t.Errorf("%d levels: %v, want errTooDeep", maxNesting+1, err)
	}
}
