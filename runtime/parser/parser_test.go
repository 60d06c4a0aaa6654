package parser

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
)

func mustJSON(t *testing.T, d Decoder, msgs ...string) *Packet {
	t.Helper()
	var p *Packet
	for i, m := range msgs {
		var err error
		if strings.HasPrefix(m, "BIN:") {
			b, _ := hex.DecodeString(m[4:])
			p, err = d.Add(b, true)
		} else {
			p, err = d.Add([]byte(m), false)
		}
		if err != nil {
			t.Fatalf("Add(%q): %v", m, err)
		}
		if (p != nil) != (i == len(msgs)-1) {
			t.Fatalf("Add(%q) returned packet %v", m, p)
		}
	}
	return p
}

func TestDecodeJSONWire(t *testing.T) {
	type want struct {
		typ   Type
		nsp   string
		id    int64 // -1: none
		data  []string
		attch int
	}
	cases := []struct {
		in   []string
		want want
	}{
		{[]string{"0"}, want{Connect, "/", -1, nil, 0}},
		{[]string{`0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`}, want{Connect, "/admin", -1, []string{`{"sid":"oSO0OpakMV_3jnilAAAA"}`}, 0}},
		{[]string{`0{"token":"123"}`}, want{Connect, "/", -1, []string{`{"token":"123"}`}, 0}},
		{[]string{"0/custom"}, want{Connect, "/custom", -1, nil, 0}},
		{[]string{"0/random,"}, want{Connect, "/random", -1, nil, 0}},
		{[]string{`4{"message":"Not authorized"}`}, want{ConnectError, "/", -1, []string{`{"message":"Not authorized"}`}, 0}},
		{[]string{`4/random,{"message":"Invalid namespace"}`}, want{ConnectError, "/random", -1, []string{`{"message":"Invalid namespace"}`}, 0}},
		{[]string{`4"just a string"`}, want{ConnectError, "/", -1, []string{`"just a string"`}, 0}},
		{[]string{`2["foo"]`}, want{Event, "/", -1, []string{`"foo"`}, 0}},
		{[]string{`2[42,"x"]`}, want{Event, "/", -1, []string{`42`, `"x"`}, 0}},
		{[]string{`212["foo"]`}, want{Event, "/", 12, []string{`"foo"`}, 0}},
		{[]string{`2/admin,["bar"]`}, want{Event, "/admin", -1, []string{`"bar"`}, 0}},
		{[]string{`3/admin,13["bar"]`}, want{Ack, "/admin", 13, []string{`"bar"`}, 0}},
		{[]string{`3/admin,13`}, want{Ack, "/admin", 13, nil, 0}},
		{[]string{`31[]`}, want{Ack, "/", 1, nil, 0}},
		{[]string{"1/admin,"}, want{Disconnect, "/admin", -1, nil, 0}},
		{[]string{"1"}, want{Disconnect, "/", -1, nil, 0}},
		{[]string{`2[ "a" , { "b" : [ 1 , 2 ] } ]`}, want{Event, "/", -1, []string{`"a"`, `{"b":[1,2]}`}, 0}},
		{[]string{`2["_placeholder",{"_placeholder":true,"num":0}]`}, want{Event, "/", -1, []string{`"_placeholder"`, `{"_placeholder":true,"num":0}`}, 0}},
		{[]string{`51-["baz",{"_placeholder":true,"num":0}]`, "BIN:0102"}, want{Event, "/", -1, []string{`"baz"`, `{"_placeholder":true,"num":0}`}, 1}},
		{[]string{`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "BIN:01", "BIN:02"}, want{Event, "/admin", -1, []string{`"baz"`, `{"_placeholder":true,"num":0}`, `{"_placeholder":true,"num":1}`}, 2}},
		{[]string{`61-15["bar",{"_placeholder":true,"num":0}]`, "BIN:ff"}, want{Ack, "/", 15, []string{`"bar"`, `{"_placeholder":true,"num":0}`}, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.in[0], func(t *testing.T) {
			p := mustJSON(t, JSON.NewDecoder(DecoderOptions{}), tc.in...)
			if p.Type != tc.want.typ || p.Namespace != tc.want.nsp {
				t.Errorf("type/nsp = %v %q", p.Type, p.Namespace)
			}
			if tc.want.id < 0 && p.HasID || tc.want.id >= 0 && (!p.HasID || p.ID != uint64(tc.want.id)) {
				t.Errorf("id = %v %d", p.HasID, p.ID)
			}
			if len(p.Data) != len(tc.want.data) {
				t.Fatalf("data = %v", p.Data)
			}
			for i, v := range p.Data {
				if string(v.Raw()) != tc.want.data[i] {
					t.Errorf("data[%d] = %s, want %s", i, v.Raw(), tc.want.data[i])
				}
			}
		})
	}
}

func encodeStrings(t *testing.T, c Codec, p *Packet) []string {
	t.Helper()
	frames, err := c.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range frames {
		if f.Binary {
			out = append(out, "BIN:"+hex.EncodeToString(f.Data))
		} else {
			out = append(out, string(f.Data))
		}
	}
	return out
}

// The echo scenarios of the socket.io protocol test suite: decoded values
// are re-emitted byte for byte.
func TestJSONEcho(t *testing.T) {
	d := JSON.NewDecoder(DecoderOptions{})
	p := mustJSON(t, d, `2["message",1,"2",{"3":[true]}]`)
	out := encodeStrings(t, JSON, &Packet{Type: Event, Data: append([]Value{ValueOf("message-back")}, p.Args()...)})
	if want := `42["message-back",1,"2",{"3":[true]}]`; out[0] != want || len(out) != 1 {
		t.Errorf("got %q, want %q", out, want)
	}

	p = mustJSON(t, d, `52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "BIN:01020304", "BIN:0506")
	out = encodeStrings(t, JSON, &Packet{Type: Event, Data: append([]Value{ValueOf("message-back")}, p.Args()...)})
	want := []string{`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "BIN:01020304", "BIN:0506"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}
	// only the second argument: renumbered
	out = encodeStrings(t, JSON, &Packet{Type: Event, Data: []Value{ValueOf("x"), p.Data[2]}})
	want = []string{`451-["x",{"_placeholder":true,"num":0}]`, "BIN:0506"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}

	p = mustJSON(t, d, `2456["message-with-ack",1,"2",{"3":[false]}]`)
	out = encodeStrings(t, JSON, &Packet{Type: Ack, ID: p.ID, HasID: true, Data: p.Args()})
	if want := `43456[1,"2",{"3":[false]}]`; out[0] != want {
		t.Errorf("got %q, want %q", out, want)
	}

	p = mustJSON(t, d, `52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "BIN:01", "BIN:02")
	out = encodeStrings(t, JSON, &Packet{Type: Ack, ID: p.ID, HasID: true, Data: p.Args()})
	want = []string{`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "BIN:01", "BIN:02"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}

	// a decoded value nested inside a Go value keeps its attachments
	out = encodeStrings(t, JSON, NewEvent("/", "wrap", map[string]any{"v": p.Data[2], "w": []byte{7}}))
	want = []string{`452-["wrap",{"v":{"_placeholder":true,"num":0},"w":{"_placeholder":true,"num":1}}]`, "BIN:02", "BIN:07"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestJSONErrors(t *testing.T) {
	cases := []struct {
		in   []string // "BIN:" prefix: binary message
		want error
		opts DecoderOptions
	}{
		{[]string{""}, ErrInvalidType, DecoderOptions{}},
		{[]string{"7"}, ErrInvalidType, DecoderOptions{}},
		{[]string{"a"}, ErrInvalidType, DecoderOptions{}},
		{[]string{"42"}, ErrInvalidPayload, DecoderOptions{}}, // the '4' prefix must be stripped: CONNECT_ERROR, ack id 2, no data
		{[]string{"2"}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{"2{}"}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2abc["a"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{"abc"}, ErrInvalidType, DecoderOptions{}},
		{[]string{`2[]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2[true]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2[null]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2[{"a":1}]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["connect"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["disconnecting",1]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["newListener"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["removeList\u0065ner"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a"`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a"]x`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a"][]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",01]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",'x']`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{"2[\"a\x01\"]"}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["\x"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",{"b"}]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",tru]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",-]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",1.]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2["a",1e]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`3{}`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`3"a"`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`0[]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`0"a"`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`0null`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`0{"a":1}x`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`1{}`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`1/admin,[]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`4`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`4abc`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`4[]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`4123`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`2/admin["a"]`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`299999999999999999999999["a"]`}, ErrInvalidID, DecoderOptions{}},
		{[]string{`2` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000)}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`5["a"]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`5-["a"]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`50-["a"]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51["a"]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`5a-["a"]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`511-["a"]`}, ErrTooManyAttachments, DecoderOptions{}},
		{[]string{`53-["a"]`}, ErrTooManyAttachments, DecoderOptions{MaxAttachments: 2}},
		{[]string{`599999999999999999999999-["a"]`}, ErrTooManyAttachments, DecoderOptions{}},
		{[]string{`51-`}, ErrInvalidPayload, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":1}]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":-1}]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":"0"}]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true}]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":0.5}]`}, ErrInvalidAttachments, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":0}]`, `2["b"]`}, ErrUnexpectedText, DecoderOptions{}},
		{[]string{"BIN:00"}, ErrUnexpectedBinary, DecoderOptions{}},
		{[]string{`2["a"]`, "BIN:00"}, ErrUnexpectedBinary, DecoderOptions{}},
		{[]string{`51-["a",{"_placeholder":true,"num":0}]`, "BIN:00", "BIN:00"}, ErrUnexpectedBinary, DecoderOptions{}},
	}
	for _, tc := range cases {
		name := strings.Join(tc.in, " ")
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			d := JSON.NewDecoder(tc.opts)
			var err error
			for i, m := range tc.in {
				var p *Packet
				if strings.HasPrefix(m, "BIN:") {
					b, _ := hex.DecodeString(m[4:])
					p, err = d.Add(b, true)
				} else {
					p, err = d.Add([]byte(m), false)
				}
				if i < len(tc.in)-1 && err != nil {
					t.Fatalf("early error on %q: %v", m, err)
				}
				if err != nil && p != nil {
					t.Fatal("packet and error")
				}
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// the decoder is usable again after an error
			if _, err := d.Add([]byte(`2["ok"]`), false); err != nil {
				t.Fatalf("after error: %v", err)
			}
		})
	}
}

func TestMsgpackConnectReplyFromNode(t *testing.T) {
	// {"type":0,"data":{"sid":"abc","pid":undefined},"nsp":"/"} from Node
	b, _ := hex.DecodeString("83a47479706500a46461746182a3736964a3616263a3706964d40000a36e7370a12f")
	p, err := MessagePack.NewDecoder(DecoderOptions{}).Add(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != Connect || p.Namespace != "/" || len(p.Data) != 1 {
		t.Fatalf("%+v", p)
	}
	var m map[string]any
	if err := p.Data[0].Decode(&m); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"sid": "abc", "pid": nil}; !reflect.DeepEqual(m, want) {
		t.Errorf("got %#v", m)
	}
	var s struct {
		SID string  `json:"sid"`
		PID *string `json:"pid"`
	}
	if err := p.Data[0].Decode(&s); err != nil || s.SID != "abc" || s.PID != nil {
		t.Errorf("got %+v, %v", s, err)
	}
	// re-encoding keeps the undefined
	frames, _ := MessagePack.Encode(p)
	if !bytes.Equal(frames[0].Data, b) {
		t.Errorf("re-encoded %x", frames[0].Data)
	}
	// cross-codec: undefined becomes null
	if out := encodeStrings(t, JSON, p); out[0] != `40{"pid":null,"sid":"abc"}` {
		t.Errorf("json: %q", out)
	}
}

func TestMsgpackExtensions(t *testing.T) {
	// ["ev", Date(1700000000123), ArrayBuffer(01 02), undefined]
	b, _ := hex.DecodeString("83a474797065" + "02" + "a464617461" + "94" + "a26576" +
		"d700" + "0000018bcfe5687b" + "c70200" + "0102" + "d40000" + "a36e7370a12f")
	p, err := MessagePack.NewDecoder(DecoderOptions{}).Add(b, true)
	if err != nil {
		t.Fatal(err)
	}
	var tm time.Time
	if err := p.Data[1].Decode(&tm); err != nil || tm.UnixMilli() != 1700000000123 {
		t.Errorf("date: %v %v", tm, err)
	}
	var bin []byte
	if err := p.Data[2].Decode(&bin); err != nil || !bytes.Equal(bin, []byte{1, 2}) {
		t.Errorf("arraybuffer: %x %v", bin, err)
	}
	var x any = 1
	if err := p.Data[3].Decode(&x); err != nil || x != nil {
		t.Errorf("undefined: %v %v", x, err)
	}
}

func mp(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMsgpackDecode(t *testing.T) {
	d := MessagePack.NewDecoder(DecoderOptions{})
	// {"id":7,"type":3,"data":[1,<bin 0909>],"nsp":"/"}
	p, err := d.Add(mp(t, "84a2696407a47479706503a4646174619201c4020909a36e7370a12f"), true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != Ack || !p.HasID || p.ID != 7 || len(p.Data) != 2 {
		t.Fatalf("%+v", p)
	}
	var n int
	var bin []byte
	var anyBin any
	if p.Data[0].Decode(&n) != nil || n != 1 || p.Data[1].Decode(&bin) != nil || !bytes.Equal(bin, []byte{9, 9}) {
		t.Errorf("n=%d bin=%x", n, bin)
	}
	if p.Data[1].Decode(&anyBin) != nil || !reflect.DeepEqual(anyBin, []byte{9, 9}) {
		t.Errorf("any = %#v", anyBin)
	}
	// type as float64 2.0, id as float, unknown keys ignored, key order free
	p, err = d.Add(mp(t, "85 a36e7370 a12f a474797065 cb4000000000000000 a178 c0 a26964 cb4014000000000000 a464617461 91 2a"), true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != Event || p.ID != 5 || !p.HasID || len(p.Data) != 1 {
		t.Fatalf("%+v", p)
	}
	if _, ok := p.EventName(); ok {
		t.Error("numeric event name reported as a string")
	}
	// cross-codec to JSON
	if out := encodeStrings(t, JSON, p); out[0] != "425[42]" {
		t.Errorf("json = %q", out)
	}
}

func TestMsgpackErrors(t *testing.T) {
	cases := []struct {
		hex  string
		want error
	}{
		{"", ErrInvalidPayload},
		{"c0", ErrInvalidType},
		{"92 00 00", ErrInvalidType},
		{"81 a36e7370 a12f", ErrInvalidType},                               // no type
		{"82 a474797065 05 a36e7370 a12f", ErrInvalidType},                 // type 5
		{"82 a474797065 ff a36e7370 a12f", ErrInvalidType},                 // -1
		{"82 a474797065 a132 a36e7370 a12f", ErrInvalidType},               // "2"
		{"82 a474797065 cb3ff8000000000000 a36e7370 a12f", ErrInvalidType}, // 1.5
		{"82 a474797065 d40000 a36e7370 a12f", ErrInvalidType},             // undefined
		{"81 a474797065 00", ErrInvalidNamespace},
		{"82 a474797065 00 a36e7370 01", ErrInvalidNamespace},
		{"82 a474797065 00 a36e7370 c0", ErrInvalidNamespace},
		{"83 a474797065 00 a464617461 90 a36e7370 a12f", ErrInvalidPayload},                 // CONNECT with array
		{"83 a474797065 01 a464617461 80 a36e7370 a12f", ErrInvalidPayload},                 // DISCONNECT with data
		{"83 a474797065 04 a464617461 01 a36e7370 a12f", ErrInvalidPayload},                 // CONNECT_ERROR number
		{"82 a474797065 04 a36e7370 a12f", ErrInvalidPayload},                               // CONNECT_ERROR without data
		{"82 a474797065 02 a36e7370 a12f", ErrInvalidPayload},                               // EVENT without data
		{"83 a474797065 02 a464617461 80 a36e7370 a12f", ErrInvalidPayload},                 // EVENT map
		{"83 a474797065 02 a464617461 90 a36e7370 a12f", ErrInvalidPayload},                 // EVENT []
		{"83 a474797065 02 a464617461 91c3 a36e7370 a12f", ErrInvalidPayload},               // EVENT [true]
		{"83 a474797065 02 a464617461 91a7636f6e6e656374 a36e7370 a12f", ErrInvalidPayload}, // ["connect"]
		{"83 a474797065 03 a464617461 a0 a36e7370 a12f", ErrInvalidPayload},                 // ACK ""
		{"84 a474797065 03 a464617461 90 a26964 a131 a36e7370 a12f", ErrInvalidID},
		{"84 a474797065 03 a464617461 90 a26964 ff a36e7370 a12f", ErrInvalidID},
		{"84 a474797065 03 a464617461 90 a26964 c0 a36e7370 a12f", ErrInvalidID},
		{"84 a474797065 03 a464617461 90 a26964 cb3ff8000000000000 a36e7370 a12f", ErrInvalidID},
		{"82 a474797065 00 a36e7370 a12f 00", ErrInvalidPayload}, // trailing byte
		{"82 a474797065 00 a36e7370 a2", ErrInvalidPayload},      // truncated
		{"83 a474797065 02 a464617461 dd ffffffff a36e7370 a12f", ErrInvalidPayload},
		{"83 a474797065 02 a464617461 c1 a36e7370 a12f", ErrInvalidPayload},
		{"df ffffffff", ErrInvalidPayload},
		{"83 a474797065 02 a464617461 91 c6ffffffff", ErrInvalidPayload},
		{"83 a474797065 02 a464617461 " + strings.Repeat("91", 20000) + "00 a36e7370 a12f", ErrInvalidPayload},
	}
	for _, tc := range cases {
		t.Run(tc.hex, func(t *testing.T) {
			d := MessagePack.NewDecoder(DecoderOptions{})
			p, err := d.Add(mp(t, tc.hex), true)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidPacket) || p != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := MessagePack.NewDecoder(DecoderOptions{}).Add([]byte(`2["a"]`), false); !errors.Is(err, ErrUnexpectedText) {
		t.Errorf("text frame: %v", err)
	}
}

type Inner struct {
	Blob []byte `json:"blob"`
	Note string `json:"note,omitempty"`
}

type Outer struct {
	ID      int            `json:"id"`
	Name    string         `json:"name"`
	Files   [][]byte       `json:"files"`
	Inner   *Inner         `json:"inner,omitempty"`
	Extra   any            `json:"extra"`
	Meta    map[string]any `json:"meta"`
	Skip    string         `json:"-"`
	private int
	Embedded
}

type Embedded struct {
	Tag string `json:"tag"`
}

func TestStructRoundTrip(t *testing.T) {
	in := Outer{
		ID: 1, Name: "a<b>", Files: [][]byte{{1}, {2, 3}}, Inner: &Inner{Blob: []byte{4}},
		Extra: []byte{5}, Meta: map[string]any{"z": []byte{6}, "a": 1.5}, Skip: "x", private: 2,
		Embedded: Embedded{Tag: "t"},
	}
	wantJSON := []string{
		`451-["s",{"id":1,"name":"a<b>","files":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}],"inner":{"blob":{"_placeholder":true,"num":2}},"extra":{"_placeholder":true,"num":3},"meta":{"a":1.5,"z":{"_placeholder":true,"num":4}},"tag":"t"}]`,
		"BIN:01", "BIN:0203", "BIN:04", "BIN:05", "BIN:06",
	}
	wantJSON[0] = strings.Replace(wantJSON[0], "451-", "455-", 1)
	if out := encodeStrings(t, JSON, NewEvent("/", "s", in)); !reflect.DeepEqual(out, wantJSON) {
		t.Errorf("got  %q\nwant %q", out, wantJSON)
	}
	want := in
	want.Skip, want.private = "", 0
	for _, c := range []Codec{JSON, MessagePack} {
		t.Run(c.Name(), func(t *testing.T) {
			frames, err := c.Encode(NewEvent("/", "s", in))
			if err != nil {
				t.Fatal(err)
			}
			d := c.NewDecoder(DecoderOptions{})
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
			var got Outer
			if err := p.Data[1].Decode(&got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
			var m map[string]any
			if err := p.Data[1].Decode(&m); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m["extra"], []byte{5}) || !reflect.DeepEqual(m["files"], []any{[]byte{1}, []byte{2, 3}}) {
				t.Errorf("map: %#v", m)
			}
			var a any
			if err := p.Data[1].Decode(&a); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.(map[string]any)["inner"], map[string]any{"blob": []byte{4}}) {
				t.Errorf("any: %#v", a)
			}
			var name string
			if err := p.Data[0].Decode(&name); err != nil || name != "s" {
				t.Errorf("name %q %v", name, err)
			}
			if n, ok := p.EventName(); !ok || n != "s" {
				t.Errorf("EventName = %q", n)
			}
		})
	}
}

func TestValueOfDecode(t *testing.T) {
	v := ValueOf(map[string]any{"a": 1, "b": []byte{1}})
	var got struct {
		A int    `json:"a"`
		B []byte `json:"b"`
	}
	if err := v.Decode(&got); err != nil || got.A != 1 || !bytes.Equal(got.B, []byte{1}) {
		t.Errorf("%+v %v", got, err)
	}
	var s string
	if err := ValueOf("x").Decode(&s); err != nil || s != "x" {
		t.Error(s, err)
	}
	if v.Raw() != nil || v.IsEncoded() {
		t.Error("Go value reports raw bytes")
	}
	var vv Value
	if err := RawJSON([]byte(`[1]`)).Decode(&vv); err != nil || string(vv.Raw()) != "[1]" {
		t.Error(vv, err)
	}
	if err := ValueOf(1).Decode(nil); !errors.Is(err, ErrUnsupportedValue) {
		t.Error(err)
	}
	if s, ok := RawJSON([]byte(`"a\"b"`)).AsString(); !ok || s != `a"b` {
		t.Error(s)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []Codec{JSON, MessagePack} {
		for _, p := range []*Packet{
			{Type: 9},
			{Type: Disconnect, Data: []Value{ValueOf(1)}},
			{Type: Connect, Data: []Value{ValueOf(1), ValueOf(2)}},
			NewEvent("/", "ch", make(chan int)),
		} {
			if _, err := c.Encode(p); !errors.Is(err, ErrUnsupportedValue) {
				t.Errorf("%s: Encode(%+v) = %v", c.Name(), p, err)
			}
		}
	}
	if _, err := JSON.Encode(&Packet{Type: Connect, Data: []Value{ValueOf(map[string]any{"b": []byte{1}})}}); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("binary CONNECT: %v", err)
	}
}

func TestJSONStringify(t *testing.T) {
	// strings written as JSON.stringify does, through both encoding paths
	type S struct {
		S string `json:"s"`
		N int    `json:"n,string"`
	}
	in := "<>&\u2028\u2029\\u2028\x7f\x00é\xff"
	out := encodeStrings(t, JSON, NewEvent("/", in, S{S: in, N: 5}, []any{in}))
	want := `42["<>&` + "\u2028\u2029" + `\\u2028` + "\x7f" + `\u0000é\ufffd",{"s":"<>&` + "\u2028\u2029" + `\\u2028` + "\x7f" + `\u0000é\ufffd","n":"5"},["<>&` + "\u2028\u2029" + `\\u2028` + "\x7f" + `\u0000é\ufffd"]]`
	if out[0] != want {
		t.Errorf("got  %q\nwant %q", out[0], want)
	}
}

func TestPacketHelpers(t *testing.T) {
	if Event.String() != "EVENT" || BinaryAck.String() != "BINARY_ACK" || Type(9).String() != "Type(9)" || Type(9).Valid() {
		t.Error("Type.String")
	}
	if !IsReservedEvent("connect") || IsReservedEvent("message") {
		t.Error("IsReservedEvent")
	}
	p := NewEvent("/", "a", 1)
	if len(p.Args()) != 1 {
		t.Error("Args")
	}
	if _, ok := (&Packet{Type: Ack}).EventName(); ok {
		t.Error("EventName on ACK")
	}
	if JSON.Name() != "json" || MessagePack.Name() != "msgpack" {
		t.Error("Name")
	}
	var _ engineio.Frame
}

func TestDecodeString(t *testing.T) {
	mp := func(b ...byte) Value { return Value{kind: kindMsgpack, raw: b} }
	tests := []struct {
		name string
		v    Value
		want string
		err  bool
	}{
		{"JSON plain", RawJSON([]byte(`"héllo"`)), "héllo", false},
		{"JSON escapes", RawJSON([]byte(`"a\"b\u00e9\n"`)), "a\"bé\n", false},
		{"JSON invalid UTF-8", RawJSON([]byte("\"a\xffb\"")), "a\ufffdb", false},
		{"JSON number", RawJSON([]byte(`12`)), "", true},
		{"JSON null", RawJSON([]byte(`null`)), "", false},
		{"msgpack fixstr", mp(0xa2, 'h', 'i'), "hi", false},
		{"msgpack str8", mp(0xd9, 3, 'a', 'b', 'c'), "abc", false},
		{"msgpack int", mp(0x05), "", true},
		{"Go string", ValueOf("go"), "go", false},
		{"Go int", ValueOf(3), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s string
			err := tt.v.Decode(&s)
			if (err != nil) != tt.err || s != tt.want {
				t.Fatalf("got %q, %v; want %q (error: %v)", s, err, tt.want, tt.err)
			}
		})
	}
}

// message is what a decoder is given for the first frame of p encoded with
// codec: its bytes (a text frame's without the Engine.IO message type) and
// whether it is binary.
func message(t testing.TB, codec Codec, p *Packet) ([]byte, bool) {
	t.Helper()
	frames, err := codec.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if frames[0].Binary {
		return frames[0].Data, true
	}
	return frames[0].Data[1:], false
}

// roundTrip encodes p with codec and decodes its first frame again.
func roundTrip(t testing.TB, codec Codec, p *Packet) *Packet {
	t.Helper()
	data, binary := message(t, codec, p)
	q, err := codec.NewDecoder(DecoderOptions{}).Add(data, binary)
	if err != nil || q == nil {
		t.Fatalf("%s: decoding %q: %v, %v", codec.Name(), data, q, err)
	}
	return q
}

func TestEventNameInterned(t *testing.T) {
	for _, codec := range []Codec{JSON, MessagePack} {
		p := roundTrip(t, codec, NewEvent("/", "chat message", "hi"))
		if name, ok := p.EventName(); !ok || name != "chat message" {
			t.Fatalf("%v: EventName %q %v", codec, name, ok)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = p.EventName() }); n != 0 {
			t.Errorf("%v: EventName allocates %v times for a known name", codec, n)
		}
	}
	// Long names are not kept; the table is bounded.
	long := strings.Repeat("n", maxInternedLen+1)
	if got := intern([]byte(long)); got != long {
		t.Fatalf("long name %q", got)
	}
	for i := range maxInterned + 10 {
		_ = intern([]byte("name-" + strconv.Itoa(i)))
	}
	names.RLock()
	n, _, kept := len(names.m), 0, names.m[long]
	names.RUnlock()
	if n > maxInterned || kept != "" {
		t.Fatalf("%d names kept (bound %d), long name kept: %v", n, maxInterned, kept != "")
	}
}

// A string argument that needs no unescaping costs one allocation, its own
// bytes, in AsString and in Decode into a *string; none when it holds at
// least half of the packet (the string shares the packet's bytes, which
// they keep alive at most about twice its size).
func TestStringArgumentAllocations(t *testing.T) {
	long := strings.Repeat("a long string argument ", 10)
	for _, codec := range []Codec{JSON, MessagePack} {
		for _, tc := range []struct {
			name  string
			args  []any
			arg   int
			want  string
			alloc float64
		}{
			{"most of the packet", []any{"a plain string argument"}, 0, "a plain string argument", 0},
			{"a long one", []any{long, 1}, 0, long, 0},
			{"beside a longer one", []any{"short", long}, 0, "short", 1},
			{"half of the packet at most", []any{"a plain string", strings.Repeat("x", 40)}, 0, "a plain string", 1},
		} {
			v := roundTrip(t, codec, NewEvent("/", "echo", tc.args...)).Args()[tc.arg]
			if n := testing.AllocsPerRun(100, func() { _, _ = v.AsString() }); n != tc.alloc {
				t.Errorf("%s, %s: AsString allocates %v times, want %v", codec.Name(), tc.name, n, tc.alloc)
			}
			var s string
			if n := testing.AllocsPerRun(100, func() { _ = v.Decode(&s) }); n != tc.alloc {
				t.Errorf("%s, %s: Decode(*string) allocates %v times, want %v", codec.Name(), tc.name, n, tc.alloc)
			}
			if s != tc.want {
				t.Fatalf("%s, %s: decoded %q", codec.Name(), tc.name, s)
			}
		}
	}
}

// Decoding an event with one argument costs one allocation: the packet and
// its data are allocated together (allocPacket), the event name is interned.
// With three arguments the data outgrows that room: one more.
func TestDecodeEventAllocations(t *testing.T) {
	for _, codec := range []Codec{JSON, MessagePack} {
		for _, tc := range []struct {
			args []any
			want float64
		}{{[]any{"x"}, 1}, {[]any{"x", 2, true}, 2}} {
			data, binary := message(t, codec, NewEvent("/", "echo", tc.args...))
			dec := codec.NewDecoder(DecoderOptions{})
			var p *Packet
			var err error
			n := testing.AllocsPerRun(100, func() { p, err = dec.Add(data, binary) })
			if err != nil || p == nil || len(p.Data) != 1+len(tc.args) {
				t.Fatalf("%s: decoded %+v, %v", codec.Name(), p, err)
			}
			if n != tc.want {
				t.Errorf("%s, %d arguments: %v allocations per decode, want %v", codec.Name(), len(tc.args), n, tc.want)
			}
		}
	}
}

// An object a peer writes with the key Decode uses to mark attachments in
// a generic tree is an ordinary object: it takes no attachment's bytes and
// indexes none (it used to, past the end: a panic).
func TestForgedBinMarker(t *testing.T) {
	d := JSON.NewDecoder(DecoderOptions{})
	if _, err := d.Add([]byte(`51-["e",[{"_placeholder":true,"num":0},{"\u0000siogen_bin":7},{"\u0000siogen_bin":0}]]`), false); err != nil {
		t.Fatal(err)
	}
	p, err := d.Add([]byte{1, 2}, true)
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	var x []any
	if err := p.Args()[0].Decode(&x); err != nil || len(x) != 3 {
		t.Fatal(x, err)
	}
	if b, ok := x[0].([]byte); !ok || !bytes.Equal(b, []byte{1, 2}) {
		t.Errorf("the attachment: %#v", x[0])
	}
	for _, e := range x[1:] {
		if m, ok := e.(map[string]any); !ok || len(m) != 1 {
			t.Errorf("a forged marker became %#v", e)
		}
	}
}
