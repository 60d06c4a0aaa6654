package types

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/internal/ext"
	"github.com/siogen/siogen/runtime/parser"
)

func stringify(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the codec writes as JSON.stringify
	_ = enc.Encode(v)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func encodeArg(t *testing.T, v any) []byte {
	t.Helper()
	frames, err := parser.JSON.Encode(parser.NewEvent("/", "e", v))
	if err != nil {
		t.Fatal(err)
	}
	return frames[0].Data
}

func everything() *Everything {
	s, u := "opt <&>", "https://x/a.png"
	return &Everything{S: "s \"q\" \u00e9", B: true, I32: -7, I64: 1 << 50, F64: 0.1, T: time.Date(2026, 11, 22, 1, 2, 3, 5, time.UTC),
		A: json.RawMessage(`{"k": [1, 2]}`), Named: ext.Slug("a-slug"), List: []string{"a", "b"},
		Map: map[string]int32{"z": 1, "a": 2}, Opt: &s, OptList: []string{"x"}, Count: 3, Ratio: 1e21,
		UserID: "u1", AvatarURL: &u, HTTPStatus: 200, Old: "o",
		Address: EverythingAddress{Street: "Main", Geo: EverythingAddressGeo{Lat: 1.5, Lng: -2.25}},
		Mood:    EverythingMood("happy"), Spaced: []string{}}
}

// The generated AppendJSON writes exactly what encoding/json writes for the
// same values (reflection-free), for every kind of field; a nil binary
// value (null for encoding/json) is an empty attachment.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	leaf := Tree{Label: "leaf", Children: []Tree{}, ByName: map[string]Tree{}}
	tree := &Tree{Label: "root", Children: []Tree{leaf, leaf}, ByName: map[string]Tree{"b": leaf, "a": leaf},
		Parent: &Tree{Label: "up", Children: []Tree{}, ByName: map[string]Tree{}}}
	minimal := &Everything{List: []string{}, Map: map[string]int32{}, Spaced: []string{}}
	for name, v := range map[string]any{"everything": everything(), "minimal": minimal, "tree": tree, "nil": (*Tree)(nil)} {
		got := string(encodeArg(t, v))
		want := `42["e",` + stringify(v) + `]`
		if _, ok := v.(*Everything); ok {
			want = `451-["e",` + strings.Replace(stringify(v), `"bin":null`, `"bin":{"_placeholder":true,"num":0}`, 1) + `]`
		}
		if got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
		}
	}
}

// Binary fields become attachments and come back intact; required lists
// and maps left nil are written [] and {}, and required binary left nil an
// empty attachment, as the TypeScript types promise.
func TestAppendJSONBinaryAndNilCollections(t *testing.T) {
	v := everything()
	v.Bin = []byte{0, 1, 2, 255}
	frames, err := parser.JSON.Encode(parser.NewEvent("/", "e", v))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 || !bytes.Equal(frames[1].Data, v.Bin) {
		t.Fatalf("attachments: %d frames", len(frames))
	}
	dec := parser.JSON.NewDecoder(parser.DecoderOptions{})
	var p *parser.Packet
	for _, f := range frames {
		data := f.Data
		if !f.Binary {
			data = data[1:]
		}
		if p, err = dec.Add(data, f.Binary); err != nil {
			t.Fatal(err)
		}
	}
	var back Everything
	if err := p.Args()[0].Decode(&back); err != nil {
		t.Fatal(err)
	}
	back.A = v.A // RawMessage is compacted on the way
	if !bytes.Equal(back.Bin, v.Bin) || back.Address != v.Address || !reflect.DeepEqual(back.Map, v.Map) || !back.T.Equal(v.T) {
		t.Fatalf("round trip:\n%+v\n%+v", back, *v)
	}
	frames, err = parser.JSON.Encode(parser.NewEvent("/", "e", &Everything{}))
	if err != nil || len(frames) != 2 || frames[1].Data == nil || len(frames[1].Data) != 0 {
		t.Fatalf("nil binary: %d frames, %v", len(frames), err)
	}
	got := string(encodeArg(t, &Tree{Label: "x"}))
	if want := `42["e",{"label":"x","children":[],"byName":{}}]`; got != want {
		t.Fatalf("nil collections: %s, want %s", got, want)
	}
}

func BenchmarkEncodeEverything(b *testing.B) {
	v := everything()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = parser.JSON.Encode(parser.NewEvent("/", "e", v))
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
	})
}

// Generated structs inside maps and arrays (not addressable) are written by
// their AppendJSON too: nil required lists as [], with both codecs.
func TestAppendJSONInMapsAndArrays(t *testing.T) {
	for _, c := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, v := range []any{map[string]Tree{"a": {Label: "x"}}, [1]Tree{{Label: "x"}}, map[string][]Tree{"a": {{Label: "x"}}}} {
			frames, err := c.Encode(parser.NewEvent("/", "e", v))
			if err != nil {
				t.Fatal(err)
			}
			data := frames[0].Data
			if !frames[0].Binary {
				data = data[1:]
			}
			p, err := c.NewDecoder(parser.DecoderOptions{}).Add(data, frames[0].Binary)
			if err != nil {
				t.Fatal(err)
			}
			j, err := p.Args()[0].AsJSON()
			if err != nil || !strings.Contains(string(j.Raw()), `{"label":"x","children":[],"byName":{}}`) {
				t.Errorf("%s %T: %s %v", c.Name(), v, j.Raw(), err)
			}
		}
	}
}
