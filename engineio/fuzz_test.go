package engineio

import (
	"bytes"
	"testing"
)

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		"4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA==", "b", "bAQIDBA", "b!!",
		"2probe", "3", "6", "1", "abc", "", "\x1e", "4a\x1e\x1e4b", "0{\"sid\":\"x\"}", "4€",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var packets []Packet
		err := DecodePayload(b, func(p Packet) error {
			if !p.Type.Valid() {
				t.Fatalf("invalid type %v", p.Type)
			}
			packets = append(packets, p)
			return nil
		})
		if err != nil {
			return
		}
		// What decodes re-encodes to a payload that decodes to the same packets.
		frames := make([]Frame, len(packets))
		for i, p := range packets {
			frames[i] = p.Frame()
		}
		again := AppendPayload(nil, frames...)
		i := 0
		err = DecodePayload(again, func(p Packet) error {
			q := packets[i]
			if p.Type != q.Type || p.Binary != q.Binary || !bytes.Equal(p.Data, q.Data) {
				t.Fatalf("packet %d: %+v != %+v", i, p, q)
			}
			i++
			return nil
		})
		if err != nil || i != len(packets) {
			t.Fatalf("re-encoded payload %q: %v (%d of %d packets)", again, err, i, len(packets))
		}
	})
}

func FuzzDecodePacket(f *testing.F) {
	for _, s := range []string{"4hello", "2probe", "5", "6", "", "9", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePacket(b)
		if err != nil {
			return
		}
		if f := p.Frame(); !bytes.Equal(f.Data, b) {
			t.Fatalf("round trip %q -> %q", b, f.Data)
		}
	})
}
