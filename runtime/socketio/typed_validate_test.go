package socketio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// The checks the generated Validate methods call, each at and around its
// bounds, with the text a client gets in an invalid_argument ack.
func TestValidationChecks(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+$`)
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"length ok", CheckLength("abc", 1, 3), ""},
		{"length short", CheckLength("", 1, 3), "value has 0 characters, fewer than minLength 1"},
		{"length long", CheckLength("abcd", 1, 3), "value has 4 characters, more than maxLength 3"},
		// Code points, not bytes: "é" is 2 bytes, "😀" 4 (2 UTF-16 units).
		{"length code points", CheckLength("éé😀", -1, 3), ""},
		{"length code points long", CheckLength("éé😀😀", -1, 3), "value has 4 characters, more than maxLength 3"},
		{"length no bounds", CheckLength(strings.Repeat("x", 1000), -1, -1), ""},
		{"bytes ok", CheckBytes([]byte{1, 2}, -1, 2), ""},
		{"bytes long", CheckBytes([]byte{1, 2, 3}, -1, 2), "value has 3 bytes, more than maxLength 2"},
		{"bytes short", CheckBytes([]byte(nil), 1, -1), "value has 0 bytes, fewer than minLength 1"},
		{"one byte", CheckBytes([]byte{1}, 2, -1), "value has 1 byte, fewer than minLength 2"},
		{"one character", CheckLength("😀", 2, -1), "value has 1 character, fewer than minLength 2"},
		{"pattern ok", CheckPattern("abc", re), ""},
		{"pattern", CheckPattern("aBc", re), "value does not match the pattern ^[a-z]+$"},
		{"min int at bound", CheckMin(int32(1), 1), ""},
		{"min int", CheckMin(int32(0), 1), "value is 0, less than minimum 1"},
		{"max int at bound", CheckMax(int64(65535), 65535), ""},
		{"max int", CheckMax(int64(65536), 65535), "value is 65536, more than maximum 65535"},
		{"min float", CheckMin(-0.51, -0.5), "value is -0.51, less than minimum -0.5"},
		{"max float", CheckMax(0.5000001, 0.5), "value is 0.5000001, more than maximum 0.5"},
		{"max float at bound", CheckMax(0.5, 0.5), ""},
		{"items at bound", CheckItems(16, 16), ""},
		{"items", CheckItems(17, 16), "value has 17 items, more than maxItems 16"},
		{"one item", CheckItems(1, 0), "value has 1 item, more than maxItems 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				if tc.err != nil {
					t.Fatalf("got %v, want nil", tc.err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(tc.err, &ve) || tc.err.Error() != tc.want {
				t.Fatalf("got %#v (%v), want a *ValidationError %q", tc.err, tc.err, tc.want)
			}
		})
	}
}

type notASlug struct{}

func (notASlug) Error() string { return "not a slug" }

// At builds the path of a failing value from the outside in, and keeps the
// path of an error that a bound type's own Validate returned.
func TestValidationPaths(t *testing.T) {
	leaf := Invalidf("has 81 characters, more than maxLength 80")
	foreign := notASlug{}
	tests := []struct {
		name  string
		err   error
		path  string
		text  string
		wraps bool
	}{
		{"field", At("name", leaf), "name", "name has 81 characters, more than maxLength 80", false},
		{"nested field", At("author", At("name", leaf)), "author.name", "author.name has 81 characters, more than maxLength 80", false},
		{"index", At("history", AtIndex(2, At("room", leaf))), "history[2].room", "history[2].room has 81 characters, more than maxLength 80", false},
		{"key", At("labels", AtKey("a b", leaf)), `labels["a b"]`, `labels["a b"] has 81 characters, more than maxLength 80`, false},
		{"index of index", AtIndex(0, AtIndex(3, leaf)), "[0][3]", "[0][3] has 81 characters, more than maxLength 80", false},
		{"argument", At("argument 2", At("x", leaf)), "argument 2.x", "argument 2.x has 81 characters, more than maxLength 80", false},
		{"bound type", At("named", foreign), "named", "named is invalid: not a slug", true},
		{"bound type in a list", At("tags", AtIndex(2, foreign)), "tags[2]", "tags[2] is invalid: not a slug", true},
		{"bound type in a map", AtKey("k", foreign), `["k"]`, `["k"] is invalid: not a slug`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ve *ValidationError
			if !errors.As(tc.err, &ve) {
				t.Fatalf("%#v is not a *ValidationError", tc.err)
			}
			if ve.Path != tc.path || tc.err.Error() != tc.text {
				t.Fatalf("path %q, text %q; want %q, %q", ve.Path, tc.err.Error(), tc.path, tc.text)
			}
			if got := errors.Is(tc.err, foreign); got != tc.wraps {
				t.Fatalf("errors.Is(err, the bound type's error) = %v", got)
			}
			// What the peer gets: invalid_argument with the same text.
			ae := InvalidArgument(tc.err).(*AckError)
			if ae.Code != CodeInvalidArgument || ae.Message != tc.text || !errors.As(ae, &ve) {
				t.Fatalf("InvalidArgument: %#v", ae)
			}
		})
	}
	if At("x", nil) != nil || AtIndex(1, nil) != nil || AtKey("k", nil) != nil {
		t.Fatal("At of nil is not nil")
	}
	// At the top (no element) an error is left as it is.
	if err := At("", foreign); err != error(foreign) {
		t.Fatalf("At(\"\", err) = %#v", err)
	}
	if InvalidArgument(nil) != nil {
		t.Fatal("InvalidArgument(nil) != nil")
	}
}

type withValidate struct{ ok bool }

func (v withValidate) Validate() error {
	if v.ok {
		return nil
	}
	return Invalidf("is not ok")
}

func TestValidateValue(t *testing.T) {
	if err := ValidateValue(withValidate{true}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateValue(withValidate{}); err == nil || err.Error() != "value is not ok" {
		t.Fatalf("got %v", err)
	}
	if err := ValidateValue("no Validate method"); err != nil {
		t.Fatal(err)
	}
}

// A value that does not decode into its Go type is reported in the
// schema's words, with its path, not in encoding/json's Go terms.
func TestDecodeFailures(t *testing.T) {
	type geo struct {
		Lat float64 `json:"lat"`
	}
	type payload struct {
		Choice int32    `json:"choice"`
		Name   string   `json:"name"`
		Tags   []string `json:"tags"`
		Geo    geo      `json:"geo"`
		Bin    []byte   `json:"bin"`
		Count  int64    `json:"count"`
		OK     bool     `json:"ok"`
	}
	tests := []struct {
		name, json, want string
	}{
		{"out of range", `{"choice":1000000000000}`, "argument 1.choice is the number 1000000000000, not an int32"},
		{"number for string", `{"name":12}`, "argument 1.name is a number, not a string"},
		{"string for number", `{"count":"7"}`, `argument 1.count is a string, not an int64`},
		{"object for list", `{"tags":{}}`, "argument 1.tags is an object, not a list"},
		{"nested", `{"geo":{"lat":"north"}}`, "argument 1.geo.lat is a string, not a number"},
		{"bool", `{"ok":"yes"}`, "argument 1.ok is a string, not a boolean"},
		{"not an object", `"x"`, "argument 1 is a string, not an object"},
		{"array for object", `[1]`, "argument 1 is an array, not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEvent("vote", []parser.Value{parser.RawJSON([]byte(tc.json))}, nil)
			var p payload
			err := DecodeArg(e, 0, "argument 1", &p, false, nil)
			var ve *ValidationError
			if !errors.As(err, &ve) || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// The auth, and an ack envelope whose data has the wrong shape.
	var auth struct {
		Token string `json:"token"`
	}
	if err := DecodeValue(parser.RawJSON([]byte(`{"token":5}`)), "auth", &auth, nil); err == nil || err.Error() != "auth.token is a number, not a string" {
		t.Fatalf("DecodeValue: %v", err)
	}
	_, err := DecodeAck[struct {
		Room string `json:"room"`
	}]([]parser.Value{parser.RawJSON([]byte(`{"ok":true,"data":{"room":1}}`))}, nil, nil, false)
	if ErrorCode(err) != CodeInternal || err.Error() != "internal: malformed ack: data.room is a number, not a string" {
		t.Fatalf("DecodeAck: %v", err)
	}
}

// MessagePack values fail with the same words and paths as JSON ones.
func TestDecodeFailuresMsgpack(t *testing.T) {
	frames, err := parser.MessagePack.Encode(parser.NewEvent("/", "vote", map[string]any{"choice": "x", "name": "n"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := parser.MessagePack.NewDecoder(parser.DecoderOptions{}).Add(frames[0].Data, true)
	if err != nil || p == nil {
		t.Fatalf("decode: %v", err)
	}
	var v struct {
		Choice int32  `json:"choice"`
		Name   string `json:"name"`
	}
	err = DecodeArg(NewEvent("vote", p.Args(), nil), 0, "argument 1", &v, false, nil)
	if err == nil || err.Error() != "argument 1.choice is a string, not an int32" {
		t.Fatalf("got %v", err)
	}
}

// A required field that is missing (or null) is reported, not decoded as
// its zero value: in arguments (JSON and MessagePack), in the auth, and in
// an ack's data.
func TestDecodeMissing(t *testing.T) {
	type user struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	}
	type payload struct {
		Room  string   `json:"room"`
		Users []user   `json:"users"`
		Tags  []string `json:"tags,omitempty"`
	}
	userShape := parser.Object(parser.Field{Name: "id"}, parser.Field{Name: "name", Optional: true})
	shape := parser.Object(
		parser.Field{Name: "room"},
		parser.Field{Name: "users", Shape: parser.List(userShape)},
		parser.Field{Name: "tags", Shape: parser.List(nil), Optional: true},
	)
	tests := []struct {
		name string
		arg  any
		want string
	}{
		{"complete", map[string]any{"room": "", "users": []any{map[string]any{"id": ""}}}, ""},
		{"missing", map[string]any{"users": []any{}}, "argument 1.room is required"},
		{"null", map[string]any{"room": nil, "users": []any{}}, "argument 1.room is required"},
		{"nested", map[string]any{"room": "r", "users": []any{map[string]any{"id": "a"}, map[string]any{"name": "b"}}}, "argument 1.users[1].id is required"},
		{"null element", map[string]any{"room": "r", "users": []any{}, "tags": []any{"a", nil}}, "argument 1.tags[1] is null"},
		{"optional null", map[string]any{"room": "r", "users": []any{}, "tags": nil}, ""},
		{"argument null", nil, "argument 1 is required"},
	}
	for _, c := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, tc := range tests {
			t.Run(c.Name()+"/"+tc.name, func(t *testing.T) {
				frames, err := c.Encode(parser.NewEvent("/", "join", tc.arg))
				if err != nil {
					t.Fatal(err)
				}
				data := frames[0].Data
				if !frames[0].Binary {
					data = data[1:] // the Engine.IO message type
				}
				p, err := c.NewDecoder(parser.DecoderOptions{}).Add(data, frames[0].Binary)
				if err != nil || p == nil {
					t.Fatalf("decode: %v", err)
				}
				var v payload
				err = DecodeArg(NewEvent("join", p.Args(), nil), 0, "argument 1", &v, false, shape)
				got := ""
				if err != nil {
					got = err.Error()
					var ve *ValidationError
					if !errors.As(err, &ve) {
						t.Errorf("error %T", err)
					}
				}
				if got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}
	}
	// JavaScript's undefined, as the MessagePack parser sends it, is null.
	undef := NewEvent("join", []parser.Value{parser.RawMsgpack([]byte{0xd4, 0, 0})}, nil)
	var v payload
	if err := DecodeArg(undef, 0, "argument 1", &v, false, shape); err == nil || err.Error() != "argument 1 is required" {
		t.Errorf("undefined argument: %v", err)
	}
	if err := DecodeArg(undef, 0, "argument 1", &v, true, shape); err != nil {
		t.Errorf("undefined optional argument: %v", err)
	}

	// A client that sends no auth sends no token.
	auth := parser.Object(parser.Field{Name: "token"})
	var a struct {
		Token string `json:"token"`
	}
	if err := DecodeValue(parser.Value{}, "auth", &a, auth); err == nil || err.Error() != "auth.token is required" {
		t.Errorf("no auth: %v", err)
	}
	if err := DecodeValue(parser.RawJSON([]byte(`{}`)), "auth", &a, auth); err == nil || err.Error() != "auth.token is required" {
		t.Errorf("empty auth: %v", err)
	}
	if err := DecodeValue(parser.Value{}, "auth", &a, parser.Object(parser.Field{Name: "token", Optional: true})); err != nil {
		t.Errorf("no auth, nothing required: %v", err)
	}

	// Acks: the data must be there (unless the ack is optional) and whole.
	for _, tc := range []struct {
		env      string
		optional bool
		want     string
	}{
		{`{"ok":true,"data":{"room":"r","users":[]}}`, false, ""},
		{`{"ok":true}`, false, "internal: invalid ack data: value is required"},
		{`{"ok":true,"data":null}`, false, "internal: invalid ack data: value is required"},
		{`{"ok":true}`, true, ""},
		{`{"ok":true,"data":{"room":"r"}}`, true, "internal: invalid ack data: users is required"},
		{`{"ok":true,"data":{"room":"r","users":[{}]}}`, false, "internal: invalid ack data: users[0].id is required"},
		{`{"ok":false,"error":{"code":"x","message":"y"}}`, false, "x: y"},
	} {
		_, err := DecodeAck[*payload]([]parser.Value{parser.RawJSON([]byte(tc.env))}, nil, shape, tc.optional)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s (optional %v): %q, want %q", tc.env, tc.optional, got, tc.want)
		}
	}
}

// A value of the wrong type deep inside lists and maps is reported at its
// full path, list indices and map keys included, with both codecs, and
// after binary attachments (whose placeholders encoding/json never sees).
func TestDecodeFailurePaths(t *testing.T) {
	type item struct {
		N   int32  `json:"n"`
		Bin []byte `json:"bin,omitempty"`
	}
	type payload struct {
		Items  []item          `json:"items"`
		ByName map[string]item `json:"byName"`
		Grid   [][]int32       `json:"grid"`
	}
	itemShape := parser.Object(parser.Field{Name: "n"}, parser.Field{Name: "bin", Shape: parser.Binary, Optional: true})
	shape := parser.Object(
		parser.Field{Name: "items", Shape: parser.List(itemShape)},
		parser.Field{Name: "byName", Shape: parser.Map(itemShape)},
		parser.Field{Name: "grid", Shape: parser.List(parser.List(nil))},
	)
	ok := map[string]any{"n": 1}
	tests := []struct {
		name string
		arg  map[string]any
		want string
	}{
		{"list", map[string]any{"items": []any{ok, map[string]any{"n": "x"}}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items[1].n is a string, not an int32"},
		{"map", map[string]any{"items": []any{}, "byName": map[string]any{"b\"ob": map[string]any{"n": 1.5}}, "grid": []any{}}, `argument 1.byName["b\"ob"].n is the number 1.5, not an int32`},
		{"nested lists", map[string]any{"items": []any{}, "byName": map[string]any{}, "grid": []any{[]any{1}, []any{2, true}}}, "argument 1.grid[1][1] is a boolean, not an int32"},
		{"object for list", map[string]any{"items": map[string]any{}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items is an object, not a list"},
		{"after binary", map[string]any{"items": []any{map[string]any{"n": 1, "bin": []byte("0123456789")}, map[string]any{"n": 2, "bin": []byte{1}}, map[string]any{"n": false}}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items[2].n is a boolean, not an int32"},
		// encoding/json reads base64 into []byte; binary is an attachment.
		{"base64 for binary", map[string]any{"items": []any{map[string]any{"n": 1, "bin": "AAEC"}}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items[0].bin is a string, not binary"},
		{"bad base64 for binary", map[string]any{"items": []any{map[string]any{"n": 1, "bin": "abc"}}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items[0].bin is a string, not binary"},
		{"numbers for binary", map[string]any{"items": []any{ok, map[string]any{"n": 1, "bin": []any{1, 2}}}, "byName": map[string]any{}, "grid": []any{}}, "argument 1.items[1].bin is an array, not binary"},
	}
	for _, c := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, tc := range tests {
			t.Run(c.Name()+"/"+tc.name, func(t *testing.T) {
				frames, err := c.Encode(parser.NewEvent("/", "e", tc.arg))
				if err != nil {
					t.Fatal(err)
				}
				d := c.NewDecoder(parser.DecoderOptions{})
				var p *parser.Packet
				for _, f := range frames {
					data := f.Data
					if !f.Binary {
						data = data[1:] // the Engine.IO message type
					}
					if p, err = d.Add(data, f.Binary); err != nil {
						t.Fatal(err)
					}
				}
				var v payload
				err = DecodeArg(NewEvent("e", p.Args(), nil), 0, "argument 1", &v, false, shape)
				if err == nil || err.Error() != tc.want {
					t.Errorf("got %v, want %q", err, tc.want)
				}
			})
		}
	}
	// A time that is not an RFC 3339 string, at its path.
	var tv struct {
		Times []time.Time `json:"times"`
	}
	tshape := parser.Object(parser.Field{Name: "times", Shape: parser.List(parser.Time)})
	for _, tc := range []struct{ json, want string }{
		{`{"times":["2024-01-02T03:04:05Z",1700000000000]}`, "times[1] is the number 1700000000000, not a time"},
		{`{"times":["yesterday"]}`, `times[0] is "yesterday", not an RFC 3339 time`},
		{`{"times":[{}]}`, "times[0] is an object, not a time"},
	} {
		err := DecodeArg(NewEvent("e", []parser.Value{parser.RawJSON([]byte(tc.json))}, nil), 0, "", &tv, false, tshape)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.json, err, tc.want)
		}
	}
	// In an ack's data too; and a time problem is reported only when the
	// decoding failed on a time (not a missing field met before it).
	_, err := DecodeAck[struct {
		Times []time.Time `json:"times"`
	}]([]parser.Value{parser.RawJSON([]byte(`{"ok":true,"data":{"times":["yesterday"]}}`))}, nil, tshape, false)
	if err == nil || err.Error() != `internal: malformed ack: data.times[0] is "yesterday", not an RFC 3339 time` {
		t.Errorf("ack time: %v", err)
	}
	var iv struct {
		Times []time.Time `json:"times"`
		N     int32       `json:"n"`
	}
	ishape := parser.Object(parser.Field{Name: "n"}, parser.Field{Name: "times", Shape: parser.List(parser.Time)})
	err = DecodeArg(NewEvent("e", []parser.Value{parser.RawJSON([]byte(`{"times":[null,"yesterday"]}`))}, nil), 0, "", &iv, false, ishape)
	if err == nil || err.Error() != `times[1] is "yesterday", not an RFC 3339 time` {
		t.Errorf("time after a null: %v", err)
	}

	// notepack's Date, from a JavaScript client on MessagePack, is a time.
	date := []byte("\x81\xa5times\x91\xd7\x00\x00\x00\x01\x87\xa0\xc3\x4c\x00")
	if err := DecodeArg(NewEvent("e", []parser.Value{parser.RawMsgpack(date)}, nil), 0, "", &tv, false, tshape); err != nil || !tv.Times[0].Equal(time.UnixMilli(0x187a0c34c00)) {
		t.Errorf("Date: %v %v", tv.Times, err)
	}

	// A MessagePack map that would read as an attachment placeholder in the
	// JSON form is refused (it took, or indexed past, the attachments).
	forged := []byte("\x82\xa3bin\xc4\x01\x01\xa1x\x82\xac_placeholder\xc3\xa3num\x07")
	var fv struct {
		Bin []byte `json:"bin"`
		X   any    `json:"x"`
	}
	err = DecodeArg(NewEvent("e", []parser.Value{parser.RawMsgpack(forged)}, nil), 0, "argument 1", &fv, false, nil)
	if err == nil || err.Error() != "argument 1 cannot be decoded: a map with a _placeholder member" {
		t.Errorf("forged placeholder: %v", err)
	}

	// An ack's data: the path is under the envelope's data.
	_, err = DecodeAck[payload]([]parser.Value{parser.RawJSON([]byte(`{"ok":true,"data":{"items":[{"n":1},{"n":[]}]}}`))}, nil, shape, false)
	if err == nil || err.Error() != "internal: malformed ack: data.items[1].n is an array, not an int32" {
		t.Errorf("ack: %v", err)
	}
}

// A handler that returns its context's cancellation, or whose client left
// before the ack went out, is not an error worth logging as one: both are
// debug lines. Other handler errors stay errors.
func TestReplyLogLevels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error // the handler's
		ackErr  error // sending the ack
		acked   bool
		wantLvl string
	}{
		{"canceled, acked event", context.Canceled, nil, true, "DEBUG"},
		{"canceled, event without ack", fmt.Errorf("save: %w", context.Canceled), nil, false, "DEBUG"},
		{"client gone", nil, engineio.ErrClosed, true, "DEBUG"},
		{"client socket gone", nil, ErrNotConnected, true, "DEBUG"},
		{"handler bug", errors.New("boom"), nil, true, "ERROR"},
		{"handler bug, event without ack", errors.New("boom"), nil, false, "ERROR"},
		{"ack failed otherwise", nil, errors.New("encode"), true, "WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			cfg := NewTypedConfig(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), nil, nil)
			var ack func([]any) error
			if tc.acked {
				ack = func([]any) error { return tc.ackErr }
			}
			e := NewEvent("save", nil, ack)
			if tc.acked {
				ReplyOK(cfg, e, 1, tc.err, nil)
			} else {
				cfg.Done(e, tc.err)
			}
			if !strings.Contains(buf.String(), "level="+tc.wantLvl) {
				t.Errorf("log %q, want level %s", buf.String(), tc.wantLvl)
			}
			for _, lvl := range []string{"DEBUG", "WARN", "ERROR"} {
				if lvl != tc.wantLvl && strings.Contains(buf.String(), "level="+lvl) {
					t.Errorf("log %q has level %s", buf.String(), lvl)
				}
			}
		})
	}
}

// A Wired value is written by its writer with both codecs (the MessagePack
// one transcodes the JSON it writes), also inside an ack envelope.
func TestWiredCodecs(t *testing.T) {
	w := Wired[[][]int32]{V: [][]int32{nil, {1}}, Write: func(w parser.JSONWriter, x [][]int32) {
		w.ArrayStart()
		for _, l := range x {
			w.Elem()
			w.ArrayStart()
			for _, n := range l {
				w.Elem()
				w.Int(int64(n))
			}
			w.ArrayEnd()
		}
		w.ArrayEnd()
	}}
	for _, c := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, tc := range []struct {
			v    any
			want string
		}{{w, `[[],[1]]`}, {OKEnvelope(w), `{"ok":true,"data":[[],[1]]}`}} {
			frames, err := c.Encode(parser.NewEvent("/", "e", tc.v))
			if err != nil {
				t.Fatal(err)
			}
			dec := c.NewDecoder(parser.DecoderOptions{})
			data := frames[0].Data
			if !frames[0].Binary {
				data = data[1:] // the Engine.IO message type
			}
			p, err := dec.Add(data, frames[0].Binary)
			if err != nil {
				t.Fatal(err)
			}
			j, err := p.Args()[0].AsJSON()
			if err != nil || string(j.Raw()) != tc.want {
				t.Errorf("%s: %s (%v), want %s", c.Name(), j.Raw(), err, tc.want)
			}
		}
	}
}
