package events

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
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
		case in == "null" && n != 9:
			t.Errorf("null: read by %d readers of 9", n)
		case n == 0 && in != "true":
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
