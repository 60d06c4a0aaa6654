package parser

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// A JSONAppender writes itself as JSON through a JSONWriter, without
// reflection. The JSON codec uses it instead of encoding/json when a value
// (or an element, field or map value met on the way) implements it; the
// types siogen generates do. What it writes must be what encoding/json would
// write for the value, except that []byte values become binary attachments.
type JSONAppender interface {
	AppendJSON(w JSONWriter)
}

var appenderType = reflect.TypeFor[JSONAppender]()

// A JSONWriter appends JSON text to the packet being encoded, as
// JSON.stringify writes it. Objects and arrays are opened and closed
// explicitly; Key and Elem place the commas. Errors (a NaN, a time out of
// range) are kept and fail the encoding. The MessagePack codec passes a
// JSONWriter that writes the same value in MessagePack: the JSON form
// transcoded (see [MessagePack]).
type JSONWriter struct {
	e *jsonEncoder
	m *mpEncoder // when not nil, writing MessagePack (mpwriter.go)
}

// ObjectStart writes "{".
func (w JSONWriter) ObjectStart() {
	if w.m != nil {
		w.m.start(true, 0x80)
		return
	}
	w.e.buf = append(w.e.buf, '{')
	w.e.first = append(w.e.first, true)
}

// ObjectEnd writes "}".
func (w JSONWriter) ObjectEnd() {
	if w.m != nil {
		w.m.end(true)
		return
	}
	w.e.buf = append(w.e.buf, '}')
	w.e.first = w.e.first[:len(w.e.first)-1]
}

// ArrayStart writes "[".
func (w JSONWriter) ArrayStart() {
	if w.m != nil {
		w.m.start(false, 0x90)
		return
	}
	w.e.buf = append(w.e.buf, '[')
	w.e.first = append(w.e.first, true)
}

// ArrayEnd writes "]".
func (w JSONWriter) ArrayEnd() {
	if w.m != nil {
		w.m.end(false)
		return
	}
	w.e.buf = append(w.e.buf, ']')
	w.e.first = w.e.first[:len(w.e.first)-1]
}

// comma writes "," before every member but the first.
func (w JSONWriter) comma() {
	n := len(w.e.first) - 1
	if n < 0 {
		return
	}
	if w.e.first[n] {
		w.e.first[n] = false
		return
	}
	w.e.buf = append(w.e.buf, ',')
}

// Key writes an object key given already quoted and escaped (`"id"`), and
// the colon.
func (w JSONWriter) Key(quoted string) {
	if w.m != nil {
		w.m.key(quoted)
		return
	}
	w.comma()
	w.e.buf = append(w.e.buf, quoted...)
	w.e.buf = append(w.e.buf, ':')
}

// KeyString writes an object key that needs quoting (a map key).
func (w JSONWriter) KeyString(k string) {
	if w.m != nil {
		w.m.keyString(k)
		return
	}
	w.comma()
	w.e.buf = appendJSONString(w.e.buf, k)
	w.e.buf = append(w.e.buf, ':')
}

// Elem starts an array element.
func (w JSONWriter) Elem() {
	if w.m != nil {
		w.m.member(false)
		return
	}
	w.comma()
}

// Null writes null.
func (w JSONWriter) Null() {
	if w.m != nil {
		w.m.counted()
		w.m.w.b = append(w.m.w.b, 0xc0)
		return
	}
	w.e.buf = append(w.e.buf, "null"...)
}

// String writes a string.
func (w JSONWriter) String(s string) {
	if w.m != nil {
		w.m.counted()
		w.m.str(s)
		return
	}
	w.e.buf = appendJSONString(w.e.buf, s)
}

// Bool writes a boolean.
func (w JSONWriter) Bool(b bool) {
	if w.m != nil {
		w.m.counted()
		w.m.w.b = append(w.m.w.b, mpBool(b))
		return
	}
	w.e.buf = strconv.AppendBool(w.e.buf, b)
}

// Int writes an integer.
func (w JSONWriter) Int(i int64) {
	if w.m != nil {
		w.m.counted()
		w.m.w.b = mpAppendInt(w.m.w.b, i)
		return
	}
	w.e.buf = strconv.AppendInt(w.e.buf, i, 10)
}

// Float writes a number as JavaScript writes a float64. NaN and infinities
// fail the encoding, as in encoding/json.
func (w JSONWriter) Float(f float64) {
	if w.m != nil {
		w.m.counted()
		w.m.float(f)
		return
	}
	w.fail(w.e.float(f, 64))
}

// Time writes t as encoding/json does: an RFC 3339 string with nanoseconds.
func (w JSONWriter) Time(t time.Time) {
	if w.m != nil {
		w.m.counted()
		w.m.time(t)
		return
	}
	if y := t.Year(); y < 0 || y > 9999 {
		w.fail(fmt.Errorf("%w: time %v outside the years 0-9999", ErrUnsupportedValue, t))
		w.Null()
		return
	}
	w.e.buf = append(w.e.buf, '"')
	w.e.buf = t.AppendFormat(w.e.buf, time.RFC3339Nano)
	w.e.buf = append(w.e.buf, '"')
}

// Binary writes b as a binary attachment; nil is an empty one (the
// generated types write their required binary values with it, and the
// schema allows no null there, as it writes [] for a nil required list).
func (w JSONWriter) Binary(b []byte) {
	if w.m != nil {
		w.m.counted()
		w.m.w.b = mpAppendBin(w.m.w.b, b)
		return
	}
	if b == nil {
		b = []byte{}
	}
	w.e.placeholder(b)
}

// Value writes any other value, as the codec writes Go values.
func (w JSONWriter) Value(x any) {
	if w.m != nil {
		if a, ok := selfWriting(x); ok {
			a.AppendJSON(w) // one value, counted as it writes it
			return
		}
		w.m.counted()
		w.m.fail(w.m.valueForm(x))
		return
	}
	w.fail(w.e.goValue(x))
}

func (w JSONWriter) fail(err error) {
	if err != nil && w.e.err == nil {
		w.e.err = err
	}
}

// appendSelf writes x with its AppendJSON and returns the first error.
func (e *jsonEncoder) appendSelf(x JSONAppender) error {
	depth := len(e.first)
	x.AppendJSON(JSONWriter{e: e})
	if len(e.first) != depth && e.err == nil {
		e.err = fmt.Errorf("%w: %T.AppendJSON left an object or array open", ErrUnsupportedValue, x)
	}
	e.first = e.first[:min(depth, len(e.first))]
	return e.err
}
