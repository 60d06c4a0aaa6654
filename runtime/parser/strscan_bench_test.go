package parser

import (
	"strings"
	"testing"
)

// Strings as payloads carry them: a short name, a chat line, a 1 KiB
// text, and text that is mostly not ASCII.
var benchStrings = []struct{ name, s string }{
	{"short", "alice"},
	{"line", "see you at the station at 8, bring the tickets"},
	{"1KiB", strings.Repeat("the quick brown fox jumps over the lazy dog. ", 23)[:1024]},
	{"1KiB-escapes", strings.Repeat("a \"quoted\" word\n", 64)},
	{"nonASCII", strings.Repeat("Grüße aus Köln, 東京から ", 20)},
}

func BenchmarkAppendJSONString(b *testing.B) {
	for _, bs := range benchStrings {
		b.Run(bs.name, func(b *testing.B) {
			buf := make([]byte, 0, 4*len(bs.s)+2)
			b.SetBytes(int64(len(bs.s)))
			for b.Loop() {
				buf = appendJSONString(buf[:0], bs.s)
			}
		})
	}
}

func BenchmarkScanJSONString(b *testing.B) {
	for _, bs := range benchStrings {
		b.Run(bs.name, func(b *testing.B) {
			text := appendJSONString(nil, bs.s)
			s := jscan{b: text}
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if end, _, err := s.str(0); err != nil || end != len(text) {
					b.Fatal(end, err)
				}
			}
		})
	}
}
