package parser

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"

	"github.com/siogen/siogen/engineio"
)

// Test vectors printed by npm socket.io-parser 4.2.7 and
// socket.io-msgpack-parser 3.0.2 (notepack.io 2.3) for the same packets:
// `new Encoder().encode(packet)`. JSON frames are shown without the
// Engine.IO '4' prefix; "BIN:" frames are binary attachments in hex.
var nodeVectors = []struct {
	name    string
	packet  *Packet
	json    []string
	msgpack string
}{
	{
		name:    "connect reply",
		packet:  &Packet{Type: Connect, Data: []Value{ValueOf(map[string]any{"sid": "abc"})}},
		json:    []string{`0{"sid":"abc"}`},
		msgpack: "", // Node keeps "pid": undefined, see TestMsgpackConnectReplyFromNode
	},
	{
		name:    "connect admin",
		packet:  &Packet{Type: Connect, Namespace: "/admin", Data: []Value{ValueOf(map[string]any{"token": "123"})}},
		json:    []string{`0/admin,{"token":"123"}`},
		msgpack: "83a47479706500a46461746181a5746f6b656ea3313233a36e7370a62f61646d696e",
	},
	{
		name:    "disconnect admin",
		packet:  &Packet{Type: Disconnect, Namespace: "/admin"},
		json:    []string{`1/admin,`},
		msgpack: "82a47479706501a36e7370a62f61646d696e",
	},
	{
		name:    "event",
		packet:  NewEvent("/", "foo"),
		json:    []string{`2["foo"]`},
		msgpack: "83a47479706502a46461746191a3666f6fa36e7370a12f",
	},
	{
		name:    "event with ack 0",
		packet:  &Packet{Type: Event, Namespace: "/", HasID: true, ID: 0, Data: []Value{ValueOf("withack"), ValueOf("q")}},
		json:    []string{`20["withack","q"]`},
		msgpack: "84a47479706502a46461746192a77769746861636ba171a2696400a36e7370a12f",
	},
	{
		name:    "event with ack 12",
		packet:  &Packet{Type: Event, HasID: true, ID: 12, Data: []Value{ValueOf("foo")}},
		json:    []string{`212["foo"]`},
		msgpack: "84a47479706502a46461746191a3666f6fa269640ca36e7370a12f",
	},
	{
		name:    "ack admin",
		packet:  &Packet{Type: Ack, Namespace: "/admin", HasID: true, ID: 13, Data: []Value{ValueOf("bar")}},
		json:    []string{`3/admin,13["bar"]`},
		msgpack: "84a269640da47479706503a46461746191a3626172a36e7370a62f61646d696e",
	},
	{
		name:    "ack with binary",
		packet:  &Packet{Type: Ack, HasID: true, ID: 7, Data: []Value{ValueOf(1), ValueOf([]byte{9, 9})}},
		json:    []string{`61-7[1,{"_placeholder":true,"num":0}]`, "BIN:0909"},
		msgpack: "84a2696407a47479706503a4646174619201c4020909a36e7370a12f",
	},
	{
		name: "event with nested binary",
		packet: NewEvent("/admin", "baz", []byte{1, 2, 3}, map[string]any{
			"a": []byte{4},
			"b": []any{[]byte{5}, "x<>&\u2028"},
		}),
		json: []string{
			`53-/admin,["baz",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1},"b":[{"_placeholder":true,"num":2},"x<>&` + "\u2028" + `"]}]`,
			"BIN:010203", "BIN:04", "BIN:05",
		},
		msgpack: "83a47479706502a46461746193a362617ac40301020382a161c40104a16292c40105a7783c3e26e280a8a36e7370a62f61646d696e",
	},
	{
		name: "connect error",
		packet: &Packet{Type: ConnectError, Namespace: "/custom", Data: []Value{ValueOf(struct {
			Message string `json:"message"`
			Data    any    `json:"data,omitempty"`
		}{"not authorized", map[string]string{"reason": "x"}})}},
		json:    []string{`4/custom,{"message":"not authorized","data":{"reason":"x"}}`},
		msgpack: "83a47479706504a46461746182a76d657373616765ae6e6f7420617574686f72697a6564a46461746181a6726561736f6ea178a36e7370a72f637573746f6d",
	},
	{
		name: "numbers and strings",
		packet: NewEvent("/", "n", 0, 127, 128, 255, 256, 65536, int64(4294967296), -1, -32, -33, -129, -32769,
			1.5, -2.25, 0.1, string(bytes.Repeat([]byte("s"), 40)), "\n\t\x01\"\\/é"),
		json: []string{`2["n",0,127,128,255,256,65536,4294967296,-1,-32,-33,-129,-32769,1.5,-2.25,0.1,"ssssssssssssssssssssssssssssssssssssssss","\n\t\u0001\"\\/é"]`},
		// the Node vector without 1e21 and 1e-7 (notepack writes 1e21 as a
		// truncated uint64)
		msgpack: "83a47479706502a464617461dc0012a16e007fcc80ccffcd0100ce00010000cf0000000100000000ffe0d0dfd1ff7fd2ffff7fffcb3ff8000000000000cbc002000000000000cb3fb999999999999ad92873737373737373737373737373737373737373737373737373737373737373737373737373737373a80a0901225c2fc3a9a36e7370a12f",
	},
	{
		name: "float formatting",
		// Negative zero keeps its sign, as encoding/json writes it (JSON.parse
		// reads -0 back as -0); Node's JSON.stringify writes 0.
		packet: NewEvent("/", "f", 1e21, 1e-7, 123456789.125, math.Copysign(0, -1), 5e-324),
		json:   []string{`2["f",1e+21,1e-7,123456789.125,-0,5e-324]`},
	},
}

func frameStrings(t *testing.T, frames []engineio.Frame) []string {
	t.Helper()
	var out []string
	for i, f := range frames {
		if f.Binary {
			if i == 0 {
				t.Fatalf("first frame is binary")
			}
			out = append(out, "BIN:"+hex.EncodeToString(f.Data))
			continue
		}
		if len(f.Data) == 0 || f.Data[0] != '4' {
			t.Fatalf("text frame %q lacks the Engine.IO message prefix", f.Data)
		}
		out = append(out, string(f.Data[1:]))
	}
	return out
}

func TestNodeVectorsJSON(t *testing.T) {
	for _, tc := range nodeVectors {
		t.Run(tc.name, func(t *testing.T) {
			frames, err := JSON.Encode(tc.packet)
			if err != nil {
				t.Fatal(err)
			}
			got := frameStrings(t, frames)
			if len(got) != len(tc.json) {
				t.Fatalf("got %d frames %q, want %q", len(got), got, tc.json)
			}
			for i := range got {
				if got[i] != tc.json[i] {
					t.Errorf("frame %d:\n got %s\nwant %s", i, got[i], tc.json[i])
				}
			}
			// decode and re-encode: identical bytes
			d := JSON.NewDecoder(DecoderOptions{})
			var p *Packet
			for _, f := range frames {
				data := f.Data
				if !f.Binary {
					data = data[1:]
				}
				if p, err = d.Add(data, f.Binary); err != nil {
					t.Fatal(err)
				}
			}
			if p == nil {
				t.Fatal("no packet decoded")
			}
			again, err := JSON.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if g := frameStrings(t, again); len(g) != len(got) || g[0] != got[0] {
				t.Errorf("re-encoded %q, want %q", g, got)
			}
		})
	}
}

func TestNodeVectorsMsgpack(t *testing.T) {
	for _, tc := range nodeVectors {
		if tc.msgpack == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			frames, err := MessagePack.Encode(tc.packet)
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != 1 || !frames[0].Binary {
				t.Fatalf("frames = %v", frames)
			}
			if got := hex.EncodeToString(frames[0].Data); got != tc.msgpack {
				t.Errorf("\n got %s\nwant %s", got, tc.msgpack)
			}
			p, err := MessagePack.NewDecoder(DecoderOptions{}).Add(frames[0].Data, true)
			if err != nil {
				t.Fatal(err)
			}
			again, err := MessagePack.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again[0].Data, frames[0].Data) {
				t.Errorf("re-encoded %x", again[0].Data)
			}
		})
	}
}
