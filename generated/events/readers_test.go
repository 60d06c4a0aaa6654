package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// readerCase checks one generated reader against encoding/json on in: when
// it does not give up, it decodes what encoding/json decodes, and
// encoding/json does not fail. It reports whether the reader read in.
func readerCase[T any](t *testing.T, read func(*parser.JSONReader, *T), in []byte) bool {
	t.Helper()
	var got, want T
	if !parser.ReadJSON(in, parser.ReadInto[T]{Ptr: &got, Read: read}) {
		return false
	}
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatalf("%T: read %s, encoding/json: %v", got, in, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%T of %s:\nreader        %#v\nencoding/json %#v", got, in, got, want)
	}
	return true
}

// readers runs every generated reader of the package on in and returns
// how many read it.
func readers(t *testing.T, in []byte) int {
	n := 0
	for _, ok := range []bool{
		readerCase(t, readS2CMainAnnouncementPayload, in),
		readerCase(t, readC2SWorkspaceOpenPayload, in),
		readerCase(t, readC2SWorkspaceMoveArg2, in),
		readerCase(t, readC2SWorkspaceMoveArg5, in),
		readerCase(t, readC2SWorkspaceNotePayload, in),
		readerCase(t, readC2SWorkspaceOutlinePayload, in),
		readerCase(t, readS2CWorkspaceCursorArg2, in),
		readerCase(t, readS2CWorkspaceLabelsPayload, in),
		readerCase(t, readS2CWorkspaceGridPayload, in),
		readerCase(t, readC2SWorkspaceMoveAck, in),
		readerCase(t, readC2SWorkspacePingAck, in),
		readerCase(t, readC2SWorkspaceRecentAck, in),
		readerCase(t, readC2SWorkspaceOutlineAck, in),
		readerCase(t, readS2CWorkspaceConfirmAck, in),
	} {
		if ok {
			n++
		}
	}
	return n
}

var readerSeeds = []string{`"doc_0000000a"`, `"\u00e9"`, `-1.5e3`, `7`, `null`, `[["a"],[],null]`, `{"a":"b","c":"d"}`, `{"a":[1,2],"b":null,"a":[3]}`, `{"x":1}`, `[]`, `true`}

// The generated readers decode what encoding/json decodes, and read the
// values they are for: each seed is read by at least one reader (null by
// all of them).
func TestReadersMatchEncodingJSON(t *testing.T) {
	for _, in := range readerSeeds {
		n := readers(t, []byte(in))
		switch {
		case in == "null" && n != 14:
			t.Errorf("null: read by %d readers of 14", n)
		case n == 0:
			t.Errorf("%s: read by no reader", in)
		}
	}
}

func FuzzReaders(f *testing.F) {
	for _, in := range readerSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if json.Valid(in) {
			readers(t, in)
		}
	})
}

// ackCase decodes the ack envelope in with read and with encoding/json
// (DecodeAckFunc without a reader) and fails when the two differ in data
// or error.
func ackCase[T any](t *testing.T, read func(*parser.JSONReader, *T), shape *parser.Shape, in string) {
	t.Helper()
	args := []parser.Value{parser.RawJSON([]byte(in))}
	got, gerr := socketio.DecodeAckFunc(args, nil, shape, false, read)
	want, werr := socketio.DecodeAckFunc[T](args, nil, shape, false, nil)
	if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Errorf("%T of %s:\nreader        %#v, %v\nencoding/json %#v, %v", got, in, got, gerr, want, werr)
	}
}

// Acks of types that are not objects (a bool, a list, a map of lists, an
// enum) decode with their generated readers exactly as with encoding/json:
// data, missing data, wrong kinds, error envelopes, malformed envelopes.
func TestDecodeAckFuncMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"ok":true,"data":true}`,
		`{"ok":true,"data":["doc_0000000a","b"]}`,
		`{"data":[],"ok":true}`,
		`{"ok":true,"data":{"a":["x"],"b":null,"a":["y"]}}`,
		`{"ok":true,"data":"yes"}`,
		`{"ok":true,"data":12}`,
		`{"ok":true,"data":1e400}`,
		`{"ok":true,"data":null}`,
		`{"ok":true}`,
		`{"ok":true,"data":[1]}`,
		`{"ok":true,"data":{"a":[2]}}`,
		`{"ok":false,"error":{"code":"not_found","message":"gone"}}`,
		`{"ok":false,"error":null}`,
		`{"OK":true,"Data":["x"]}`,
		`{"ok":"yes"}`,
		`null`,
		`[1]`,
	} {
		ackCase(t, readC2SWorkspaceMoveAck, nil, in)
		ackCase(t, readC2SWorkspacePingAck, nil, in)
		ackCase(t, readC2SWorkspaceRecentAck, listShape, in)
		ackCase(t, readC2SWorkspaceOutlineAck, mapShapeOfList, in)
		ackCase(t, readS2CWorkspaceConfirmAck, nil, in)
	}
}
