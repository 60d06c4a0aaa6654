package parser

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// A JSONReadable decodes itself from JSON through a JSONReader, without
// reflection. siogen's generated object types do; [ReadJSON] calls them.
type JSONReadable interface {
	ReadJSON(r *JSONReader)
}

// A JSONReader reads valid JSON text for the ReadJSON methods siogen
// generates, the way encoding/json.Unmarshal would decode it into their
// structs: a null leaves a string, number, bool, time or struct as it is
// and sets a slice, map or pointer to nil; a member matches a field by its
// exact name; unknown members are skipped.
//
// It reads what encoding/json would decode the same way and gives up on
// the rest: a value of the wrong kind, a number out of range or with a
// fraction for an integer, a time that does not parse, a member name that
// matches a field only under case folding. Once it gave up every method
// returns zero values, and [ReadJSON] reports false: the caller then
// decodes the whole value with encoding/json, which reports the problem in
// its own words.
type JSONReader struct {
	b      []byte
	i      int
	failed bool
}

var jsonReaders = sync.Pool{New: func() any { return new(JSONReader) }}

// ReadJSON decodes the JSON text raw (valid JSON, as the codecs hand it
// over) into dst and reports whether dst read all of it; on false dst may
// be partly written.
func ReadJSON(raw []byte, dst JSONReadable) bool {
	r := jsonReaders.Get().(*JSONReader)
	r.b, r.i, r.failed = raw, 0, false
	dst.ReadJSON(r)
	ok := !r.failed && r.skipWS() == len(r.b)
	r.b = nil
	jsonReaders.Put(r)
	return ok
}

// Fail makes r give up.
func (r *JSONReader) Fail() { r.failed = true }

// skipWS moves past whitespace and returns the index of the next byte.
func (r *JSONReader) skipWS() int {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
			continue
		}
		break
	}
	return r.i
}

// peek returns the next byte after whitespace, or 0 at the end or once r
// gave up.
func (r *JSONReader) peek() byte {
	if r.failed || r.skipWS() >= len(r.b) {
		r.failed = true
		return 0
	}
	return r.b[r.i]
}

// Null reads a null if one comes next.
func (r *JSONReader) Null() bool {
	if r.peek() == 'n' && len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// ObjectStart reads the "{" of an object and reports true; for a null it
// reports false (a struct is left as it is); anything else makes r give up.
func (r *JSONReader) ObjectStart() bool {
	if r.Null() {
		return false
	}
	if r.peek() != '{' {
		r.failed = true
		return false
	}
	r.i++
	return true
}

// ArrayStart reads the "[" of an array and reports true; anything else
// makes r give up (a null is for the caller to read with Null first).
func (r *JSONReader) ArrayStart() bool {
	if r.peek() != '[' {
		r.failed = true
		return false
	}
	r.i++
	return true
}

// Key reads the name of the next member of an object, unescaped, and the
// colon after it; ok is false at the object's end (its "}" read) or once r
// gave up. The bytes are valid until the next call.
func (r *JSONReader) Key() (key []byte, ok bool) {
	c := r.peek()
	if c == ',' {
		r.i++
		c = r.peek()
	}
	if c == '}' {
		r.i++
		return nil, false
	}
	if c != '"' {
		r.failed = true
		return nil, false
	}
	key, ok = r.text()
	if !ok || r.peek() != ':' {
		r.failed = true
		return nil, false
	}
	r.i++
	return key, true
}

// More reads the comma before the next element of an array and reports
// whether there is one; false at the array's end (its "]" read) or once r
// gave up.
func (r *JSONReader) More() bool {
	c := r.peek()
	if c == ',' {
		r.i++
		c = r.peek()
	}
	if c == ']' {
		r.i++
		return false
	}
	return !r.failed
}

// Unknown skips the value of a member whose name key is not one of names,
// the fields' names; a key that matches one of them under case folding
// (which encoding/json would decode into that field), or that is not
// ASCII, makes r give up.
func (r *JSONReader) Unknown(key []byte, names ...string) {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			r.failed = true
			return
		}
	}
	for _, n := range names {
		if asciiEqualFold(key, n) {
			r.failed = true
			return
		}
	}
	r.Skip()
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Skip reads a value and drops it.
func (r *JSONReader) Skip() { r.raw() }

// raw reads a value and returns its text.
func (r *JSONReader) raw() []byte {
	if r.peek() == 0 {
		return nil
	}
	s := jscan{b: r.b}
	end, err := s.value(r.i)
	if err != nil {
		r.failed = true
		return nil
	}
	v := r.b[r.i:end]
	r.i = end
	return v
}

// text reads a string and returns its contents, unescaped; invalid UTF-8 is
// replaced as encoding/json replaces it.
func (r *JSONReader) text() ([]byte, bool) {
	start := r.i
	ascii := true
	for i := start + 1; i < len(r.b); i++ {
		c := r.b[i]
		if c == '"' {
			if seg := r.b[start+1 : i]; ascii || utf8.Valid(seg) {
				r.i = i + 1
				return seg, true
			}
			break
		}
		if c == '\\' {
			break
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	// Escapes or invalid UTF-8: encoding/json decodes it.
	s := jscan{b: r.b}
	end, _, err := s.str(start)
	if err != nil {
		return nil, false
	}
	r.i = end
	return s.text(start, end, true)
}

// String reads a string; ok is false for a null (leave the field as it
// is) and when r gives up.
func (r *JSONReader) String() (s string, ok bool) {
	if r.Null() {
		return "", false
	}
	if r.peek() != '"' {
		r.failed = true
		return "", false
	}
	b, ok := r.text()
	if !ok {
		r.failed = true
		return "", false
	}
	return string(b), true
}

// Bool reads true or false; ok is false for a null and when r gives up.
func (r *JSONReader) Bool() (v, ok bool) {
	if r.Null() {
		return false, false
	}
	switch b := r.raw(); string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	r.failed = true
	return false, false
}

// number reads a number's text; nil for a null, or once r gave up.
func (r *JSONReader) number() []byte {
	if r.Null() {
		return nil
	}
	if c := r.peek(); c != '-' && (c < '0' || c > '9') {
		r.failed = true
		return nil
	}
	return r.raw()
}

// Int reads an integer that fits in bits bits (32 or 64), written without
// a fraction or an exponent; ok is false for a null and when r gives up.
func (r *JSONReader) Int(bits int) (v int64, ok bool) {
	b := r.number()
	if b == nil {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	limit := uint64(1)<<(bits-1) - 1
	if neg {
		limit++
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' || n > (limit-uint64(c-'0'))/10 {
			r.failed = true // a fraction, an exponent, or out of range
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// Float reads a number as a float64; ok is false for a null and when r
// gives up (a number out of range).
func (r *JSONReader) Float() (v float64, ok bool) {
	b := r.number()
	if b == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		r.failed = true // out of range
		return 0, false
	}
	return f, true
}

// Time reads an RFC 3339 time, as time.Time's UnmarshalJSON does; ok is
// false for a null and when r gives up.
func (r *JSONReader) Time() (t time.Time, ok bool) {
	if r.Null() {
		return t, false
	}
	if r.peek() != '"' {
		r.failed = true
		return t, false
	}
	if err := t.UnmarshalJSON(r.raw()); err != nil {
		r.failed = true
		return t, false
	}
	return t, true
}

// Raw reads any value, null included, as a copy of its text (what
// encoding/json stores in a json.RawMessage).
func (r *JSONReader) Raw() json.RawMessage {
	b := r.raw()
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}

// Value reads any value into dst with encoding/json: for the types the
// other methods do not read (binary, bound Go types).
func (r *JSONReader) Value(dst any) {
	b := r.raw()
	if b == nil {
		return
	}
	if json.Unmarshal(b, dst) != nil {
		r.failed = true
	}
}

// GrowOne returns s one element longer, for a ReadJSON method to decode
// the next array element into: the element past the length is reused when
// there is capacity (as encoding/json reuses it), else a zero one is
// appended.
func GrowOne[S ~[]E, E any](s S) S {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero E
	return append(s, zero)
}

// ReadInto is a destination that a function generated for its type reads:
// a payload or argument that is not an object type (a named string, a list
// of objects…). Ptr is where Read decodes, and where encoding/json decodes
// when Read gives up (see [ReadInto.Target]).
type ReadInto[T any] struct {
	Ptr  *T
	Read func(r *JSONReader, x *T)
}

// ReadJSON implements JSONReadable.
func (d ReadInto[T]) ReadJSON(r *JSONReader) { d.Read(r, d.Ptr) }

// Target returns Ptr, for decoding with encoding/json instead.
func (d ReadInto[T]) Target() any { return d.Ptr }
