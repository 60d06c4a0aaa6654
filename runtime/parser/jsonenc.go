package parser

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// jsonEncoder writes JSON text the way JSON.stringify does, turning []byte
// values into attachment placeholders.
type jsonEncoder struct {
	buf   []byte
	bins  [][]byte
	stdj  *stdJSON // lazily taken from stdPool
	err   error
	first []bool // JSONWriter: per open object or array, no member written yet
}

// stdJSON is a reusable encoding/json Encoder writing into a buffer.
type stdJSON struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var stdPool = sync.Pool{New: func() any {
	s := &stdJSON{}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}}

func (e *jsonEncoder) release() {
	if e.stdj != nil {
		e.stdj.buf.Reset()
		stdPool.Put(e.stdj)
		e.stdj = nil
	}
}

// placeholder appends the placeholder of a new attachment b.
func (e *jsonEncoder) placeholder(b []byte) {
	e.buf = append(e.buf, `{"_placeholder":true,"num":`...)
	e.buf = strconv.AppendInt(e.buf, int64(len(e.bins)), 10)
	e.buf = append(e.buf, '}')
	e.bins = append(e.bins, b)
}

// value appends a packet Value.
func (e *jsonEncoder) value(v *Value) error {
	switch v.kind {
	case kindJSON:
		if v.flags&flagPlaceholders == 0 {
			e.buf = append(e.buf, v.raw...)
			return nil
		}
		spans, err := placeholderSpans(v.raw)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
		}
		last, bins := 0, v.attachments()
		for _, s := range spans {
			if s.num < 0 || s.num >= len(bins) {
				return fmt.Errorf("%w: placeholder without attachment", ErrUnsupportedValue)
			}
			e.buf = append(e.buf, v.raw[last:s.start]...)
			e.placeholder(bins[s.num])
			last = s.end
		}
		e.buf = append(e.buf, v.raw[last:]...)
		return nil
	case kindMsgpack:
		var x any
		if err := v.Decode(&x); err != nil {
			return fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
		}
		return e.goValue(x)
	}
	return e.goValue(v.v)
}

// goValue appends a Go value.
func (e *jsonEncoder) goValue(x any) error {
	switch t := x.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = appendJSONString(e.buf, t)
	case bool:
		e.buf = strconv.AppendBool(e.buf, t)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(t), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, t, 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(t), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, t, 10)
	case float64:
		return e.float(t, 64)
	case []byte:
		if t == nil {
			e.buf = append(e.buf, "null"...)
		} else {
			e.placeholder(t)
		}
	case Value:
		return e.value(&t)
	case *Value:
		if t == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.value(t)
	case []any:
		if t == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, el := range t {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.goValue(el); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case map[string]any:
		if t == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendJSONString(e.buf, k)
			e.buf = append(e.buf, ':')
			if err := e.goValue(t[k]); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	case JSONAppender:
		if rv := reflect.ValueOf(t); rv.Kind() == reflect.Pointer && rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.appendSelf(t)
	default:
		return e.reflect(reflect.ValueOf(x), 0)
	}
	return nil
}

func (e *jsonEncoder) float(f float64, bits int) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("%w: %v", ErrUnsupportedValue, f)
	}
	e.buf = appendJSONFloat(e.buf, f, bits)
	return nil
}

// appendJSONFloat writes a finite float as encoding/json does, which
// matches JavaScript's Number.prototype.toString for float64.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// std appends x as encoding/json writes it, minus its HTML-safe escapes of
// U+2028 and U+2029 (JSON.stringify writes them as is).
func (e *jsonEncoder) std(x any) error {
	if e.stdj == nil {
		e.stdj = stdPool.Get().(*stdJSON)
	}
	s := e.stdj
	s.buf.Reset()
	if err := s.enc.Encode(x); err != nil {
		return fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
	}
	out := s.buf.Bytes()
	out = out[:len(out)-1] // the newline Encode appends
	if bytes.Contains(out, []byte(`\u202`)) {
		e.buf = unescapeLineSeparators(e.buf, out)
	} else {
		e.buf = append(e.buf, out...)
	}
	return nil
}

func unescapeLineSeparators(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			dst = append(dst, c)
			continue
		}
		if src[i+1] == 'u' && i+5 < len(src) && string(src[i+2:i+5]) == "202" && (src[i+5] == '8' || src[i+5] == '9') {
			dst = utf8.AppendRune(dst, rune(0x2020+int(src[i+5]-'0')))
			i += 5
			continue
		}
		dst = append(dst, c, src[i+1])
		i++
	}
	return dst
}

func (e *jsonEncoder) reflect(rv reflect.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: too deep (cycle?)", ErrUnsupportedValue)
	}
	if !rv.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	t := rv.Type()
	if t == valueType {
		v := rv.Interface().(Value)
		return e.value(&v)
	}
	// A JSONAppender met inside a value (a slice of generated structs):
	// its own encoding, through the pointer (of a copy, for a map value,
	// which is not addressable).
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		if t.Implements(appenderType) {
			return e.appendSelf(rv.Interface().(JSONAppender))
		}
		if reflect.PointerTo(t).Implements(appenderType) {
			if !rv.CanAddr() {
				c := reflect.New(t)
				c.Elem().Set(rv)
				rv = c.Elem()
			}
			return e.appendSelf(rv.Addr().Interface().(JSONAppender))
		}
	}
	if !needsWalk(t) {
		return e.std(rv.Interface())
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer:
		if rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.Kind() == reflect.Interface {
			return e.goValueDepth(rv.Elem().Interface(), depth+1)
		}
		return e.reflect(rv.Elem(), depth+1)
	case reflect.Slice:
		if rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			e.placeholder(rv.Bytes())
			return nil
		}
		fallthrough
	case reflect.Array:
		e.buf = append(e.buf, '[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.reflect(rv.Index(i), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
		return nil
	case reflect.Map:
		if rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		type kv struct {
			k string
			v reflect.Value
		}
		kvs := make([]kv, 0, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k := iter.Key()
			var ks string
			switch k.Kind() {
			case reflect.String:
				ks = k.String()
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				ks = strconv.FormatInt(k.Int(), 10)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				ks = strconv.FormatUint(k.Uint(), 10)
			default:
				return fmt.Errorf("%w: map key type %s", ErrUnsupportedValue, k.Type())
			}
			kvs = append(kvs, kv{ks, iter.Value()})
		}
		slices.SortFunc(kvs, func(a, b kv) int { return cmp.Compare(a.k, b.k) })
		e.buf = append(e.buf, '{')
		for i, p := range kvs {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendJSONString(e.buf, p.k)
			e.buf = append(e.buf, ':')
			if err := e.reflect(p.v, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
		return nil
	case reflect.Struct:
		e.buf = append(e.buf, '{')
		first := true
		for _, f := range cachedFields(t).list {
			fv, err := rv.FieldByIndexErr(f.index)
			if err != nil {
				continue // nil embedded pointer
			}
			if f.omitEmpty && isEmptyValue(fv) || f.omitZero && fv.IsZero() {
				continue
			}
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			e.buf = append(e.buf, f.key...)
			if f.quoted {
				// encoding/json writes ",string" fields as a JSON string
				start := len(e.buf)
				if err := e.std(fv.Interface()); err != nil {
					return err
				}
				text := string(e.buf[start:])
				e.buf = appendJSONString(e.buf[:start], text)
				continue
			}
			if err := e.reflect(fv, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
		return nil
	}
	return e.std(rv.Interface())
}

func (e *jsonEncoder) goValueDepth(x any, depth int) error {
	switch x.(type) {
	case nil, string, bool, int, int64, int32, uint64, float64, []byte, Value, *Value:
		return e.goValue(x)
	}
	return e.reflect(reflect.ValueOf(x), depth)
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as JSON.stringify writes a string: only '"',
// '\\' and control characters are escaped. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	if len(s) >= 16 && utf8.ValidString(s) { // a short one is not worth it
		return appendUTF8JSONString(b, s)
	}
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
			b = appendEscaped(b, c)
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

// appendUTF8JSONString is appendJSONString of s, which is UTF-8, eight
// bytes at a time to each byte to escape.
func appendUTF8JSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	i := 0
	for len(s)-i >= 8 {
		m := escapes8(load8(s, i))
		if m == 0 {
			i = skip32(s, i+8) // text without escapes: a block at a time
			continue
		}
		i += bits.TrailingZeros64(m) >> 3 // the first byte to escape
		b = append(b, s[start:i]...)
		b = appendEscaped(b, s[i])
		i++
		start = i
	}
	for ; i < len(s); i++ { // the last bytes; a word's step may have ended inside a character
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			b = append(b, s[start:i]...)
			b = appendEscaped(b, c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped appends the escape of c, a control byte, '"' or '\\'.
func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// Eight bytes at a time: the scanners of JSON strings test a word of eight
// bytes at once and go byte by byte only near a byte that needs care.
const (
	lsb8 = 0x0101010101010101 // the lowest bit of each byte
	msb8 = 0x8080808080808080 // the highest bit of each byte
)

// escapes8 returns, for the eight bytes of x, a mask whose lowest set bit
// is the high bit of the first byte that a JSON string escapes — a control
// byte (below 0x20), '"' or '\\' — or 0 if there is none. Bytes from 0x80
// up are not escaped. The tests are the "has a byte below n" and "has a zero
// byte" of word-at-a-time code: a borrow from one byte into the next comes
// only from a byte that is caught itself, so the bits above the first caught
// byte may be wrong but the first is exact.
func escapes8(x uint64) uint64 {
	q := x ^ (lsb8 * '"')
	bs := x ^ (lsb8 * '\\')
	return ((x-lsb8*0x20)&^x | (q-lsb8)&^q | (bs-lsb8)&^bs) & msb8
}

// skip32 returns the index of the first block of 32 bytes of s, from i,
// that holds a byte to escape, or of the last bytes after the blocks
// (fewer than 32): four words tested with one branch.
func skip32[T string | []byte](s T, i int) int {
	for len(s)-i >= 32 {
		if escapes8(load8(s, i))|escapes8(load8(s, i+8))|escapes8(load8(s, i+16))|escapes8(load8(s, i+24)) != 0 {
			return i
		}
		i += 32
	}
	return i
}

// hasJSONEscape reports whether s holds a byte that a JSON string escapes.
func hasJSONEscape(s []byte) bool {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if escapes8(load8(s, i)) != 0 {
			return true
		}
	}
	for _, c := range s[i:] {
		if c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// load8 returns the eight bytes of s from i as a little-endian word (one
// load: the compiler combines the byte loads).
func load8[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}
