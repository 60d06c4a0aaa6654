package gogen_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/siogen/siogen/generated/chat"
	"github.com/siogen/siogen/internal/nodetest"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

// The official socket.io-client 4.8 (with and without
// socket.io-msgpack-parser) against the generated chat namespace: what a
// JavaScript client receives has the types the generated TypeScript
// promises on both parsers (a time is a string, binary is binary), and a
// required field it leaves out, sets to null or to undefined is refused
// with invalid_argument.
func TestChatNodeClient(t *testing.T) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			srv := siotest.NewServer(t, &socketio.ServerOptions{Parser: codec})
			chat.NewChatNamespace(srv.Server, &chatServer{srv: srv.Server})
			out := nodetest.Run(t, "SIOGEN_SIO_NODE_MODULES", "testdata/chat-client.cjs", srv.URL, codec.Name())
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			refused := func(msg string) any {
				return map[string]any{"code": "invalid_argument", "message": msg}
			}
			want := map[string]any{
				"join": map[string]any{"ok": true, "history": "array", "sentAt": "string", "sentAtValue": "0001-01-01T00:00:00Z", "author": "object"},
				"send": map[string]any{"ok": true, "text": "hi", "sentAt": "string", "files": "array", "file": "binary"},
				// JSON.stringify drops an undefined member: both are missing.
				"missing":       refused("room is required"),
				"undefinedRoom": refused("room is required"),
				"nullText":      refused("text is required"),
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}
