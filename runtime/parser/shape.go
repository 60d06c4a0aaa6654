package parser

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A Shape describes what a value must contain beyond what decoding it into
// a Go type checks: the fields an object requires, and the values inside
// lists and maps, which must not be null. Decoding leaves a field that is
// missing, or null, at its zero value, so a Go value cannot tell
// {"room":""} from {}; [Value.Check] tells them apart on the encoded form.
// siogen's generated code declares one Shape per object type of a schema.
//
// [Object], [List], [Map] and [Any] make shapes; the zero Shape is an
// object with no field.
// A nil *Shape stands for a value with nothing inside to check (a string, a
// number, binary data, a Go type the schema does not describe): it must not
// be null, and that is all.
type Shape struct {
	kind   shapeKind
	fields []Field
	elem   *Shape
}

type shapeKind uint8

const (
	shapeObject shapeKind = iota
	shapeList
	shapeMap
	shapeAny
	shapeTime
	shapeBinary
)

// A Field is a member of an object [Shape].
type Field struct {
	// Name is the member's name on the wire, matched as encoding/json
	// matches it to a struct field: exactly, or else under Unicode case
	// folding.
	Name string
	// Shape is the shape of the member's value (nil: nothing inside).
	Shape *Shape
	// Optional says the member may be absent or null; a required one may
	// be neither (JSON null counts as absent), unless its Shape is Any:
	// any value, null and undefined (which JSON leaves out) included.
	Optional bool
}

// Any is the shape of a value that may be anything, null included (the
// schema's any).
var Any = &Shape{kind: shapeAny}

// Time is the shape of the schema's time: an RFC 3339 string. Check only
// requires it present; CheckTimes also checks its form.
var Time = &Shape{kind: shapeTime}

// Binary is the shape of the schema's binary: an attachment (a placeholder
// object in the JSON form), not a base64 string or an array of numbers,
// which encoding/json would decode into []byte too. Check and CheckTimes
// both report another value ("is a string, not binary").
var Binary = &Shape{kind: shapeBinary}

// List returns the shape of a list whose elements have the shape elem and
// are not null (unless elem is Any).
func List(elem *Shape) *Shape { return &Shape{kind: shapeList, elem: elem} }

// Map returns the shape of a map (an object with any keys) whose values
// have the shape elem and are not null (unless elem is Any).
func Map(elem *Shape) *Shape { return &Shape{kind: shapeMap, elem: elem} }

// Object returns the shape of an object with the given fields; members
// that are not among them are not checked.
func Object(fields ...Field) *Shape { return &Shape{kind: shapeObject, fields: fields} }

// Set makes s a copy of t. Shapes refer to each other, and a type may
// contain itself (through a list), so generated code allocates its shapes
// first (new(Shape)) and sets each once, before any use: s must not be in
// use while it is set.
func (s *Shape) Set(t *Shape) { *s = *t }

// A ShapeError is the failure of [Value.Check]: the value at Path
// ("author.name", "files[2]", `scores["bob"]`) is missing or null where its
// shape does not allow it. Reason is "is required" for a field, "is null"
// for an element of a list or a map.
type ShapeError struct {
	Path   string
	Reason string

	elems []string // while checking: the path, innermost first
}

// Error returns "Path Reason".
func (e *ShapeError) Error() string { return e.Path + " " + e.Reason }

// under puts the error under the path element elem (a field name, "[i]"
// or `["key"]`). The elements are kept, innermost first, and joined once
// by Check: joining them at every level would cost the square of the depth.
func (e *ShapeError) under(elem string) *ShapeError {
	e.elems = append(e.elems, elem)
	return e
}

// joinElems returns the path of elems, innermost first.
func joinElems(elems []string) string {
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		if b.Len() > 0 && elems[i] != "" && elems[i][0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(elems[i])
	}
	return b.String()
}

func required(name string) *ShapeError {
	return &ShapeError{Reason: "is required", elems: []string{name}}
}

// checked reports whether a value of shape s has something inside to
// check (a time's form is only checked by CheckTimes).
func (s *Shape) checked() bool { return s != nil && s.kind != shapeAny && s.kind != shapeTime }

// Check reports, as a *ShapeError, the first place where v, a value that
// is not null and that decoded without error, does not have the shape s:
// a required field absent or null, or a null element. The fields of an
// object are checked in the order of its members (the last member for a
// field decides, as in decoding), then the missing ones in the order of
// s's fields. A MessagePack or Go value is checked in its JSON
// form ([Value.AsJSON]): nil and JavaScript's undefined are null. A value
// that is not what s describes (a string where s is an object) passes:
// decoding reports that.
func (v Value) Check(s *Shape) error { return v.check(s, false) }

// CheckTimes reports the first value of shape [Time] in v that is not an
// RFC 3339 string ("is the number 1700000000000, not a time", `is
// "yesterday", not an RFC 3339 time`), or of shape [Binary] that is not an
// attachment, and nothing else: decoding fails on those without saying
// where (Check leaves times to decoding).
func (v Value) CheckTimes(s *Shape) error { return v.check(s, true) }

func (v Value) check(s *Shape, times bool) error {
	if !s.checked() && !(times && s == Time) {
		return nil
	}
	if v.kind != kindJSON {
		j, err := v.AsJSON()
		if err != nil {
			return nil // it does not decode either
		}
		v = j
	}
	c := jsonChecker{jscan: jscan{b: v.raw}, times: times}
	if _, err := c.check(c.skipWS(0), s); err != nil {
		err.Path, err.elems = joinElems(err.elems), nil
		return err
	}
	return nil
}

// ---- JSON ----

type jsonChecker struct {
	jscan
	times bool // check the form of times
}

// descends reports whether the checker looks into a value of shape s.
func (c *jsonChecker) descends(s *Shape) bool { return s.checked() || c.times && s == Time }

// time checks that the value at b[i] is an RFC 3339 string, as
// time.Time's UnmarshalJSON reads it.
func (c *jsonChecker) time(i int) (int, *ShapeError) {
	end, err := c.value(i)
	if err != nil {
		return len(c.b), nil
	}
	var t time.Time
	switch raw := c.b[i:end]; {
	case raw[0] != '"':
		return 0, &ShapeError{Reason: "is " + valueWord(raw) + ", not a time"}
	case t.UnmarshalJSON(raw) != nil:
		if len(raw) > 40 {
			n := 36
			for n > 1 && !utf8.RuneStart(raw[n]) {
				n--
			}
			raw = append(raw[:n:n], `…"`...)
		}
		return 0, &ShapeError{Reason: "is " + string(raw) + ", not an RFC 3339 time"}
	}
	return end, nil
}

// valueWord names the JSON value raw: "a string", "the number 12".
func valueWord(raw []byte) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "the number " + string(raw)
}

// binary checks that the value at b[i] is an attachment's placeholder (an
// object: one that is not a placeholder fails decoding).
func (c *jsonChecker) binary(i int) (int, *ShapeError) {
	end, err := c.value(i)
	if err != nil {
		return len(c.b), nil
	}
	if c.b[i] != '{' {
		return 0, &ShapeError{Reason: "is " + valueWord(c.b[i:end]) + ", not binary"}
	}
	return end, nil
}

// check checks the non-null value at b[i] against s and returns the index
// after it. Invalid JSON ends the check without an error: the value did
// not decode, and decoding said why.
func (c *jsonChecker) check(i int, s *Shape) (int, *ShapeError) {
	if i >= len(c.b) {
		return len(c.b), nil
	}
	switch {
	case s.kind == shapeTime:
		return c.time(i)
	case s.kind == shapeBinary:
		return c.binary(i)
	case s.kind == shapeObject && c.b[i] == '{':
		return c.object(i, s)
	case s.kind == shapeList && c.b[i] == '[':
		return c.list(i, s.elem)
	case s.kind == shapeMap && c.b[i] == '{':
		return c.object(i, s)
	}
	end, err := c.value(i)
	if err != nil {
		return len(c.b), nil
	}
	return end, nil
}

// member checks a member's (or an element's) value at b[i] against s;
// null reports whether it is null. It returns the index after the value.
func (c *jsonChecker) member(i int, s *Shape) (end int, null bool, err *ShapeError) {
	if i < len(c.b) && c.b[i] == 'n' {
		end, serr := c.lit(i, "null")
		if serr != nil {
			return len(c.b), false, nil
		}
		return end, true, nil
	}
	if c.descends(s) {
		end, err = c.check(i, s)
		return end, false, err
	}
	end, serr := c.value(i)
	if serr != nil {
		return len(c.b), false, nil
	}
	return end, false, nil
}

// object checks an object of shape s (an object shape or a map shape).
func (c *jsonChecker) object(start int, s *Shape) (int, *ShapeError) {
	if c.depth++; c.depth > maxDepth {
		return len(c.b), nil
	}
	defer func() { c.depth-- }()
	var seen fieldSet
	seen.init(s)
	i := c.skipWS(start + 1)
	for i < len(c.b) && c.b[i] != '}' {
		if c.b[i] != '"' {
			return len(c.b), nil
		}
		kend, esc, err := c.str(i)
		if err != nil {
			return len(c.b), nil
		}
		key, ok := c.text(i, kend, esc)
		if !ok {
			return len(c.b), nil
		}
		i = c.skipWS(kend)
		if i >= len(c.b) || c.b[i] != ':' {
			return len(c.b), nil
		}
		f, fs := s.member(key)
		vend, isNull, serr := c.member(c.skipWS(i+1), fs)
		if serr == nil {
			if serr = seen.add(s, key, f, isNull); c.times {
				serr = nil // only times
			}
		}
		if serr != nil {
			return 0, serr.under(s.elemPath(key, f))
		}
		if i = c.skipWS(vend); i < len(c.b) && c.b[i] == ',' {
			i = c.skipWS(i + 1)
		} else if i >= len(c.b) || c.b[i] != '}' {
			return len(c.b), nil
		}
	}
	if i >= len(c.b) {
		return len(c.b), nil
	}
	if f := seen.missing(s); f != "" && !c.times {
		return 0, required(f)
	}
	return i + 1, nil
}

// list checks the elements of an array: not null (unless elem is Any),
// and of shape elem.
func (c *jsonChecker) list(start int, elem *Shape) (int, *ShapeError) {
	if c.depth++; c.depth > maxDepth {
		return len(c.b), nil
	}
	defer func() { c.depth-- }()
	i := c.skipWS(start + 1)
	for k := 0; i < len(c.b) && c.b[i] != ']'; k++ {
		end, isNull, err := c.member(i, elem)
		if err == nil && isNull && elem != Any && !c.times {
			err = &ShapeError{Reason: "is null"}
		}
		if err != nil {
			return 0, err.under("[" + strconv.Itoa(k) + "]")
		}
		if i = c.skipWS(end); i < len(c.b) && c.b[i] == ',' {
			i = c.skipWS(i + 1)
		} else if i >= len(c.b) || c.b[i] != ']' {
			return len(c.b), nil
		}
	}
	if i >= len(c.b) {
		return len(c.b), nil
	}
	return i + 1, nil
}

// member returns the index of the field named key (-1 when there is none,
// or when s is a map) and the shape of its value. As encoding/json, it
// prefers the field of that exact name but takes one whose name is equal
// under Unicode case folding (ſ is s, K is k).
func (s *Shape) member(key []byte) (int, *Shape) {
	if s.kind == shapeMap {
		return -1, s.elem
	}
	for f := range s.fields {
		if s.fields[f].Name == string(key) {
			return f, s.fields[f].Shape
		}
	}
	for f := range s.fields {
		if strings.EqualFold(s.fields[f].Name, string(key)) {
			return f, s.fields[f].Shape
		}
	}
	return -1, nil
}

// elemPath is the path element of the member key, field f (-1: none) of s.
func (s *Shape) elemPath(key []byte, f int) string {
	switch {
	case s.kind == shapeMap:
		return "[" + strconv.Quote(string(key)) + "]"
	case f >= 0:
		return s.fields[f].Name
	}
	return string(key)
}

// A fieldSet records the fields of an object seen with a value.
type fieldSet struct {
	bits uint64
	more []bool // the fields after the 64th
}

func (fs *fieldSet) init(s *Shape) {
	if len(s.fields) > 64 {
		fs.more = make([]bool, len(s.fields)-64)
	}
}

// add records the member key (field f of s), whose value is null or not;
// a null value of a map is an error (at the top: under adds the key).
func (fs *fieldSet) add(s *Shape, key []byte, f int, isNull bool) *ShapeError {
	if s.kind == shapeMap {
		if isNull && s.elem != Any {
			return &ShapeError{Reason: "is null"}
		}
		return nil
	}
	if f < 0 {
		return nil
	}
	// The last member for a field decides, as it does for decoding (a
	// later null empties a list).
	present := !isNull || s.fields[f].Shape == Any
	switch {
	case f < 64 && present:
		fs.bits |= 1 << f
	case f < 64:
		fs.bits &^= 1 << f
	default:
		fs.more[f-64] = present
	}
	return nil
}

// missing returns the name of the first required field of s not seen, or "".
func (fs *fieldSet) missing(s *Shape) string {
	if s.kind != shapeObject {
		return ""
	}
	for f := range s.fields {
		if s.fields[f].Optional || s.fields[f].Shape == Any {
			continue // any may be undefined, which JSON leaves out
		}
		if f < 64 && fs.bits&(1<<f) == 0 || f >= 64 && !fs.more[f-64] {
			return s.fields[f].Name
		}
	}
	return ""
}

// CheckField checks v, an object, as one whose only known member is f: f
// present unless optional, and its value of f's shape. It is [Value.Check]
// of a shape with the one field f.
func (v Value) CheckField(f Field) error {
	s := Shape{fields: []Field{f}}
	return v.Check(&s)
}
