package parser

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// appendJSONStringRef is appendJSONString byte by byte, as it was before
// the word-at-a-time scan: the reference the fast one must equal.
func appendJSONStringRef(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// strRef is jscan.str byte by byte, as it was before the word-at-a-time
// scan.
func strRef(b []byte, i int) (end int, esc bool, err error) {
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, esc, nil
		case c < 0x20:
			return 0, false, errSyntax
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, false, errSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, false, errSyntax
				}
				i += 6
			default:
				return 0, false, errSyntax
			}
		default:
			i++
		}
	}
	return 0, false, errSyntax
}

// TestStringScanEveryPosition puts each kind of byte at every position of
// strings of 0 to 40 bytes, in a background of plain ASCII or of
// multi-byte UTF-8, and checks the word-at-a-time encoder and scanner
// against the byte-by-byte ones: a wrong mask bit or skip shows as a byte
// not escaped, escaped twice, or a string end missed.
func TestStringScanEveryPosition(t *testing.T) {
	specials := []string{"\x00", "\x1f", "\x20", "\x21", "\"", "\\", "\x7f", "\x80", "\xff", "é", "東", "\xe6\x9d", "\n", "#", "\x5b", "\x5d", "\x22\x22", "\\\\"}
	backgrounds := []string{"x", "é", "ab\x01"}
	n := 0
	for _, bg := range backgrounds {
		for size := 0; size <= 80; size++ { // two 32-byte blocks after a word, and a tail
			base := []byte{}
			for len(base) < size {
				base = append(base, bg...)
			}
			base = base[:size]
			for pos := 0; pos <= size; pos++ {
				for _, sp := range specials {
					s := string(base[:pos]) + sp + string(base[pos:])
					checkString(t, s)
					n++
				}
			}
		}
	}
	t.Logf("%d strings", n)
}

func FuzzJSONString(f *testing.F) {
	for _, bs := range benchStrings {
		f.Add(bs.s)
	}
	f.Add("a\"b\\c\x00d\xffe\u2028")
	f.Fuzz(checkString)
}

// checkString checks the word-at-a-time encoder and scanner on s against
// the byte-by-byte ones: s encoded, the encoding scanned back whole, and s
// itself behind a quote (unescaped: with or without a closing quote, a
// control byte or a bad escape), scanned to where the byte-by-byte scan
// stops.
func checkString(t *testing.T, s string) {
	got, want := appendJSONString(nil, s), appendJSONStringRef(nil, s)
	if !bytes.Equal(got, want) {
		t.Fatalf("appendJSONString(%q) = %q, want %q", s, got, want)
	}
	if gotb := appendJSONStringBytes(nil, []byte(s)); !bytes.Equal(gotb, want) {
		t.Fatalf("appendJSONStringBytes(%q) = %q, want %q", s, gotb, want)
	}
	sc := jscan{b: got}
	if end, _, err := sc.str(0); err != nil || end != len(got) {
		t.Fatalf("str(%q) = %d, %v; want %d", got, end, err, len(got))
	}
	for _, raw := range [][]byte{append([]byte{'"'}, s...), []byte(`"` + s + `"`)} {
		sc = jscan{b: raw}
		end, esc, err := sc.str(0)
		if rend, resc, rerr := strRef(raw, 0); end != rend || esc != resc || err != rerr {
			t.Fatalf("str(%q) = %d, %v, %v; byte by byte %d, %v, %v", raw, end, esc, err, rend, resc, rerr)
		}
	}
}
