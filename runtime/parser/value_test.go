package parser

import (
	"testing"
	"unsafe"
)

// A Value is copied into every packet's data and every event's arguments:
// its attachments are behind a pointer (see Value.attachments) so that it
// is seven words, not nine.
func TestValueSize(t *testing.T) {
	if size, want := unsafe.Sizeof(Value{}), 7*unsafe.Sizeof(uintptr(0)); size > want {
		t.Errorf("a Value is %d bytes, want at most %d", size, want)
	}
}

// A Value inside a struct field tagged omitempty is kept by both codecs.
func TestValueNotOmittedAsEmpty(t *testing.T) {
	type outcome struct {
		OK     bool `json:"ok"`
		Answer any  `json:"answer,omitempty"`
	}
	for _, c := range []Codec{JSON, MessagePack} {
		decoded := roundTrip(t, c, NewEvent("/", "x", map[string]int{"a": 1})).Args()[0]
		for _, v := range []any{decoded, ValueOf(map[string]int{"a": 1})} {
			q := roundTrip(t, c, NewEvent("/", "r", outcome{OK: true, Answer: v}))
			var got struct {
				Answer map[string]int `json:"answer"`
			}
			if err := q.Args()[0].Decode(&got); err != nil || got.Answer["a"] != 1 {
				t.Errorf("%s: answer lost: %+v %v", c.Name(), got, err)
			}
		}
	}
}
