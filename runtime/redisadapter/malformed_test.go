package redisadapter_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/internal/syncbuf"
	"github.com/siogen/siogen/runtime/parser"

	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/vmihailenco/msgpack/v5"
)

// publishRaw publishes b on channel as a rogue process would, with PUBLISH
// (classic) or SPUBLISH (sharded).
func publishRaw(t *testing.T, r *redisServer, sharded bool, channel string, b []byte) {
	t.Helper()
	rdb := r.Client(t)
	var err error
	if sharded {
		err = rdb.SPublish(ctx5(t), channel, b).Err()
	} else {
		err = rdb.Publish(ctx5(t), channel, b).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func mustMsgpack(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A broadcast from Redis whose event is not one socket.io-client accepts
// (no data, a name that is neither a string nor a number, a reserved name)
// is dropped: relayed, it made every client of the namespace close its
// connection with "parse error". The node keeps working.
func TestInvalidEventDropped(t *testing.T) {
	invalid := []any{
		[]any{},                      // no event name
		[]any{nil, "x"},              // null name
		[]any{map[string]any{}, "x"}, // object name
		[]any{"connect"},             // reserved names
		[]any{"disconnect", "x"},
	}
	for _, sharded := range []bool{false, true} {
		name := "classic"
		if sharded {
			name = "sharded"
		}
		t.Run(name, func(t *testing.T) {
			r := startRedis(t)
			nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: sharded, RequestsTimeout: 300 * time.Millisecond,
				Logger: slog.New(slog.DiscardHandler)})
			a := connect(t, "a", nodes[0])
			for _, data := range invalid {
				pkt := map[string]any{"type": 2, "data": data, "nsp": "/"}
				opts := map[string]any{"rooms": []string{}, "except": []string{}, "flags": map[string]any{}}
				if sharded {
					publishRaw(t, r, true, "socket.io#/#", mustMsgpack(t, map[string]any{
						"type": 3, "uid": "rogue", "nsp": "/", "data": map[string]any{"packet": pkt, "opts": opts}}))
					publishRaw(t, r, true, "socket.io#/#", mustMsgpack(t, map[string]any{
						"type": 3, "uid": "rogue", "nsp": "/", "data": map[string]any{"packet": pkt, "opts": opts, "requestId": "q"}}))
				} else {
					publishRaw(t, r, false, "socket.io#/#", mustMsgpack(t, []any{"rogue", pkt, opts}))
					publishRaw(t, r, false, "socket.io-request#/#", mustMsgpack(t, map[string]any{
						"uid": "rogue", "requestId": "q", "type": 7, "packet": pkt, "opts": opts}))
				}
			}
			if err := nodes[1].Emit("ev", "after"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-a.ev:
				if got != "after" {
					t.Fatalf("got %q", got)
				}
			case reason := <-a.gone:
				t.Fatalf("the client was disconnected: %v", reason)
			case <-time.After(5 * time.Second):
				t.Fatal("nothing received within 5s")
			}
		})
	}
}

// A message on the adapter's channels that cannot be decoded is dropped
// with a warning naming the channel (it was dropped silently), and the
// subscription goes on.
func TestMalformedMessageLogged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sharded bool
		channel string
	}{
		{"classic-broadcast", false, "socket.io#/#"},
		{"classic-room", false, "socket.io#/#r1#"},
		{"classic-request", false, "socket.io-request#/#"},
		{"classic-response", false, "socket.io-response#/#"},
		{"sharded", true, "socket.io#/#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRedis(t)
			var logs syncbuf.Buffer
			nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: tc.sharded,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			a := connect(t, "a", nodes[0])
			for _, junk := range [][]byte{{0xc1}, []byte("{not json")} {
				publishRaw(t, r, tc.sharded, tc.channel, junk)
			}
			if err := nodes[1].Emit("ev", "after"); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, a.ev); got != "after" {
				t.Fatalf("got %q", got)
			}
			want := "message dropped"
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), tc.channel) {
				if time.Now().After(deadline) {
					t.Fatalf("no warning %q naming %s; log:\n%s", want, tc.channel, logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Log(strings.TrimSpace(logs.String()))
		})
	}
}

// A sharded FETCH_SOCKETS_RESPONSE whose sockets carry binary data is sent
// as MessagePack, as Node's sharded adapter sends it (encode: a type that
// may contain binary and does): in JSON the bytes became a base64 string,
// which a Node node's fetchSockets returned instead of a Buffer.
func TestShardedFetchResponseBinary(t *testing.T) {
	r := startRedis(t)
	nodes := cluster(t, r, 1, &redisadapter.Options{Sharded: true})
	a := connect(t, "a", nodes[0])
	nodes[0].Of("/").Socket(a.c.ID()).SetData(map[string]any{"blob": []byte{1, 2, 3}})
	rdb := r.Client(t)
	ctx := ctx5(t)
	const fake = "00112233aabbccdd"
	ps := rdb.SSubscribe(ctx, "socket.io#/#"+fake+"#")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	publishRaw(t, r, true, "socket.io#/#", []byte(`{"type":7,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"requestId":"q1"},"uid":"`+fake+`","nsp":"/"}`))
	m, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Payload[0] == '{' {
		t.Fatalf("response in JSON: %s", m.Payload)
	}
	var resp struct {
		Type int `msgpack:"type"`
		Data struct {
			Sockets []struct {
				Data struct {
					Blob any `msgpack:"blob"`
				} `msgpack:"data"`
			} `msgpack:"sockets"`
		} `msgpack:"data"`
	}
	if err := msgpack.Unmarshal([]byte(m.Payload), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != 8 || len(resp.Data.Sockets) != 1 {
		t.Fatalf("response %+v", resp)
	}
	if b, ok := resp.Data.Sockets[0].Data.Blob.([]byte); !ok || string(b) != "\x01\x02\x03" {
		t.Fatalf("blob %#v, want bin 010203", resp.Data.Sockets[0].Data.Blob)
	}

	// Another Go node reads it.
	other := cluster(t, r, 1, &redisadapter.Options{Sharded: true})[0]
	socks, err := other.Of("/").FetchSockets(ctx)
	if err != nil || len(socks) != 1 {
		t.Fatalf("FetchSockets = %v, %v", socks, err)
	}
	var data struct {
		Blob []byte `json:"blob"`
	}
	if err := socks[0].Data.(parser.Value).Decode(&data); err != nil || string(data.Blob) != "\x01\x02\x03" {
		t.Fatalf("remote socket data %v: %+v, %v", socks[0].Data, data, err)
	}
}

// A message that claims a huge array where the adapter reads a loosely
// typed value (a header of a fetched socket's handshake, a room of a list) is
// dropped: the decoder allocated the claimed length up front (2^31 elements
// here, 32 GB), so a 60-byte message from anyone who can publish on Redis
// hung or crashed the node.
func TestHugeArrayClaimDropped(t *testing.T) {
	huge := []byte{0xdd, 0x7f, 0xff, 0xff, 0xff} // array 32 of 2^31-1 elements, none present
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	str := func(s string) []byte { return append([]byte{0xa0 | byte(len(s))}, s...) }
	// {"handshake":{"headers":{"a":<huge>}}}
	sock := cat([]byte{0x81}, str("handshake"), []byte{0x81}, str("headers"), []byte{0x81}, str("a"), huge)
	for _, tc := range []struct {
		name    string
		sharded bool
		channel string
		payload []byte
	}{
		{"classic-response-header", false, "socket.io-response#/#",
			cat([]byte{0x82}, str("requestId"), str("x"), str("sockets"), []byte{0x91}, sock)},
		{"sharded-response-header", true, "socket.io#/#",
			cat([]byte{0x84}, str("type"), []byte{0x08}, str("uid"), str("rogue"), str("nsp"), str("/"),
				str("data"), []byte{0x82}, str("requestId"), str("x"), str("sockets"), []byte{0x91}, sock)},
		{"classic-broadcast-rooms", false, "socket.io#/#",
			cat([]byte{0x93}, str("rogue"), []byte{0x82}, str("type"), []byte{0x02}, str("data"), []byte{0x91}, str("ev"),
				[]byte{0x81}, str("rooms"), []byte{0x91}, huge)},
		{"classic-request-rooms", false, "socket.io-request#/#",
			cat([]byte{0x83}, str("uid"), str("rogue"), str("type"), []byte{0x02}, str("rooms"), []byte{0x91}, huge)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRedis(t)
			nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: tc.sharded, Logger: slog.New(slog.DiscardHandler)})
			a := connect(t, "a", nodes[0])
			publishRaw(t, r, tc.sharded, tc.channel, tc.payload)
			if err := nodes[1].Emit("ev", "after"); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, a.ev); got != "after" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

// A MessagePack message nesting millions of arrays is dropped: decoding
// it, or relaying it to the local clients, recursed once per level and
// killed the node with "fatal error: stack overflow" (a 3 MB message).
func TestDeepNestingDropped(t *testing.T) {
	bomb := append(bytes.Repeat([]byte{0x91}, 3_000_000), 0xc0) // [[[...[nil]...]]]
	str := func(s string) []byte { return append([]byte{0xa0 | byte(len(s))}, s...) }
	var bc []byte // ["rogue", {"type":2,"data":["ev",<bomb>]}, {}]
	bc = append(bc, 0x93)
	bc = append(bc, str("rogue")...)
	bc = append(bc, 0x82)
	bc = append(bc, str("type")...)
	bc = append(bc, 0x02)
	bc = append(bc, str("data")...)
	bc = append(bc, 0x92)
	bc = append(bc, str("ev")...)
	bc = append(bc, bomb...)
	bc = append(bc, 0x80)
	var sh []byte // {"type":3,"uid":"rogue","nsp":"/","data":{"packet":{"type":2,"data":["ev",<bomb>]}}}
	sh = append(sh, 0x84)
	sh = append(sh, str("type")...)
	sh = append(sh, 0x03)
	sh = append(sh, str("uid")...)
	sh = append(sh, str("rogue")...)
	sh = append(sh, str("nsp")...)
	sh = append(sh, str("/")...)
	sh = append(sh, str("data")...)
	sh = append(sh, 0x81)
	sh = append(sh, str("packet")...)
	sh = append(sh, 0x82)
	sh = append(sh, str("type")...)
	sh = append(sh, 0x02)
	sh = append(sh, str("data")...)
	sh = append(sh, 0x92)
	sh = append(sh, str("ev")...)
	sh = append(sh, bomb...)
	for _, tc := range []struct {
		name    string
		sharded bool
		channel string
		payload []byte
	}{
		{"classic-broadcast", false, "socket.io#/#", bc},
		{"sharded-broadcast", true, "socket.io#/#", sh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRedis(t)
			nodes := cluster(t, r, 2, &redisadapter.Options{Sharded: tc.sharded, Logger: slog.New(slog.DiscardHandler)})
			a := connect(t, "a", nodes[0])
			publishRaw(t, r, tc.sharded, tc.channel, tc.payload)
			if err := nodes[1].Emit("ev", "after"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-a.ev:
				if got != "after" {
					t.Fatalf("got %q", got)
				}
			case reason := <-a.gone:
				t.Fatalf("the client was disconnected: %v", reason)
			case <-time.After(5 * time.Second):
				t.Fatal("nothing received within 5s")
			}
		})
	}
}
