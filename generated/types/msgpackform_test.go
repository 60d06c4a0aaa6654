package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// checkMsgpackForm encodes v, a generated type, with the MessagePack codec
// twice: v itself, which its AppendJSON writes straight in MessagePack, and
// v as the one element of a []T, which the codec writes as JSON and
// transcodes. The two must fail together, or give the same bytes for v
// (the second with the array's one-byte header before them).
func checkMsgpackForm(t *testing.T, v any) {
	t.Helper()
	one := reflect.New(reflect.SliceOf(reflect.TypeOf(v))).Elem()
	one = reflect.Append(one, reflect.ValueOf(v))
	direct, derr := parser.MessagePack.Encode(parser.NewEvent("/", "e", v))
	transcoded, terr := parser.MessagePack.Encode(parser.NewEvent("/", "e", one.Interface()))
	if (derr == nil) != (terr == nil) {
		t.Fatalf("%T: written directly: %v; transcoded: %v", v, derr, terr)
	}
	if derr != nil {
		return
	}
	a, b := direct[0].Data, transcoded[0].Data
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	if len(b) != len(a)+1 || k == len(b) || b[k] != 0x91 || !bytes.Equal(a[k:], b[k+1:]) {
		t.Fatalf("%T: the direct MessagePack differs from the transcoded JSON form at byte %d:\ndirect     % x\ntranscoded % x", v, k, a, b)
	}
}

// The MessagePack codec writes a generated type directly, byte for byte as
// its JSON form transcoded: every kind of field, containers of every header
// size, strings that are not valid UTF-8, numbers at the edges of the
// integer forms, errors.
func TestMsgpackFormMatchesTranscodedJSON(t *testing.T) {
	leaf := Tree{Label: "leaf", Children: []Tree{}, ByName: map[string]Tree{}}
	wide := &Tree{Label: "wide", ByName: map[string]Tree{}}
	for i := range 20 {
		wide.Children = append(wide.Children, leaf)
		wide.ByName[fmt.Sprint("k", i)] = leaf
	}
	huge := &Everything{List: make([]string, 70000), Map: map[string]int32{}, Spaced: []string{}}
	values := []any{
		everything(),
		&Everything{List: []string{}, Map: map[string]int32{}, Spaced: []string{}},
		&Everything{S: "a\xffb\xc3", List: []string{"\xe2\x82", "ok"}, Map: map[string]int32{"\xff": 1}},
		&Everything{T: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)), Bin: []byte{}, A: json.RawMessage(`[1.0,"\u00e9",{"b":null}]`)},
		&Everything{T: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		&Tree{Label: "root", Children: []Tree{leaf, leaf}, ByName: map[string]Tree{"b": leaf}, Parent: &leaf},
		(*Tree)(nil),
		wide,
		huge,
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1.5, -1, 1 << 53, 1<<63 - 1024, 1 << 63, -(1 << 63), 1<<64 - 2048, 1 << 64, -(1 << 64), 1e20, 1e21, 1e-7, 5e-324, math.MaxFloat64, math.NaN(), math.Inf(-1)} {
		values = append(values, &Everything{F64: f, Ratio: -f})
	}
	for _, v := range values {
		checkMsgpackForm(t, v)
		checkMsgpackForm(t, socketio.OKEnvelope(v)) // an ack's envelope writes its data through Value
	}
	checkMsgpackForm(t, socketio.ErrorEnvelope("rate_limited", "w\xffait"))
}
