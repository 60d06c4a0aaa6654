package parser

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/bits"
)

// maxDepth bounds the nesting of arrays and objects (and msgpack arrays and
// maps) the decoders accept, as encoding/json does.
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

// A span is a placeholder object {"_placeholder":true,"num":N} in JSON text;
// num is -1 when the num member is not a non-negative integer.
type span struct{ start, end, num int }

// jscan validates JSON text (RFC 8259, as JSON.parse accepts it) and, when
// ph is set, records the placeholder objects that are not nested in another
// placeholder.
type jscan struct {
	b     []byte
	depth int
	ph    bool
	ws    bool // whitespace seen
	spans []span
}

func (s *jscan) skipWS(i int) int {
	j := i
	for j < len(s.b) {
		switch s.b[j] {
		case ' ', '\t', '\n', '\r':
			j++
			continue
		}
		break
	}
	if j != i {
		s.ws = true
	}
	return j
}

// value scans the value starting at s.b[i] (no leading whitespace) and
// returns the index just after it.
func (s *jscan) value(i int) (int, error) {
	if i >= len(s.b) {
		return 0, errSyntax
	}
	switch c := s.b[i]; c {
	case '{':
		return s.object(i)
	case '[':
		return s.array(i)
	case '"':
		end, _, err := s.str(i)
		return end, err
	case 't':
		return s.lit(i, "true")
	case 'f':
		return s.lit(i, "false")
	case 'n':
		return s.lit(i, "null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return s.number(i)
		}
	}
	return 0, errSyntax
}

func (s *jscan) lit(i int, lit string) (int, error) {
	if len(s.b)-i < len(lit) || string(s.b[i:i+len(lit)]) != lit {
		return 0, errSyntax
	}
	return i + len(lit), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *jscan) digits(i int) (int, error) {
	j := i
	for j < len(s.b) && isDigit(s.b[j]) {
		j++
	}
	if j == i {
		return 0, errSyntax
	}
	return j, nil
}

func (s *jscan) number(i int) (int, error) {
	if s.b[i] == '-' {
		i++
	}
	if i >= len(s.b) {
		return 0, errSyntax
	}
	if s.b[i] == '0' {
		i++
	} else {
		var err error
		if i, err = s.digits(i); err != nil {
			return 0, err
		}
	}
	if i < len(s.b) && s.b[i] == '.' {
		var err error
		if i, err = s.digits(i + 1); err != nil {
			return 0, err
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		var err error
		if i, err = s.digits(i); err != nil {
			return 0, err
		}
	}
	return i, nil
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// text returns the contents of the string s.b[start:end] that str scanned,
// unescaped when esc (a copy then); ok is false for an escape that does not
// decode.
func (s *jscan) text(start, end int, esc bool) (b []byte, ok bool) {
	if !esc {
		return s.b[start+1 : end-1], true
	}
	var u string
	if json.Unmarshal(s.b[start:end], &u) != nil {
		return nil, false
	}
	return []byte(u), true
}

// str scans a string; esc reports whether it contains escapes.
func (s *jscan) str(i int) (end int, esc bool, err error) {
	b := s.b
	i++
	// Eight bytes at a time while eight remain, to each byte that needs a
	// look; then byte by byte (a short string goes there at once).
	for len(b)-i >= 8 {
		m := escapes8(load8(b, i))
		if m == 0 {
			i = skip32(b, i+8) // text without escapes: a block at a time
			continue
		}
		i += bits.TrailingZeros64(m) >> 3 // the first '"', '\\' or control byte
		if b[i] == '"' {
			return i + 1, esc, nil
		}
		if i, err = skipEscape(b, i); err != nil {
			return 0, false, err
		}
		esc = true
	}
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c < 0x20, c == '\\':
			if i, err = skipEscape(b, i); err != nil {
				return 0, false, err
			}
			esc = true
		default:
			i++
		}
	}
	return 0, false, errSyntax
}

// skipEscape returns the index after the escape sequence at b[i] (a '\\'),
// or errSyntax for an invalid one or a control byte at b[i].
func skipEscape(b []byte, i int) (int, error) {
	if b[i] != '\\' || i+1 >= len(b) {
		return 0, errSyntax
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
		if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
			return 0, errSyntax
		}
		return i + 6, nil
	}
	return 0, errSyntax
}

func (s *jscan) array(i int) (int, error) {
	if s.depth++; s.depth > maxDepth {
		return 0, errSyntax
	}
	defer func() { s.depth-- }()
	i = s.skipWS(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := s.value(i)
		if err != nil {
			return 0, err
		}
		i = s.skipWS(end)
		if i >= len(s.b) {
			return 0, errSyntax
		}
		switch s.b[i] {
		case ',':
			i = s.skipWS(i + 1)
		case ']':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

func (s *jscan) object(start int) (int, error) {
	if s.depth++; s.depth > maxDepth {
		return 0, errSyntax
	}
	defer func() { s.depth-- }()
	mark := len(s.spans)
	isPH, num := false, -1
	i := s.skipWS(start + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return 0, errSyntax
		}
		kstart := i
		kend, esc, err := s.str(i)
		if err != nil {
			return 0, err
		}
		key := s.b[kstart+1 : kend-1]
		i = s.skipWS(kend)
		if i >= len(s.b) || s.b[i] != ':' {
			return 0, errSyntax
		}
		vstart := s.skipWS(i + 1)
		vend, err := s.value(vstart)
		if err != nil {
			return 0, err
		}
		if s.ph {
			k := string(key)
			if u, ok := s.text(kstart, kend, esc); ok {
				k = string(u)
			}
			switch k {
			case "_placeholder":
				isPH = string(s.b[vstart:vend]) == "true"
			case "num":
				num = placeholderNum(s.b[vstart:vend])
			}
		}
		i = s.skipWS(vend)
		if i >= len(s.b) {
			return 0, errSyntax
		}
		switch s.b[i] {
		case ',':
			i = s.skipWS(i + 1)
		case '}':
			if isPH {
				s.spans = append(s.spans[:mark], span{start, i + 1, num})
			}
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// placeholderNum parses a placeholder's num: a non-negative integer written
// without fraction or exponent, else -1.
func placeholderNum(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	if len(b) > 1 && b[0] == '0' {
		return -1
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// placeholderSpans returns the placeholders of valid JSON text.
func placeholderSpans(raw []byte) ([]span, error) {
	s := jscan{b: raw, ph: true}
	end, err := s.value(s.skipWS(0))
	if err != nil || s.skipWS(end) != len(raw) {
		return nil, errSyntax
	}
	return s.spans, nil
}

// compactJSON removes insignificant whitespace from valid JSON text.
func compactJSON(raw []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

func base64Append(dst, src []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, src)
}
