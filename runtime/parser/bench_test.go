package parser

import (
	"strings"
	"testing"
)

type benchMsg struct {
	ID     string `json:"id"`
	Room   string `json:"room"`
	Author string `json:"author"`
	Text   string `json:"text"`
	SentAt int64  `json:"sentAt"`
}

func benchPackets() map[string]*Packet {
	return map[string]*Packet{
		"small": NewEvent("/", "message", "hello", 42),
		"1KiB": NewEvent("/chat", "message", benchMsg{
			ID: "01HZX3", Room: "general", Author: "alice", Text: strings.Repeat("lorem ipsum ", 80), SentAt: 1700000000123,
		}),
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range []Codec{JSON, MessagePack} {
		for name, p := range benchPackets() {
			b.Run(c.Name()+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				frames, _ := c.Encode(p)
				b.SetBytes(int64(len(frames[0].Data)))
				for b.Loop() {
					if _, err := c.Encode(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []Codec{JSON, MessagePack} {
		for name, p := range benchPackets() {
			b.Run(c.Name()+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				data, bin := message(b, c, p)
				b.SetBytes(int64(len(data)))
				d := c.NewDecoder(DecoderOptions{})
				for b.Loop() {
					if _, err := d.Add(data, bin); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecodeValue(b *testing.B) {
	for _, c := range []Codec{JSON, MessagePack} {
		p := benchPackets()["1KiB"]
		q := roundTrip(b, c, p)
		b.Run(c.Name()+"/1KiB", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m benchMsg
				if err := q.Data[1].Decode(&m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
