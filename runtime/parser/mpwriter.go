package parser

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// A MsgpackAppender writes itself in MessagePack through a MsgpackWriter,
// without reflection and without JSON text: what its JSON form transcoded
// would be (see [MessagePack]). The types siogen generates have
// AppendMsgpack beside AppendJSON, with the same body; the MessagePack codec
// writes a JSONAppender that is not a MsgpackAppender as JSON, transcoded.
type MsgpackAppender interface {
	AppendMsgpack(w MsgpackWriter)
}

// A ValueWriter is what JSONWriter and MsgpackWriter both are: code
// generic over it writes a value for either codec.
type ValueWriter interface {
	ObjectStart()
	ObjectEnd()
	ArrayStart()
	ArrayEnd()
	Key(quoted string)
	KeyString(k string)
	Elem()
	Null()
	String(s string)
	Bool(b bool)
	Int(i int64)
	Float(f float64)
	Time(t time.Time)
	Binary(b []byte)
	Value(x any)
}

var (
	_ ValueWriter = JSONWriter{}
	_ ValueWriter = MsgpackWriter{}
)

// A MsgpackWriter is a JSONWriter that writes MessagePack into the packet
// being encoded: the same methods, and the bytes of the JSON value they
// would write, transcoded. MessagePack puts a container's length before its
// members, so each object or array is opened with a one-byte header, which
// its end sets (the members moved along when more than 15 need a longer
// header). What is not one well-formed value (a key outside an object, a
// member without its value, an object closed as an array, two values) and
// other errors (a NaN, a time out of range) fail the encoding.
type MsgpackWriter struct{ m *mpEncoder }

// ObjectStart opens an object.
func (w MsgpackWriter) ObjectStart() { w.m.start(true, 0x80) }

// ObjectEnd closes it.
func (w MsgpackWriter) ObjectEnd() { w.m.end(true) }

// ArrayStart opens an array.
func (w MsgpackWriter) ArrayStart() { w.m.start(false, 0x90) }

// ArrayEnd closes it.
func (w MsgpackWriter) ArrayEnd() { w.m.end(false) }

// Key writes an object key given quoted and escaped as in JSON (`"id"`).
func (w MsgpackWriter) Key(quoted string) { w.m.key(quoted) }

// KeyString writes an object key (a map key).
func (w MsgpackWriter) KeyString(k string) { w.m.keyString(k) }

// Elem starts an array element.
func (w MsgpackWriter) Elem() { w.m.member(false) }

// Null writes nil.
func (w MsgpackWriter) Null() {
	w.m.counted()
	w.m.w.b = append(w.m.w.b, 0xc0)
}

// String writes a string (bytes that are not UTF-8 as U+FFFD, as in JSON).
func (w MsgpackWriter) String(s string) {
	w.m.counted()
	w.m.str(s)
}

// Bool writes a boolean.
func (w MsgpackWriter) Bool(b bool) {
	w.m.counted()
	w.m.w.b = append(w.m.w.b, mpBool(b))
}

// Int writes an integer in its smallest form.
func (w MsgpackWriter) Int(i int64) {
	w.m.counted()
	w.m.w.b = mpAppendInt(w.m.w.b, i)
}

// Float writes a number as its JSON text is transcoded: an integer when
// integral. NaN and infinities fail the encoding.
func (w MsgpackWriter) Float(f float64) {
	w.m.counted()
	w.m.float(f)
}

// Time writes t as its RFC 3339 string with nanoseconds, as JSONWriter.Time.
func (w MsgpackWriter) Time(t time.Time) {
	w.m.counted()
	w.m.time(t)
}

// Binary writes b as bin; nil as an empty one, as JSONWriter.Binary.
func (w MsgpackWriter) Binary(b []byte) {
	w.m.counted()
	w.m.w.b = mpAppendBin(w.m.w.b, b)
}

// Value writes any other value: a MsgpackAppender itself, anything else in
// its JSON form, transcoded.
func (w MsgpackWriter) Value(x any) {
	if a, ok := selfWriting(x); ok {
		a.AppendMsgpack(w) // one value, counted as it writes it
		return
	}
	w.m.counted()
	w.m.fail(w.m.valueForm(x))
}

// errMalformed fails an encoding whose MsgpackWriter calls are not one
// well-formed value.
var errMalformed = fmt.Errorf("%w: AppendMsgpack wrote no well-formed value", ErrUnsupportedValue)

// mpOpen is an object or array a MsgpackWriter has open, or the top level.
type mpOpen struct {
	pos  int  // where its header is in the buffer
	obj  bool // an object: it counts keys
	keys int  // Key calls (objects) or Elem calls (arrays)
	vals int  // values written in it
}

// selfWriting returns x as a MsgpackAppender that can write itself: not a
// nil pointer (the JSON codec writes null for one, without calling it).
func selfWriting(x any) (MsgpackAppender, bool) {
	a, ok := x.(MsgpackAppender)
	if ok {
		if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, false
		}
	}
	return a, ok
}

// appendSelf writes x with its AppendMsgpack, checking that it wrote one
// well-formed value.
func (e *mpEncoder) appendSelf(x MsgpackAppender) error {
	e.werr = nil
	e.open = append(e.open[:0], mpOpen{pos: -1})
	x.AppendMsgpack(MsgpackWriter{e})
	if e.werr == nil && (len(e.open) != 1 || e.open[0].vals != 1) {
		e.werr = fmt.Errorf("%w: %T.AppendMsgpack wrote no well-formed value", ErrUnsupportedValue, x)
	}
	return e.werr
}

func (e *mpEncoder) fail(err error) {
	if err != nil && e.werr == nil {
		e.werr = err
	}
}

// counted counts a value in the innermost container.
func (e *mpEncoder) counted() {
	if len(e.open) > 0 {
		e.open[len(e.open)-1].vals++
	}
}

func (e *mpEncoder) start(obj bool, fix byte) {
	e.counted()
	e.open = append(e.open, mpOpen{pos: len(e.w.b), obj: obj})
	e.w.b = append(e.w.b, fix)
}

// end closes the innermost container, which must be an object when obj,
// with as many values as keys or elements.
func (e *mpEncoder) end(obj bool) {
	n := len(e.open) - 1
	if n < 1 || e.open[n].obj != obj || e.open[n].keys != e.open[n].vals {
		e.fail(errMalformed)
		if n < 1 {
			return
		}
	}
	c := e.open[n]
	e.open = e.open[:n]
	if c.vals < 16 {
		e.w.b[c.pos] |= byte(c.vals)
		return
	}
	var hdr [5]byte
	var h []byte
	if obj {
		h = mpAppendMapLen(hdr[:0], c.vals)
	} else {
		h = mpAppendArrayLen(hdr[:0], c.vals)
	}
	body := len(e.w.b) - c.pos - 1
	e.w.b = append(e.w.b, h[1:]...)
	copy(e.w.b[c.pos+len(h):], e.w.b[c.pos+1:c.pos+1+body])
	copy(e.w.b[c.pos:], h)
}

// member starts a member of the innermost container, an object when obj.
func (e *mpEncoder) member(obj bool) bool {
	n := len(e.open) - 1
	if n < 1 || e.open[n].obj != obj || e.open[n].keys != e.open[n].vals {
		e.fail(errMalformed)
		return false
	}
	e.open[n].keys++
	return true
}

func (e *mpEncoder) key(quoted string) {
	if !e.member(true) {
		return
	}
	if len(quoted) >= 2 && quoted[0] == '"' && quoted[len(quoted)-1] == '"' && !strings.ContainsRune(quoted, '\\') {
		e.w.b = mpAppendStr(e.w.b, quoted[1:len(quoted)-1])
		return
	}
	s := jscan{b: []byte(quoted)}
	end, esc, err := s.str(0)
	var k []byte
	ok := err == nil && end == len(quoted)
	if ok {
		k, ok = s.text(0, end, esc)
	}
	if !ok {
		e.fail(fmt.Errorf("%w: object key %s is not a JSON string", ErrUnsupportedValue, quoted))
	}
	e.w.b = mpAppendStr(e.w.b, k)
}

func (e *mpEncoder) keyString(k string) {
	if e.member(true) {
		e.str(k)
	}
}

// str writes s as its JSON form carries it: each byte that is not valid
// UTF-8 replaced by U+FFFD, as encoding/json does.
func (e *mpEncoder) str(s string) {
	if utf8.ValidString(s) {
		e.w.b = mpAppendStr(e.w.b, s)
		return
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	e.w.b = mpAppendStr(e.w.b, b.String())
}

// float writes f as its JSON text is transcoded (mpAppendNumber): an
// integer when integral, else a float64. Beyond 2^53 the JSON text of an
// integral float is its shortest decimal form (9223372036854775000 for
// 2^63-1024), so that text is transcoded.
func (e *mpEncoder) float(f float64) {
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		e.fail(fmt.Errorf("%w: %v", ErrUnsupportedValue, f))
		e.w.b = append(e.w.b, 0xc0)
	case f != math.Trunc(f):
		e.w.b = mpAppendFloat64(e.w.b, f)
	case math.Abs(f) <= 1<<53:
		e.w.b = mpAppendInt(e.w.b, int64(f))
	default:
		var text [32]byte
		e.w.b = mpAppendNumber(e.w.b, appendJSONFloat(text[:0], f, 64))
	}
}

func (e *mpEncoder) time(t time.Time) {
	if err := timeInRange(t); err != nil {
		e.fail(err)
		e.w.b = append(e.w.b, 0xc0)
		return
	}
	var buf [64]byte
	e.w.b = mpAppendStr(e.w.b, t.AppendFormat(buf[:0], time.RFC3339Nano))
}
