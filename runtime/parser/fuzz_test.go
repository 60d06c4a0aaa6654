package parser

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
)

// checkReencode re-encodes a decoded packet with both codecs: it must not
// fail with the same codec, and the JSON text must decode again.
func checkReencode(t *testing.T, c Codec, p *Packet) {
	frames, err := c.Encode(p)
	if err != nil && c != p.codec() {
		return // cross-codec conversion may fail (a number out of float64 range...)
	}
	if err != nil {
		t.Fatalf("re-encode %+v: %v", p, err)
	}
	d := c.NewDecoder(DecoderOptions{MaxAttachments: 1 << 20})
	var q *Packet
	for _, f := range frames {
		data := f.Data
		if !f.Binary && c == JSON {
			data = data[1:]
		}
		if q, err = d.Add(data, f.Binary); err != nil {
			t.Fatalf("decode of re-encoded %q: %v", f.Data, err)
		}
	}
	if q == nil || q.Type != p.Type || q.Namespace != p.Namespace || q.ID != p.ID || len(q.Data) != len(p.Data) {
		t.Fatalf("round trip: %+v != %+v", q, p)
	}
	// encoding is stable: encode(decode(encode(p))) == encode(p)
	again, err := c.Encode(q)
	if err != nil || len(again) != len(frames) {
		t.Fatalf("second re-encode: %v", err)
	}
	for i := range frames {
		if !bytes.Equal(again[i].Data, frames[i].Data) {
			t.Fatalf("unstable encoding %q then %q", frames[i].Data, again[i].Data)
		}
	}
	for i := range p.Data {
		var x any
		_ = p.Data[i].Decode(&x) // must not panic
		checkStringDecode(t, p.Data[i], x)
	}
}

// checkStringDecode checks Decode's fast path into *string against the
// generic decode of the same value into an interface (x).
func checkStringDecode(t *testing.T, v Value, x any) {
	t.Helper()
	var s string
	err := v.Decode(&s)
	if want, ok := x.(string); ok && (err != nil || s != want) {
		t.Fatalf("Decode(*string) of %v: %q, %v; Decode(*any) gives %q", v, s, err, want)
	}
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{
		"0", `0/admin,{"sid":"x"}`, `2["foo"]`, `212["foo",1,{"a":[true,null]}]`, `3/admin,13["bar"]`, "1/admin,",
		`4{"message":"no"}`, `2[ "a" , {"b" : 1.5e3} ]`, `2["a\u2028\"b"]`, `51-["a",{"_placeholder":true,"num":0}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := JSON.NewDecoder(DecoderOptions{}).Add(data, false)
		if err != nil || p == nil {
			return
		}
		checkReencode(t, JSON, p)
		checkReencode(t, MessagePack, p)
	})
}

func FuzzJSONAttachments(f *testing.F) {
	f.Add([]byte(`52-["a",{"_placeholder":true,"num":1},{"x":[{"_placeholder":true,"num":0}]}]`), []byte{1, 2}, uint8(3))
	f.Add([]byte(`61-7[{"_placeholder":true,"num":0}]`), []byte{9}, uint8(1))
	f.Add([]byte(`2["a"]`), []byte{}, uint8(0))
	f.Add([]byte(`51-["a",[{"_placeholder":true,"num":0},{"\u0000siogen_bin":7}]]`), []byte{1}, uint8(2))
	f.Fuzz(func(t *testing.T, text, bin []byte, order uint8) {
		// order's bits choose, for up to 8 messages, text (0) or binary (1)
		d := JSON.NewDecoder(DecoderOptions{})
		for i := 0; i < 8; i++ {
			var p *Packet
			var err error
			if i == 0 || order&(1<<i) == 0 {
				p, err = d.Add(text, false)
			} else {
				p, err = d.Add(bin, true)
			}
			if err != nil || p == nil {
				continue
			}
			checkReencode(t, JSON, p)
			checkReencode(t, MessagePack, p)
			for _, v := range p.Data {
				var x any
				_ = v.Decode(&x)
			}
		}
	})
}

func FuzzMsgpackDecode(f *testing.F) {
	for _, h := range []string{
		"83a47479706500a46461746182a3736964a3616263a3706964d40000a36e7370a12f",
		"84a2696407a47479706503a4646174619201c4020909a36e7370a12f",
		"84a47479706502a46461746192a77769746861636ba171a2696400a36e7370a12f",
		"83a47479706504a46461746182a76d657373616765ae6e6f7420617574686f72697a6564a46461746181a6726561736f6ea178a36e7370a72f637573746f6d",
		"83a47479706502a4646174619493a26576d7000000018bcfe5687bc702000102d40000a36e7370a12f",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := MessagePack.NewDecoder(DecoderOptions{}).Add(data, true)
		if err != nil || p == nil {
			return
		}
		checkReencode(t, MessagePack, p)
		if p.Type == Event || p.Type == Ack {
			var x any
			for _, v := range p.Data {
				_ = v.Decode(&x)
			}
		}
		_, _ = JSON.Encode(p) // cross-codec: may fail (NaN, non-string keys), must not panic
	})
}

// codec returns the codec that decoded p (JSON for Go values).
func (p *Packet) codec() Codec {
	for _, v := range p.Data {
		if v.kind == kindMsgpack {
			return MessagePack
		}
	}
	return JSON
}

// FuzzTranscode: any bytes, read as MessagePack, either have no JSON form or
// have valid JSON that goes back to MessagePack and to the same values; any
// valid JSON goes to MessagePack and back to the same values. Check never
// panics on either.
func FuzzTranscode(f *testing.F) {
	for _, h := range []string{"93c40081a178c4020102c40103", "d70000000187a0c34c00", "82a17491c0a162c2", "c70cff000000050000000065936785"} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Add([]byte(`{"a":[1,-2.5e3,"x\u00e9",null,true,{"_placeholder":true,"num":0}],"b":{}}`))
	shape := Object(Field{Name: "a", Shape: List(Any)}, Field{Name: "b", Shape: Map(nil), Optional: true}, Field{Name: "t", Shape: List(Time), Optional: true})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := RawMsgpack(data)
		_ = v.Check(shape)
		if j, err := v.AsJSON(); err == nil {
			if !json.Valid(j.raw) {
				t.Fatalf("invalid JSON %q from %x", j.raw, data)
			}
			mp, err := jsonToMsgpack(nil, j.raw, j.attachments())
			if err != nil {
				t.Fatalf("%s: %v", j.raw, err)
			}
			again, err := RawMsgpack(mp).AsJSON()
			var x, y any
			_ = json.Unmarshal(j.raw, &x)
			if err != nil || json.Unmarshal(again.raw, &y) != nil || !reflect.DeepEqual(x, y) {
				t.Fatalf("%s became %s (%v)", j.raw, again.raw, err)
			}
		}
		var want any
		if json.Unmarshal(data, &want) != nil {
			return
		}
		_ = RawJSON(data).Check(shape)
		_ = RawJSON(data).CheckTimes(shape)
		for _, off := range []int64{1, int64(len(data) / 2), int64(len(data))} {
			_, _ = RawJSON(data).PathAt(off, shape)
		}
		mp, err := jsonToMsgpack(nil, data, [][]byte{{1}})
		if err != nil && bytes.Contains(data, []byte("_placeholder")) {
			return // a placeholder of no attachment: the packet decoder refuses those
		}
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		j, err := RawMsgpack(mp).AsJSON()
		if err != nil {
			t.Fatalf("%s: back: %v", data, err)
		}
		var got any
		if err := json.Unmarshal(j.raw, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s became %s (%v)", data, j.raw, err)
		}
	})
}
