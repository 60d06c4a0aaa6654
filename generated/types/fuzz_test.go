package types

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/siogen/siogen/runtime/parser"
)

// FuzzGeneratedPayload feeds arbitrary JSON to a generated type: decoding
// and validation never panic, and what decodes is re-encoded by AppendJSON
// into JSON that decodes to the same value and has the type's shape (the
// generated encoder writes every required field).
func FuzzGeneratedPayload(f *testing.F) {
	f.Add([]byte(`{"s":"x","b":true,"i32":1,"i64":2,"f64":0.5,"t":"2026-01-02T03:04:05Z","list":["a"],"map":{"k":1},"address":{"street":"s","geo":{"lat":1,"lng":2}},"mood":"happy","spaced":[]}`))
	f.Add([]byte(`{"label":"r","children":[{"label":"c","children":[],"byName":{}}],"byName":{"x":{"label":"y"}},"parent":{"label":"p"}}`))
	f.Add([]byte(`{"a":{"deep":[1,2,{"x":null}]},"opt":"o","optList":["z"]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		for i, v := range []any{&Everything{}, &Tree{}} {
			shape := []*parser.Shape{shapeEverything, shapeTree}[i]
			if err := parser.RawJSON(in).Decode(v); err != nil {
				_ = parser.RawJSON(in).Check(shape)
				continue
			}
			_ = parser.RawJSON(in).Check(shape)
			_ = v.(interface{ Validate() error }).Validate()
			frames, err := parser.JSON.Encode(parser.NewEvent("/", "e", v))
			if err != nil {
				continue // e.g. a time outside the years 0-9999
			}
			dec := parser.JSON.NewDecoder(parser.DecoderOptions{MaxAttachments: 1000})
			var p *parser.Packet
			for _, fr := range frames {
				data := fr.Data
				if !fr.Binary {
					data = data[1:]
				}
				if p, err = dec.Add(data, fr.Binary); err != nil {
					t.Fatalf("our own encoding does not decode: %v\n%s", err, frames[0].Data)
				}
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := p.Args()[0].Decode(again); err != nil {
				t.Fatalf("re-decode: %v\n%s", err, frames[0].Data)
			}
			if err := p.Args()[0].Check(shape); err != nil {
				t.Fatalf("our own encoding lacks a required value: %v\n%s", err, frames[0].Data)
			}
			a, _ := json.Marshal(normalize(v))
			b, _ := json.Marshal(normalize(again))
			if string(a) != string(b) {
				t.Fatalf("round trip changed the value:\n%s\n%s", a, b)
			}
		}
	})
}

// normalize makes nil and empty required collections and binary compare
// equal (the encoder writes [], {} and empty binary for nil ones).
func normalize(v any) any {
	switch x := v.(type) {
	case *Everything:
		c := *x
		if c.List == nil {
			c.List = []string{}
		}
		if c.Map == nil {
			c.Map = map[string]int32{}
		}
		if c.Spaced == nil {
			c.Spaced = []string{}
		}
		if c.Bin == nil {
			c.Bin = []byte{}
		}
		return &c
	case *Tree:
		return normTree(*x)
	}
	return v
}

func normTree(t Tree) *Tree {
	if t.Children == nil {
		t.Children = []Tree{}
	}
	for i := range t.Children {
		t.Children[i] = *normTree(t.Children[i])
	}
	if t.ByName == nil {
		t.ByName = map[string]Tree{}
	}
	for k, v := range t.ByName {
		t.ByName[k] = *normTree(v)
	}
	if t.Parent != nil {
		t.Parent = normTree(*t.Parent)
	}
	return &t
}
