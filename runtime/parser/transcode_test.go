package parser

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// JSON text goes to MessagePack and back unchanged (members in order,
// integers exact, floats exact, strings unescaped and escaped again).
func TestTranscodeRoundTrip(t *testing.T) {
	for _, text := range []string{
		`null`, `true`, `false`, `0`, `-1`, `127`, `128`, `-32`, `-33`, `255`, `256`, `65536`, `-129`, `-32769`,
		`9223372036854775807`, `-9223372036854775808`, `18446744073709551615`, `9007199254740993`,
		`0.5`, `-0.1`, `1e+21`, `1.7976931348623157e+308`, `5e-324`,
		`""`, `"a"`, `"é ☃ 😀"`, `"q\"b\\s\n\t\u0001"`, `"` + strings.Repeat("x", 40) + `"`, `"` + strings.Repeat("y", 300) + `"`,
		`[]`, `{}`, `[1,[2,[3]]]`, `{"z":1,"a":2,"m":{"y":[],"b":{}}}`,
		`[` + strings.Repeat(`0,`, 20) + `1]`, `[` + strings.Repeat(`0,`, 70000) + `1]`,
	} {
		mp, err := jsonToMsgpack(nil, []byte(text), nil)
		if err != nil {
			t.Errorf("%.40s: %v", text, err)
			continue
		}
		back, err := RawMsgpack(mp).AsJSON()
		if err != nil {
			t.Errorf("%.40s: back: %v", text, err)
			continue
		}
		if want := compactJSON([]byte(text)); !bytes.Equal(back.raw, want) {
			t.Errorf("%.40s: back %.60s", text, back.raw)
		}
	}
}

// Integers take their smallest MessagePack form; integral floats are
// integers, as JavaScript numbers are written; containers of 16 or more
// members take the 16-bit headers.
func TestTranscodeForms(t *testing.T) {
	for _, c := range []struct{ json, hex string }{
		{`1`, "01"}, {`-1`, "ff"}, {`200`, "ccc8"}, {`-200`, "d1ff38"}, {`70000`, "ce00011170"},
		{`2.0`, "02"}, {`0.5`, "cb3fe0000000000000"}, {`1e+21`, "cb444b1ae4d6e2ef50"},
		{`"ab"`, "a26162"}, {`[true,null]`, "92c3c0"}, {`{"a":false}`, "81a161c2"},
		{`[` + strings.Repeat(`1,`, 15) + `1]`, "dc0010" + strings.Repeat("01", 16)},
	} {
		mp, err := jsonToMsgpack(nil, []byte(c.json), nil)
		if err != nil || hex.EncodeToString(mp) != c.hex {
			t.Errorf("%s: %x %v, want %s", c.json, mp, err, c.hex)
		}
	}
}

// Attachments become bin and come back as attachments, wherever their
// placeholder is and however it is written.
func TestTranscodeBinary(t *testing.T) {
	bins := [][]byte{{1, 2}, {}, {3}}
	text := `[{"_placeholder":true,"num":1},{"x":{"num":0, "_placeholder":true}},{"_placeholder":true,"num":2}]`
	mp, err := jsonToMsgpack(nil, []byte(text), bins)
	if err != nil || hex.EncodeToString(mp) != "93c40081a178c4020102c40103" {
		t.Fatalf("%x %v", mp, err)
	}
	back, err := RawMsgpack(mp).AsJSON()
	if err != nil || string(back.raw) != `[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":2}]` ||
		len(back.attachments()) != 3 || !bytes.Equal(back.attachments()[1], []byte{1, 2}) || len(back.attachments()[0]) != 0 || !back.HasBinary() {
		t.Fatalf("%s %v %v", back.raw, back.attachments(), err)
	}
	if _, err := jsonToMsgpack(nil, []byte(`{"_placeholder":true,"num":3}`), bins); err == nil {
		t.Error("a placeholder without its attachment transcoded")
	}
}

// MessagePack's own values: notepack's undefined, Date and ArrayBuffer,
// and MessagePack timestamps; what has no JSON form is an error.
func TestTranscodeMsgpack(t *testing.T) {
	for _, c := range []struct{ hex, json, err string }{
		{"d40000", `null`, ""},
		{"d70000000187a0c34c00", `"2023-04-20T22:22:46.272Z"`, ""},
		{"c70200abcd", `{"_placeholder":true,"num":0}`, ""},
		{"d6ff65936785", `"2024-01-02T01:31:49Z"`, ""},
		{"d7ff0000000465936785", `"2024-01-02T01:31:49.000000001Z"`, ""},
		{"c70cff000000050000000065936785", `"2024-01-02T01:31:49.000000005Z"`, ""},
		{"ca3fc00000", `1.5`, ""},
		{"cb412e848000000000", `1000000`, ""},
		{"cb3eb0c6f7a0b5ed8d", `0.000001`, ""},
		{"cb444b1ae4d6e2ef50", `1e+21`, ""},
		{"81a3e282ac01", `{"€":1}`, ""},
		{"a2ff61", `"\ufffda"`, ""},
		{"cb7ff8000000000000", "", "NaN"},
		{"ca7f800000", "", "infinity"},
		{"8101c0", "", "not a string"},
		{"d40500", "", "extension type 5"},
		{"92", "", "invalid"},
		{"c1", "", "invalid"},
		{"9201", "", "invalid"},
		// {"_placeholder":true,"num":0}: in JSON, an attachment it is not.
		{"82ac5f706c616365686f6c646572c3a36e756d00", "", "_placeholder"},
		{"81ac5f706c616365686f6c64657200", `{"_placeholder":0}`, ""}, // not true: no placeholder
	} {
		b, _ := hex.DecodeString(c.hex)
		got, err := RawMsgpack(b).AsJSON()
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %s %v, want an error with %q", c.hex, got.raw, err, c.err)
		case c.err == "" && (err != nil || string(got.raw) != c.json):
			t.Errorf("%s: %s %v, want %s", c.hex, got.raw, err, c.json)
		}
	}
	many := []byte{0xdc, 0x03, 0xe9} // 1001 empty bins
	for range 1001 {
		many = append(many, 0xc4, 0)
	}
	if _, err := RawMsgpack(many).AsJSON(); err == nil || !strings.Contains(err.Error(), "more than 1000 binary values") {
		t.Errorf("1001 bins: %v", err)
	}
	if j, err := RawMsgpack(many[3:5]).AsJSON(); err != nil || len(j.attachments()) != 1 {
		t.Errorf("one bin: %v", err)
	}
	if j, err := ValueOf(map[string]any{"a": []byte{1}}).AsJSON(); err != nil || string(j.raw) != `{"a":{"_placeholder":true,"num":0}}` {
		t.Errorf("Go value: %s %v", j.raw, err)
	}
	if j, err := (Value{}).AsJSON(); err != nil || string(j.raw) != "null" {
		t.Errorf("zero Value: %s %v", j.raw, err)
	}
}

// A generated-style value (a JSONAppender) is written by both codecs in the
// form its AppendJSON writes (here a time as its string, members in
// AppendJSON's order, a required list []), alone or in a slice or map.
func TestCodecsWriteJSONForm(t *testing.T) {
	const one = `{"t":"2024-01-02T03:04:05Z","b":[]}`
	want := `[` + one + `,[` + one + `],{"k":null,"l":` + one + `}]`
	for _, c := range []Codec{JSON, MessagePack} {
		p := roundTrip(t, c, NewEvent("/", "e", appenderValue{}, []appenderValue{{}}, map[string]*appenderValue{"k": nil, "l": {}}))
		var got []string
		for _, v := range p.Args() {
			j, err := v.AsJSON()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(j.raw))
		}
		if s := "[" + strings.Join(got, ",") + "]"; s != want {
			t.Errorf("%s: got %s, want %s", c.Name(), s, want)
		}
	}
	// A decoded JSON value crosses to MessagePack in order, its integers exact.
	v := roundTrip(t, JSON, NewEvent("/", "e", RawJSON([]byte(`{"z":9007199254740993,"a":0.1}`)))).Args()[0]
	frames, err := MessagePack.Encode(NewEvent("/", "e", v))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(frames[0].Data, []byte{0x82, 0xa1, 'z', 0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1, 0xa1, 'a', 0xcb}) {
		t.Errorf("JSON value in MessagePack: %x", frames[0].Data)
	}
}

type appenderValue struct{}

func (appenderValue) AppendJSON(w JSONWriter) {
	w.ObjectStart()
	w.Key(`"t"`)
	w.String("2024-01-02T03:04:05Z")
	w.Key(`"b"`)
	w.ArrayStart()
	w.ArrayEnd()
	w.ObjectEnd()
}
