package parser

import (
	"bytes"
	"encoding/hex"
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
