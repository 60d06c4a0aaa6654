package chat

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// BenchmarkDecodeValidateEncode measures what a generated handler does
// around user code for an acked event — decode the payload, validate it,
// validate the handler's ack, encode the ack envelope into a wire packet — against plain encoding/json
// doing only decode and encode (no validation, no packet framing).
func BenchmarkDecodeValidateEncode(b *testing.B) {
	raw := []byte(`{"room":"lobby","text":"hello, world"}`)
	base := Message{ID: "m1", Room: "lobby", Author: User{ID: "u1", Name: "ann"},
		SentAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}

	// The generated code, with the JSON parser and with MessagePack (the
	// payload decoded from its JSON form, the ack written in it, transcoded).
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		name := "generated"
		if codec == parser.MessagePack {
			name += "_msgpack"
		}
		b.Run(name, func(b *testing.B) {
			cfg := socketio.NewTypedConfig(slog.New(slog.NewTextHandler(io.Discard, nil)), errorMessages, nil)
			ack := func(args []any) error {
				_, err := codec.Encode(&parser.Packet{Type: parser.Ack, Namespace: "/chat", ID: 1, HasID: true,
					Data: []parser.Value{parser.ValueOf(args[0])}})
				return err
			}
			arg := parser.RawJSON(raw)
			if codec == parser.MessagePack {
				frames, err := codec.Encode(parser.NewEvent("/chat", ChatSendEvent, arg))
				if err != nil {
					b.Fatal(err)
				}
				pk, err := codec.NewDecoder(parser.DecoderOptions{}).Add(frames[0].Data, true)
				if err != nil {
					b.Fatal(err)
				}
				arg = pk.Args()[0]
			}
			b.ReportAllocs()
			for b.Loop() {
				e := socketio.NewEvent(ChatSendEvent, []parser.Value{arg}, ack)
				p, err := decodeC2SChatSend(e)
				if err != nil {
					b.Fatal(err)
				}
				m := base
				m.Text = p.Text
				socketio.ReplyOK(cfg, e, &m, nil, validateAckC2SChatSend, CodeRateLimited)
			}
		})
	}

	// The same work by hand on the runtime, untyped: no validation, the same
	// packet encoding.
	b.Run("untyped_runtime", func(b *testing.B) {
		ack := func(args []any) error {
			_, err := parser.JSON.Encode(&parser.Packet{Type: parser.Ack, Namespace: "/chat", ID: 1, HasID: true,
				Data: []parser.Value{parser.ValueOf(args[0])}})
			return err
		}
		b.ReportAllocs()
		for b.Loop() {
			e := socketio.NewEvent(ChatSendEvent, []parser.Value{parser.RawJSON(raw)}, ack)
			var p ChatSendPayload
			if err := e.Decode(&p); err != nil {
				b.Fatal(err)
			}
			m := base
			m.Text = p.Text
			_ = e.Ack(map[string]any{"ok": true, "data": &m})
		}
	})

	b.Run("encoding_json", func(b *testing.B) {
		type envelope struct {
			OK   bool     `json:"ok"`
			Data *Message `json:"data"`
		}
		b.ReportAllocs()
		for b.Loop() {
			var p ChatSendPayload
			if err := json.Unmarshal(raw, &p); err != nil {
				b.Fatal(err)
			}
			m := base
			m.Text = p.Text
			if _, err := json.Marshal(envelope{OK: true, Data: &m}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
