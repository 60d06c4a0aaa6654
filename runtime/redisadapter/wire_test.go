package redisadapter

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// Bytes captured from Node (REDIS-ADAPTER.md, capture-classic.txt).
func TestWireBytes(t *testing.T) {
	vals := func(xs ...any) []parser.Value {
		out := make([]parser.Value, len(xs))
		for i, x := range xs {
			out[i] = parser.ValueOf(x)
		}
		return out
	}
	check := func(name string, got []byte, err error, want string) {
		t.Helper()
		if err != nil {
			t.Fatal(name, err)
		}
		if hex.EncodeToString(got) != want {
			t.Errorf("%s:\n got %x\nwant %s", name, got, want)
		}
	}
	b, err := encodeClassicBroadcast("62VjC2", "/", vals("ev1", 1, "two", []byte{1, 2, 3}),
		optsOf(socketio.BroadcastOptions{}, true))
	check("broadcast", b, err, "93a63632566a433283a47479706502a46461746194a365763101a374776fc403010203a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380")
	b, err = encodeClassicBroadcast("62VjC2", "/", vals("ev3"),
		optsOf(socketio.BroadcastOptions{Rooms: []string{"room1", "room9"}}, true))
	check("broadcast 2 rooms", b, err, "93a63632566a433283a47479706502a46461746191a3657633a36e7370a12f83a5726f6f6d7392a5726f6f6d31a5726f6f6d39a665786365707490a5666c61677380")
	b, err = encodeClassicBroadcast("emitter", "/", vals("e1", "x", []byte{0x0a, 0x0b}), &emitterOpts{Rooms: []string{}, Except: []string{}})
	check("emitter", b, err, "93a7656d697474657283a47479706502a46461746193a26531a178c4020a0ba36e7370a12f83a5726f6f6d7390a5666c61677380a665786365707490")
	b, err = encodeClassicBroadcast("emitter", "/", vals("e2"), &emitterOpts{Rooms: []string{"room1"}, Flags: emitterFlags{Volatile: true}, Except: []string{"roomX"}})
	check("emitter volatile", b, err, "93a7656d697474657283a47479706502a46461746191a26532a36e7370a12f83a5726f6f6d7391a5726f6f6d31a5666c61677381a8766f6c6174696c65c3a665786365707491a5726f6f6d58")
	f := false
	b, err = encodeClassicBroadcast("emitter", "/custom", vals("e3", map[string]bool{"k": true}), &emitterOpts{Rooms: []string{"r1", "r2"}, Flags: emitterFlags{Compress: &f}, Except: []string{}})
	check("emitter compress", b, err, "93a7656d697474657283a47479706502a46461746192a2653381a16bc3a36e7370a72f637573746f6d83a5726f6f6d7392a27231a27232a5666c61677381a8636f6d7072657373c2a665786365707490")
	ack := parser.ValueOf("ack from clientB")
	b, err = mpMarshal(&valueResp{Type: reqBroadcastAck, RequestID: "6TxoJ8", Packet: &ack})
	check("broadcast ack", b, err, "83a47479706509a9726571756573744964a63654786f4a38a67061636b6574b061636b2066726f6d20636c69656e7442")

	// JSON requests, as the emitter sends them.
	js := func(name string, v any, want string) {
		t.Helper()
		b, _ := json.Marshal(v)
		if string(b) != want {
			t.Errorf("%s:\n got %s\nwant %s", name, b, want)
		}
	}
	js("join", &classicReq{Type: reqRemoteJoin, Opts: &wireOpts{Rooms: []string{"room1"}, Except: []string{}}, Rooms: []string{"room7"}},
		`{"type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room7"]}`)
	tr := true
	js("disconnect", &classicReq{Type: reqRemoteDisconnect, Opts: &wireOpts{Rooms: []string{"room1"}, Except: []string{}}, Close: &tr},
		`{"type":4,"opts":{"rooms":["room1"],"except":[]},"close":true}`)
	js("sse", &classicReq{UID: "emitter", Type: reqServerSideEmit, Data: vals("hello", "from-emitter")},
		`{"uid":"emitter","type":6,"data":["hello","from-emitter"]}`)
	js("fetch", &classicReq{UID: "62VjC2", RequestID: "LopZPj", Type: reqRemoteFetch, Opts: &wireOpts{Rooms: []string{}, Except: []string{}}},
		`{"uid":"62VjC2","requestId":"LopZPj","type":5,"opts":{"rooms":[],"except":[]}}`)
	js("count", &countResp{Type: reqBroadcastCount, RequestID: "6TxoJ8", ClientCount: 1}, `{"type":8,"requestId":"6TxoJ8","clientCount":1}`)
	pong := parser.ValueOf("pong from B")
	js("sse resp", &valueResp{Type: reqServerSideEmit, RequestID: "sVAsaA", Data: &pong}, `{"type":6,"requestId":"sVAsaA","data":"pong from B"}`)
	js("sharded broadcast", &shardedMsg{Type: msgBroadcast, Data: &sBroadcast{Packet: wirePacket{Type: 2, Data: vals("ev2", map[string]int{"a": 1})},
		Opts: wireOpts{Rooms: []string{"room1"}, Except: []string{"room2"}, Flags: &wireFlags{Volatile: true}}}, UID: "ddce2b29c4a23186", Nsp: "/"},
		`{"type":3,"data":{"packet":{"type":2,"data":["ev2",{"a":1}]},"opts":{"rooms":["room1"],"except":["room2"],"flags":{"volatile":true}}},"uid":"ddce2b29c4a23186","nsp":"/"}`)

	// Decoding Node's type-7 request (msgpack) and sharded msgpack broadcast.
	raw, _ := hex.DecodeString("84a47479706503a46461746182a67061636b657482a47479706502a46461746194a365763101a374776fc403010203a46f70747383a5726f6f6d7390a665786365707490a5666c61677380a3756964b0" + hex.EncodeToString([]byte("ddce2b29c4a23186")) + "a36e7370a12f")
	var m shardedIn
	if err := decode(raw, &m); err != nil {
		t.Fatal(err)
	}
	var w wirePacket
	if err := m.Data.Packet.Decode(&w); err != nil || len(w.Data) != 4 || m.UID != "ddce2b29c4a23186" {
		t.Fatalf("sharded msgpack: %+v %+v %v", m, w, err)
	}
	var bin []byte
	if err := w.Data[3].Decode(&bin); err != nil || hex.EncodeToString(bin) != "010203" {
		t.Fatalf("binary %x %v", bin, err)
	}
}

func TestCompressFlagRoundTrip(t *testing.T) {
	for _, no := range []bool{false, true} {
		o := socketio.BroadcastOptions{Rooms: []string{"r"}, Flags: socketio.BroadcastFlags{NoCompress: no}}
		w := optsOf(o, true)
		if got := w.options().Flags.NoCompress; got != no {
			t.Fatalf("NoCompress %v came back %v", no, got)
		}
		if no && (w.Flags.Compress == nil || *w.Flags.Compress) {
			t.Fatalf("wire flags %+v, want compress:false", w.Flags)
		}
	}
}
