package parser

import "testing"

// A Value inside a struct field tagged omitempty is kept by both codecs.
func TestValueNotOmittedAsEmpty(t *testing.T) {
	type outcome struct {
		OK     bool `json:"ok"`
		Answer any  `json:"answer,omitempty"`
	}
	for _, c := range []Codec{JSON, MessagePack} {
		frames, err := c.Encode(NewEvent("/", "x", map[string]int{"a": 1}))
		if err != nil {
			t.Fatal(err)
		}
		data := frames[0].Data
		if !frames[0].Binary {
			data = data[1:]
		}
		p, err := c.NewDecoder(DecoderOptions{}).Add(data, frames[0].Binary)
		if err != nil {
			t.Fatal(err)
		}
		decoded := p.Args()[0]
		for _, v := range []any{decoded, ValueOf(map[string]int{"a": 1})} {
			frames, err = c.Encode(NewEvent("/", "r", outcome{OK: true, Answer: v}))
			if err != nil {
				t.Fatal(err)
			}
			data = frames[0].Data
			if !frames[0].Binary {
				data = data[1:]
			}
			q, err := c.NewDecoder(DecoderOptions{}).Add(data, frames[0].Binary)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Answer map[string]int `json:"answer"`
			}
			if err := q.Args()[0].Decode(&got); err != nil || got.Answer["a"] != 1 {
				t.Errorf("%s: answer lost: %+v %v", c.Name(), got, err)
			}
		}
	}
}
