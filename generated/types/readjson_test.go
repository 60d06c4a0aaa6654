package types

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// readJSONSeeds are payloads of the generated types as peers send them:
// ReadJSON must decode them itself, not give up on them.
var readJSONSeeds = []string{
	`{"s":"x","b":true,"i32":-1,"i64":9007199254740993,"f64":0.5,"t":"2026-01-02T03:04:05.123+01:00","bin":"AAE=","a":{"deep":[1,{"x":null}]},"named":"a-b","list":["a","é","\u00e9\n"],"map":{"k":1,"":-2147483648},"opt":"o","optList":[],"optStr":null,"count":5,"ratio":-0.5,"user_id":"u","avatarUrl":"http://x","HTTPStatus":200,"old":"","address":{"street":"s","geo":{"lat":1e2,"lng":-0}},"mood":"happy","spaced":["  "],"unknown":[{"a":1}],"x-extra":null}`,
	`{"label":"r","children":[{"label":"c","children":[],"byName":{}}],"byName":{"x":{"label":"y","children":null}},"parent":{"label":"p","parent":null}}`,
	` { "label" : "spaces" , "children" : [ ] } `,
	`{"s":"dup","s":"last","list":["a","b"],"list":["c"],"map":{"a":1},"map":{"b":2},"address":{"street":"1"},"address":{"geo":{"lat":3}}}`,
	`{"s":null,"b":null,"i32":null,"t":null,"list":null,"map":null,"opt":null,"address":null,"a":null}`,
}

// What ReadJSON decodes is what encoding/json decodes, and ReadJSON reads
// the payloads of readJSONSeeds itself.
func TestReadJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range readJSONSeeds {
		for _, v := range []parser.JSONReadable{&Everything{}, &Tree{}} {
			if !parser.ReadJSON([]byte(in), v) {
				t.Errorf("%T gave up on %s", v, in)
				continue
			}
			std := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := json.Unmarshal([]byte(in), std); err != nil {
				t.Fatalf("%T: encoding/json: %v", v, err)
			}
			if !reflect.DeepEqual(v, std) {
				t.Errorf("%T of %s:\nReadJSON      %+v\nencoding/json %+v", v, in, v, std)
			}
		}
	}
	// What it gives up on: encoding/json decides (an error, or a member
	// matched under case folding).
	for _, in := range []string{`{"i32":2147483648}`, `{"i32":1.0}`, `{"i64":1e3}`, `{"s":1}`, `{"b":"true"}`, `{"t":"yesterday"}`,
		`{"list":{}}`, `{"map":[]}`, `{"address":[]}`, `{"S":"x"}`, `{"user_ID":"x"}`, `{"ſ":"x"}`, `[]`, `"x"`, `{"f64":1e400}`} {
		if parser.ReadJSON([]byte(in), &Everything{}) {
			t.Errorf("ReadJSON read %s", in)
		}
	}
}

// FuzzReadJSON: on any valid JSON, ReadJSON never panics, and what it
// reads (when it does not give up) is what encoding/json decodes, with no
// error from encoding/json. What encoding/json decodes is written in
// MessagePack as its JSON form transcoded (checkMsgpackForm).
func FuzzReadJSON(f *testing.F) {
	for _, in := range readJSONSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		for _, mk := range []func() parser.JSONReadable{func() parser.JSONReadable { return &Everything{} }, func() parser.JSONReadable { return &Tree{} }} {
			if v := mk(); json.Unmarshal(in, v) == nil {
				checkMsgpackForm(t, v)
			}
			v, std := mk(), mk()
			if !parser.ReadJSON(in, v) {
				continue
			}
			if err := json.Unmarshal(in, std); err != nil {
				t.Fatalf("ReadJSON read %s, encoding/json: %v", in, err)
			}
			if !reflect.DeepEqual(v, std) {
				t.Fatalf("%T of %s:\nReadJSON      %+v\nencoding/json %+v", v, in, v, std)
			}
		}
	})
}

// plainTree is Tree without methods: encoding/json decodes it.
type plainTree Tree

// Acks whose data reads itself decode to what encoding/json makes of them,
// errors included.
func TestDecodeAckReadJSON(t *testing.T) {
	for _, in := range []string{
		`{"ok":true,"data":{"label":"a","children":[],"byName":{}}}`,
		`{"data":{"label":"a","children":[{"label":"b","children":[],"byName":{}}],"byName":{}},"ok":true,"x":1}`,
		`{"ok":true}`,
		`{"ok":true,"data":null}`,
		`{"ok":true,"data":{"label":"a"}}`,
		`{"ok":true,"data":5}`,
		`{"ok":true,"data":{"label":7,"children":[],"byName":{}}}`,
		`{"ok":false,"error":{"code":"not_found","message":"gone"}}`,
		`{"ok":false,"error":null}`,
		`{"ok":false,"error":{"code":""}}`,
		`{"OK":true,"data":{"label":"a","children":[],"byName":{}}}`,
		`{"ok":"yes"}`,
		`null`,
		`[1]`,
	} {
		args := []parser.Value{parser.RawJSON([]byte(in))}
		got, gerr := socketio.DecodeAck[Tree](args, nil, shapeTree, false)
		want, werr := socketio.DecodeAck[plainTree](args, nil, shapeTree, false)
		if !reflect.DeepEqual(got, Tree(want)) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%s:\ngot  %+v, %v\nwant %+v, %v", in, got, gerr, want, werr)
		}
	}
}
