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
// range) are kept and fail the encoding.
type JSONWriter struct{ e *jsonEncoder }

// ObjectStart writes "{".
func (w JSONWriter) ObjectStart() {
	w.e.buf = append(w.e.buf, '{')
	w.e.first = append(w.e.first, true)
}

// ObjectEnd writes "}".
func (w JSONWriter) ObjectEnd() {
	w.e.buf = append(w.e.buf, '}')
	w.e.first = w.e.first[:len(w.e.first)-1]
}

// ArrayStart writes "[".
func (w JSONWriter) ArrayStart() {
	w.e.buf = append(w.e.buf, '[')
	w.e.first = append(w.e.first, true)
}

// ArrayEnd writes "]".
func (w JSONWriter) ArrayEnd() {
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
	w.comma()
	w.e.buf = append(w.e.buf, quoted...)
	w.e.buf = append(w.e.buf, ':')
}

// KeyString writes an object key that needs quoting (a map key).
func (w JSONWriter) KeyString(k string) {
	w.comma()
	w.e.buf = appendJSONString(w.e.buf, k)
	w.e.buf = append(w.e.buf, ':')
}

// Elem starts an array element.
func (w JSONWriter) Elem() { w.comma() }

// Null writes null.
func (w JSONWriter) Null() { w.e.buf = append(w.e.buf, "null"...) }

// String writes a string.
func (w JSONWriter) String(s string) { w.e.buf = appendJSONString(w.e.buf, s) }

// Bool writes a boolean.
func (w JSONWriter) Bool(b bool) { w.e.buf = strconv.AppendBool(w.e.buf, b) }

// Int writes an integer.
func (w JSONWriter) Int(i int64) { w.e.buf = strconv.AppendInt(w.e.buf, i, 10) }

// Float writes a number as JavaScript writes a float64. NaN and infinities
// fail the encoding, as in encoding/json.
func (w JSONWriter) Float(f float64) { w.fail(w.e.float(f, 64)) }

// Time writes t as encoding/json does: an RFC 3339 string with nanoseconds.
func (w JSONWriter) Time(t time.Time) {
	if err := timeInRange(t); err != nil {
		w.fail(err)
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
	if b == nil {
		b = []byte{}
	}
	w.e.placeholder(b)
}

// Value writes any other value, as the codec writes Go values.
func (w JSONWriter) Value(x any) { w.fail(w.e.goValue(x)) }

func (w JSONWriter) fail(err error) {
	if err != nil && w.e.err == nil {
		w.e.err = err
	}
}

// timeInRange fails for a time that RFC 3339 cannot write (as encoding/json
// refuses it): both writers' Time check it.
func timeInRange(t time.Time) error {
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%w: time %v outside the years 0-9999", ErrUnsupportedValue, t)
	}
	return nil
}

// appendSelf writes x with its AppendJSON and returns the first error.
func (e *jsonEncoder) appendSelf(x JSONAppender) error {
	depth := len(e.first)
	x.AppendJSON(JSONWriter{e})
	if len(e.first) != depth && e.err == nil {
		e.err = fmt.Errorf("%w: %T.AppendJSON left an object or array open", ErrUnsupportedValue, x)
	}
	e.first = e.first[:min(depth, len(e.first))]
	return e.err
}
