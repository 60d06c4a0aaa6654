package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

type withMarshalJSON struct{ V int }

func (w withMarshalJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("custom-%d", w.V))
}

// uuidLike is a [16]byte with MarshalText, as github.com/google/uuid's UUID.
type uuidLike [16]byte

func (u uuidLike) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%x-%x", u[:2], u[2:4]), nil }

type ptrText struct{ A, B int }

func (p *ptrText) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%d.%d", p.A, p.B), nil }

type withMsgpack struct{ N int }

func (w withMsgpack) MarshalJSON() ([]byte, error)           { return []byte(`"json"`), nil }
func (w withMsgpack) EncodeMsgpack(e *msgpack.Encoder) error { return e.EncodeString("msgpack") }

type payload struct {
	ID    uuidLike        `json:"id"`
	IP    net.IP          `json:"ip"`
	Raw   json.RawMessage `json:"raw"`
	Bin   []byte          `json:"bin"`
	N     int32           `json:"n"`
	Inner withMarshalJSON `json:"inner"`
}

// A MessagePack client, and a node that gets a broadcast through Redis
// (MessagePack too), see what a JSON client sees: a type's MarshalJSON or
// MarshalText is used and json.RawMessage is JSON, not binary; []byte
// stays binary; a type's own MessagePack encoding and time.Time keep theirs.
func TestMsgpackUsesJSONForm(t *testing.T) {
	id := uuidLike{0xab, 0xcd, 0x01, 0x02}
	when := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want any // the generic value a MessagePack client decodes
	}{
		{"MarshalJSON", withMarshalJSON{7}, "custom-7"},
		{"RawMessage", json.RawMessage(`{"raw":1}`), map[string]any{"raw": int64(1)}},
		{"net.IP", net.ParseIP("10.0.0.1").To4(), "10.0.0.1"},
		{"MarshalText array", id, "abcd-0102"},
		{"pointer MarshalText", &ptrText{1, 2}, "1.2"},
		{"struct", payload{ID: id, IP: net.IPv4(1, 2, 3, 4).To4(), Raw: json.RawMessage(`[true]`), Bin: []byte{0, 255}, N: 5, Inner: withMarshalJSON{1}},
			map[string]any{"id": "abcd-0102", "ip": "1.2.3.4", "raw": []any{true}, "bin": []byte{0, 255}, "n": int64(5), "inner": "custom-1"}},
		{"in a map", map[string]any{"ip": net.IPv4(5, 6, 7, 8).To4(), "s": "x"}, map[string]any{"ip": "5.6.7.8", "s": "x"}},
		{"in a list", []any{1, withMarshalJSON{2}}, []any{int64(1), "custom-2"}},
		{"plain map", map[string]any{"a": 1, "b": []byte{1}}, map[string]any{"a": int64(1), "b": []byte{1}}},
		{"own msgpack encoding", withMsgpack{}, "msgpack"},
		{"time", when, when},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"codec", "Value.EncodeMsgpack"} {
				var raw []byte
				if path == "codec" {
					frames, err := MessagePack.Encode(NewEvent("/", "e", tc.v))
					if err != nil {
						t.Fatal(err)
					}
					p, err := MessagePack.NewDecoder(DecoderOptions{}).Add(frames[0].Data, true)
					if err != nil || p == nil {
						t.Fatalf("decode: %v", err)
					}
					raw = p.Args()[0].Raw()
				} else {
					b, err := msgpack.Marshal(ValueOf(tc.v)) // as the Redis adapter does
					if err != nil {
						t.Fatal(err)
					}
					raw = b
				}
				var got any
				dec := msgpack.NewDecoder(bytes.NewReader(raw))
				dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
				if err := dec.Decode(&got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(normalize(got), normalize(tc.want)) {
					t.Errorf("%s: got %#v, want %#v", path, got, tc.want)
				}
			}
		})
	}
}

// normalize makes decoded MessagePack comparable: map[any]any keys to
// strings, every integer to int64.
func normalize(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range t {
			out[k] = normalize(v)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, v := range t {
			out[fmt.Sprint(k)] = normalize(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = normalize(v)
		}
		return out
	case int8, int16, int32, int, uint8, uint16, uint32, uint64:
		return reflect.ValueOf(t).Convert(reflect.TypeFor[int64]()).Interface()
	case time.Time:
		return t.UTC()
	}
	return x
}
