package parser

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// Shapes of a small schema: User { id, name?, tags: list<string>, meta: any,
// friends?: list<User>, scores?: map<list<int32>>, best?: map<User> }, and a
// Room { name, users: list<User> }.
var (
	testUser = new(Shape)
	testRoom = new(Shape)
)

func init() {
	testUser.Set(Object(
		Field{Name: "id"},
		Field{Name: "name", Optional: true},
		Field{Name: "tags", Shape: List(nil)},
		Field{Name: "meta", Shape: Any},
		Field{Name: "friends", Shape: List(testUser), Optional: true},
		Field{Name: "scores", Shape: Map(List(nil)), Optional: true},
		Field{Name: "best", Shape: Map(testUser), Optional: true},
		Field{Name: "anything", Shape: List(Any), Optional: true},
	))
	testRoom.Set(Object(Field{Name: "name"}, Field{Name: "users", Shape: List(testUser)}))
}

// mpOf encodes JSON text as MessagePack, members in order.
func mpOf(t testing.TB, text string) []byte {
	b, err := jsonToMsgpack(nil, []byte(text), nil)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return b
}

func TestCheck(t *testing.T) {
	const user = `"id":"u","tags":[],"meta":null`
	for _, c := range []struct {
		shape *Shape
		json  string
		want  string // the error, "" for none
	}{
		{testUser, `{` + user + `}`, ""},
		{testUser, `{"tags":[],"meta":1}`, "id is required"},
		{testUser, `{"id":null,"tags":[],"meta":1}`, "id is required"},
		{testUser, `{"id":"","tags":[]}`, ""}, // any: may be undefined, which JSON leaves out
		{testUser, `{"id":"","meta":{}}`, "tags is required"},
		{testUser, `{"id":"","tags":null,"meta":{}}`, "tags is required"},
		{testUser, `{"ID":"u","tags":[],"meta":1}`, ""},                                    // names match under case folding, as encoding/json\'s
		{testUser, `{"id":"u","tags":[],"meta":1,"friendſ":[null]}`, "friends[0] is null"}, // ſ folds to s
		{testUser, `{"ID":"u","id":null,"tags":[],"meta":1}`, "id is required"},
		{testUser, `{"id":1,"id":null,"tags":[],"meta":1}`, "id is required"}, // the last member decides, as in decoding
		{testUser, `{"id":null,"id":"u","tags":[],"meta":1}`, ""},
		{testUser, `{"id":"u","tags":["a"],"TAGS":null,"meta":1}`, "tags is required"},
		{testUser, `{"\u0069d":"u","tags":[],"meta":1}`, ""},
		{testUser, `{` + user + `,"name":null,"friends":null,"scores":null,"best":null,"extra":null}`, ""},
		{testUser, `{` + user + `,"tags":["a",null]}`, "tags[1] is null"},
		{testUser, `{` + user + `,"friends":[{` + user + `},{"id":"v","tags":[],"meta":[]}]}`, ""},
		{testUser, `{` + user + `,"friends":[{` + user + `},{"id":"v","meta":[]}]}`, "friends[1].tags is required"},
		{testUser, `{` + user + `,"friends":[{` + user + `,"friends":[null]}]}`, "friends[0].friends[0] is null"},
		{testUser, `{` + user + `,"scores":{"a":[1,2],"b":[]}}`, ""},
		{testUser, `{` + user + `,"scores":{"a":[1,2],"b\"c":null}}`, `scores["b\"c"] is null`},
		{testUser, `{` + user + `,"scores":{"a":[1,null]}}`, `scores["a"][1] is null`},
		{testUser, `{` + user + `,"best":{"x":{"id":"y"}}}`, `best["x"].tags is required`},
		{testUser, `{` + user + `,"anything":[null,1,{}]}`, ""},
		{testRoom, `{"name":"r","users":[]}`, ""},
		{testRoom, `{"name":"r","users":[{` + user + `},{"id":"x","meta":1}]}`, "users[1].tags is required"},
		{testRoom, `{"users":[{"id":"x","meta":1}]}`, "users[0].tags is required"}, // nested first, in member order
		{testRoom, `{}`, "name is required"},
		// Not what the shape describes: left to decoding.
		{testRoom, `"room"`, ""},
		{testRoom, `{"name":"r","users":{"a":1}}`, ""},
		{testRoom, `[1]`, ""},
		{List(nil), `[1,null]`, "[1] is null"},
		{Map(nil), `{"a":null}`, `["a"] is null`},
		{Any, `null`, ""},
		{nil, `{}`, ""},
	} {
		for _, v := range []Value{RawJSON([]byte(c.json)), RawMsgpack(mpOf(t, c.json))} {
			err := v.Check(c.shape)
			got := ""
			if err != nil {
				got = err.Error()
				if _, ok := err.(*ShapeError); !ok {
					t.Errorf("%s: error %T", c.json, err)
				}
			}
			if got != c.want {
				t.Errorf("%s (kind %d): %q, want %q", c.json, v.kind, got, c.want)
			}
		}
	}
}

func TestCheckMsgpackUndefined(t *testing.T) {
	// {"name": undefined, "users": []} as notepack writes it.
	b, _ := hex.DecodeString("82a46e616d65d40000a5757365727390")
	if err := RawMsgpack(b).Check(testRoom); err == nil || err.Error() != "name is required" {
		t.Errorf("undefined name: %v", err)
	}
	// [undefined] as a list<string>
	if err := RawMsgpack([]byte{0x91, 0xd4, 0, 0}).Check(List(nil)); err == nil || err.Error() != "[0] is null" {
		t.Errorf("undefined element: %v", err)
	}
	// A map with an integer key has no JSON form: left to decoding, which
	// fails.
	b, _ = hex.DecodeString("82a46e616d65a1720190")
	if err := RawMsgpack(b).Check(testRoom); err != nil {
		t.Errorf("integer key: %v", err)
	}
	if _, err := RawMsgpack(b).AsJSON(); err == nil {
		t.Errorf("integer key: a JSON form")
	}
}

// A Go value is checked as the JSON it encodes to; truncated or invalid
// encodings are not checked (they do not decode).
func TestCheckUnchecked(t *testing.T) {
	if err := ValueOf(struct{}{}).Check(testRoom); err == nil || err.Error() != "name is required" {
		t.Errorf("Go value: %v", err)
	}
	if err := ValueOf(map[string]any{"name": "r", "users": []any{}}).Check(testRoom); err != nil {
		t.Errorf("Go value: %v", err)
	}
	for _, s := range []string{`{"name":"r","users":[{"id"`, `{"name" 1}`, `{"users":[1,]`, `{`, `[`, ``} {
		if err := RawJSON([]byte(s)).Check(testRoom); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	full := mpOf(t, `{"name":"r","users":[{"id":"x"}]}`)
	for n := range full {
		_ = RawMsgpack(full[:n]).Check(testRoom) // must not panic
	}
}

// More than 64 fields: the ones after the 64th are tracked too.
func TestCheckManyFields(t *testing.T) {
	var fields []Field
	obj := map[string]int{}
	for i := 0; i < 70; i++ {
		name := "f" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		fields = append(fields, Field{Name: name})
		obj[name] = i
	}
	s := Object(fields...)
	delete(obj, fields[66].Name)
	text, _ := json.Marshal(obj)
	for _, v := range []Value{RawJSON(text), RawMsgpack(mpOf(t, string(text)))} {
		if err := v.Check(s); err == nil || err.Error() != fields[66].Name+" is required" {
			t.Errorf("kind %d: %v", v.kind, err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	const user = `{"id":"u1","name":"Ann","tags":["a","b"],"meta":{"x":1}}`
	text := []byte(`{"name":"lobby","users":[` + user + `,` + user + `]}`)
	for _, v := range []Value{RawJSON(text), RawMsgpack(mpOf(b, string(text)))} {
		name := "json"
		if v.kind == kindMsgpack {
			name = "msgpack"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Check(testRoom); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPathAt(t *testing.T) {
	text := `{"users":[{"id":"a"}, {"id" : 7}],"scores":{"b\"ob":[1,2]},"bin":{"_placeholder":true,"num":0},"n":5}`
	v := RawJSON([]byte(text))
	at := func(s string) int64 { // the offset just after the first s in text
		i := strings.Index(text, s)
		if i < 0 {
			t.Fatalf("%s not in text", s)
		}
		return int64(i + len(s))
	}
	shape := Object(Field{Name: "users", Shape: List(testUser)}, Field{Name: "scores", Shape: Map(List(nil))})
	for _, c := range []struct {
		offset int64
		shape  *Shape
		want   string
	}{
		{at(`: 7`), shape, "users[1].id"},
		{at(`[1,2`), shape, `scores["b\"ob"][1]`},
		{at(`[1,2`), nil, `scores.b"ob[1]`},
		{at(`"scores":{`), shape, "scores"},
		{at(`"n":5`), shape, "n"},
		{1, shape, ""},
	} {
		if got, ok := v.PathAt(c.offset, c.shape); !ok || got != c.want {
			t.Errorf("offset %d: %q %v, want %q", c.offset, got, ok, c.want)
		}
	}
	if _, ok := v.PathAt(int64(len(text)+1), nil); ok {
		t.Error("offset past the end")
	}
	// With attachments, offsets are in the text Decode decoded: each
	// placeholder replaced by the base64 string of its attachment.
	bins := [][]byte{[]byte("0123456789")}
	wb := Value{kind: kindJSON, raw: []byte(text), bins: binsRef(bins), flags: flagPlaceholders}
	decoded := strings.Replace(text, `{"_placeholder":true,"num":0}`, `"MDEyMzQ1Njc4OQ=="`, 1)
	for _, c := range []struct{ after, want string }{{`"MDEy`, "bin"}, {`"n":5`, "n"}, {`: 7`, "users[1].id"}} {
		off := int64(strings.Index(decoded, c.after) + len(c.after))
		if got, ok := wb.PathAt(off, shape); !ok || got != c.want {
			t.Errorf("with attachments, after %s: %q %v, want %q", c.after, got, ok, c.want)
		}
	}
	if _, ok := RawMsgpack([]byte{0x90}).PathAt(1, nil); ok {
		t.Error("a MessagePack value has no offsets")
	}
}

// Check leaves a time's form to decoding; CheckTimes reports only that.
func TestCheckTimes(t *testing.T) {
	s := Object(Field{Name: "at", Shape: Time}, Field{Name: "more", Shape: Map(Time), Optional: true})
	for _, c := range []struct{ json, check, times string }{
		{`{"at":"2024-01-02T03:04:05.5+02:00"}`, "", ""},
		{`{"at":null}`, "at is required", ""},
		{`{"more":{"a":null,"b":1}}`, `more["a"] is null`, `more["b"] is the number 1, not a time`},
		{`{"at":5}`, "", "at is the number 5, not a time"},
		{`{"at":true}`, "", "at is a boolean, not a time"},
		{`{"at":"2024-13-02T03:04:05Z"}`, "", `at is "2024-13-02T03:04:05Z", not an RFC 3339 time`},
		{`{"at":"2024-01-02T03:04:05Z","more":{"k":"` + strings.Repeat("x", 50) + `"}}`, "", `more["k"] is "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…", not an RFC 3339 time`},
	} {
		for _, v := range []Value{RawJSON([]byte(c.json)), RawMsgpack(mpOf(t, c.json))} {
			var got [2]string
			for i, err := range []error{v.Check(s), v.CheckTimes(s)} {
				if err != nil {
					got[i] = err.Error()
				}
			}
			if got[0] != c.check || got[1] != c.times {
				t.Errorf("%s (kind %d): Check %q, CheckTimes %q; want %q, %q", c.json, v.kind, got[0], got[1], c.check, c.times)
			}
		}
	}
	if err := RawJSON([]byte(`"x"`)).CheckTimes(Time); err == nil {
		t.Error("a top-level time not checked")
	}
}

// A binary value must be an attachment: encoding/json would decode a
// base64 string or an array of numbers into []byte as well.
func TestCheckBinary(t *testing.T) {
	s := Object(Field{Name: "img", Shape: Binary}, Field{Name: "more", Shape: List(Binary), Optional: true})
	for _, c := range []struct{ json, want string }{
		{`{"img":{"_placeholder":true,"num":0}}`, ""},
		{`{"img":{"_placeholder":true,"num":0},"more":[{"_placeholder":true,"num":1}]}`, ""},
		{`{"img":"AAEC"}`, "img is a string, not binary"},
		{`{"img":[1,2,3]}`, "img is an array, not binary"},
		{`{"img":{"_placeholder":true,"num":0},"more":[7]}`, "more[0] is the number 7, not binary"},
		{`{"img":null}`, "img is required"},
	} {
		v := RawJSON([]byte(c.json))
		for _, err := range []error{v.Check(s), v.CheckTimes(s)} {
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want && !(c.want == "img is required" && got == "") { // CheckTimes: forms only
				t.Errorf("%s: %q, want %q", c.json, got, c.want)
			}
		}
	}
	// MessagePack: bin is an attachment in the JSON form, a string is not.
	bin := RawMsgpack([]byte{0x81, 0xa3, 'i', 'm', 'g', 0xc4, 0x01, 0x07})
	str := RawMsgpack([]byte{0x81, 0xa3, 'i', 'm', 'g', 0xa1, 'x'})
	if err := bin.Check(s); err != nil {
		t.Errorf("bin: %v", err)
	}
	if err := str.Check(s); err == nil || err.Error() != "img is a string, not binary" {
		t.Errorf("string: %v", err)
	}
}
