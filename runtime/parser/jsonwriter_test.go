package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

// point writes itself like encoding/json would write the same struct.
type point struct {
	Name  string            `json:"name"`
	X     float64           `json:"x"`
	N     int64             `json:"n"`
	OK    bool              `json:"ok"`
	At    time.Time         `json:"at"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
	Next  *point            `json:"next,omitempty"`
}

func (p *point) AppendJSON(w JSONWriter) {
	if p == nil {
		w.Null()
		return
	}
	w.ObjectStart()
	w.Key(`"name"`)
	w.String(p.Name)
	w.Key(`"x"`)
	w.Float(p.X)
	w.Key(`"n"`)
	w.Int(p.N)
	w.Key(`"ok"`)
	w.Bool(p.OK)
	w.Key(`"at"`)
	w.Time(p.At)
	w.Key(`"tags"`)
	w.ArrayStart()
	for _, t := range p.Tags {
		w.Elem()
		w.String(t)
	}
	w.ArrayEnd()
	w.Key(`"attrs"`)
	w.ObjectStart()
	for _, k := range []string{"a", "b"} { // sorted keys, as encoding/json
		if v, ok := p.Attrs[k]; ok {
			w.KeyString(k)
			w.String(v)
		}
	}
	w.ObjectEnd()
	if p.Next != nil {
		w.Key(`"next"`)
		p.Next.AppendJSON(w)
	}
	w.ObjectEnd()
}

// blob has a binary field, which becomes an attachment.
type blob struct{ data []byte }

func (b blob) AppendJSON(w JSONWriter) {
	w.ObjectStart()
	w.Key(`"data"`)
	w.Binary(b.data)
	w.ObjectEnd()
}

func TestJSONAppenderMatchesEncodingJSON(t *testing.T) {
	p := &point{Name: "a \"quoted\" <name> \u2028", X: 1.5e-7, N: -42, OK: true,
		At:   time.Date(2026, 11, 22, 1, 2, 3, 4000, time.UTC),
		Tags: []string{"x", "y"}, Attrs: map[string]string{"b": "2", "a": "1"},
		Next: &point{Name: "n", Tags: []string{}, Attrs: map[string]string{}}}
	for _, v := range []any{p, []*point{p, nil}, map[string]any{"p": p}} {
		frames, err := JSON.Encode(NewEvent("/", "ev", v))
		if err != nil {
			t.Fatal(err)
		}
		ref := marshalLikeStringify(v)
		want := `42["ev",` + string(ref) + `]`
		want = string(unescapeLineSeparators(nil, []byte(want)))
		if got := string(frames[0].Data); got != want {
			t.Errorf("\ngot  %s\nwant %s", got, want)
		}
	}
	// A slice of values (not pointers) still uses AppendJSON, via the pointer.
	frames, err := JSON.Encode(NewEvent("/", "ev", []point{*p}))
	if err != nil {
		t.Fatal(err)
	}
	ref := marshalLikeStringify([]point{*p})
	if got, want := string(frames[0].Data), string(unescapeLineSeparators(nil, []byte(`42["ev",`+string(ref)+`]`))); got != want {
		t.Errorf("slice of values:\ngot  %s\nwant %s", got, want)
	}
}

func TestJSONAppenderBinaryAndErrors(t *testing.T) {
	frames, err := JSON.Encode(NewEvent("/", "ev", blob{[]byte{1, 2}}, blob{[]byte{3}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(frames[0].Data); got != `452-["ev",{"data":{"_placeholder":true,"num":0}},{"data":{"_placeholder":true,"num":1}}]` {
		t.Fatalf("got %s", got)
	}
	if len(frames) != 3 || string(frames[2].Data) != "\x03" {
		t.Fatalf("attachments %v", frames[1:])
	}
	bad := &point{X: math.NaN()}
	if _, err := JSON.Encode(NewEvent("/", "ev", bad)); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("NaN: %v", err)
	}
	// The pooled encoder forgets the error.
	if _, err := JSON.Encode(NewEvent("/", "ev", &point{})); err != nil {
		t.Fatalf("after an error: %v", err)
	}
}

// marshalLikeStringify is encoding/json without its HTML escapes, as the
// codec writes (JSON.stringify does not escape <, > and &).
func marshalLikeStringify(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// appendFunc is a JSONAppender and a MsgpackAppender written by a
// function.
type appendFunc func(w ValueWriter)

func (f appendFunc) AppendJSON(w JSONWriter)       { f(w) }
func (f appendFunc) AppendMsgpack(w MsgpackWriter) { f(w) }

// The MessagePack codec writes a JSONAppender straight in MessagePack: a
// key that needs unescaping is unescaped, and what is not one well-formed
// JSON value is refused (the JSON form it replaces would not transcode).
func TestMsgpackWriter(t *testing.T) {
	ok := appendFunc(func(w ValueWriter) {
		w.ObjectStart()
		w.Key(`"a\"b\u00e9"`)
		w.ArrayStart()
		w.Elem()
		w.Int(-1)
		w.Elem()
		w.Value(map[string]int{"x": 1})
		w.ArrayEnd()
		w.ObjectEnd()
	})
	frames, err := MessagePack.Encode(NewEvent("/", "ev", ok))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x81, 0xa5, 'a', '"', 'b', 0xc3, 0xa9, 0x92, 0xff, 0x81, 0xa1, 'x', 0x01}
	if !bytes.Contains(frames[0].Data, want) {
		t.Errorf("got % x, want it to hold % x", frames[0].Data, want)
	}
	for name, f := range map[string]appendFunc{
		"nothing":            func(w ValueWriter) {},
		"two values":         func(w ValueWriter) { w.Null(); w.Null() },
		"key outside object": func(w ValueWriter) { w.Key(`"a"`); w.Null() },
		"key without value":  func(w ValueWriter) { w.ObjectStart(); w.Key(`"a"`); w.ObjectEnd() },
		"value without key":  func(w ValueWriter) { w.ObjectStart(); w.Key(`"a"`); w.Null(); w.Null(); w.ObjectEnd() },
		"value without Elem": func(w ValueWriter) { w.ArrayStart(); w.Null(); w.ArrayEnd() },
		"elem in object":     func(w ValueWriter) { w.ObjectStart(); w.Elem(); w.Null(); w.ObjectEnd() },
		"mismatched end":     func(w ValueWriter) { w.ArrayStart(); w.ObjectEnd() },
		"left open":          func(w ValueWriter) { w.ObjectStart() },
		"end at top":         func(w ValueWriter) { w.Null(); w.ArrayEnd() },
		"bad key":            func(w ValueWriter) { w.ObjectStart(); w.Key(`a`); w.Null(); w.ObjectEnd() },
		"NaN":                func(w ValueWriter) { w.Float(math.NaN()) },
	} {
		if _, err := MessagePack.Encode(NewEvent("/", "ev", f)); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The pooled encoder forgets the error.
	if _, err := MessagePack.Encode(NewEvent("/", "ev", ok)); err != nil {
		t.Fatalf("after an error: %v", err)
	}
}
