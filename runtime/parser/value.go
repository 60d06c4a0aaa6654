package parser

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// value kinds
const (
	kindGo      uint8 = iota // v holds a Go value to encode
	kindJSON                 // raw holds JSON text
	kindMsgpack              // raw holds one MessagePack value
)

// value flags
const (
	flagPlaceholders uint8 = 1 << iota // JSON: raw contains attachment placeholders (bins set)
	flagExt                            // msgpack: raw contains an ext value (JS undefined, Date...)
	// flagShared: raw, from a decoder, holds at least half of its packet's
	// bytes, which are never modified (Decoder.Add), and is, in JSON, a
	// string without escapes. AsString returns such a string without a
	// copy; it keeps the packet's bytes alive, at most about twice its size.
	flagShared
)

// A Value is one element of a packet's data: an event argument, the event
// name, a CONNECT payload. It is either a Go value to encode ([ValueOf]) or a
// value decoded from the wire, kept in its encoded form and decoded on demand
// ([Value.Decode]); re-encoding a decoded Value with the same codec copies its
// bytes. The zero Value is a Go nil (encoded as null).
//
// A Value is immutable and may be shared between goroutines.
type Value struct {
	kind  uint8
	flags uint8
	raw   []byte    // JSON text or MessagePack bytes
	bins  *[][]byte // JSON: the packet's attachments, indexed by placeholder num (see attachments)
	v     any       // kindGo
}

// attachments returns the binary attachments a JSON value's placeholders
// refer to. They are behind a pointer, shared by the values of a packet, so
// that a Value is 56 bytes rather than 72: most values have none.
func (v *Value) attachments() [][]byte {
	if v.bins == nil {
		return nil
	}
	return *v.bins
}

// binsRef returns a reference to bins for Value.bins, or nil when there are
// none.
func binsRef(bins [][]byte) *[][]byte {
	if len(bins) == 0 {
		return nil
	}
	return &bins
}

// ValuesOf wraps each of args with ValueOf: the arguments of a packet.
func ValuesOf(args ...any) []Value {
	vals := make([]Value, len(args))
	for i, a := range args {
		vals[i] = ValueOf(a)
	}
	return vals
}

// ValueOf wraps a Go value for encoding. []byte values anywhere inside v
// (including struct fields and map values) are sent as binary. Struct fields
// are named by their json tags with both codecs. A Value passed to ValueOf is
// returned unchanged.
func ValueOf(v any) Value {
	switch x := v.(type) {
	case Value:
		return x
	case *Value:
		if x != nil {
			return *x
		}
	}
	return Value{v: v}
}

// RawJSON returns a Value holding already encoded JSON text, which the JSON
// codec writes as is. It does not check that b is valid JSON.
func RawJSON(b []byte) Value { return Value{kind: kindJSON, raw: b} }

// RawMsgpack returns a Value holding one already encoded MessagePack value,
// which the MessagePack codec writes as is. It does not check b.
func RawMsgpack(b []byte) Value { return Value{kind: kindMsgpack, raw: b} }

// Raw returns the encoded bytes of a Value decoded from the wire (JSON text
// or MessagePack), or nil for a Go value. A JSON value that came with binary
// attachments still contains its {"_placeholder":true,"num":N} objects. The
// bytes are the packet's, shared with the strings decoded from it (see
// AsString): they must not be modified.
func (v Value) Raw() []byte {
	if v.kind == kindGo {
		return nil
	}
	return v.raw
}

// Interface returns the Go value given to [ValueOf], or nil for a decoded
// value.
func (v Value) Interface() any {
	if v.kind == kindGo {
		return v.v
	}
	return nil
}

// IsEncoded reports whether v was decoded from the wire (or built with
// RawJSON / RawMsgpack).
func (v Value) IsEncoded() bool { return v.kind != kindGo }

// IsZero reports whether v is the zero Value or wraps a Go nil. Encoders
// that omit empty fields (msgpack's omitempty) ask it; without it a Value,
// having no exported fields, would always look empty to them.
func (v Value) IsZero() bool { return v.kind == kindGo && v.v == nil }

// IsNull reports whether v is null: JSON null, MessagePack nil or
// JavaScript's undefined (as socket.io-msgpack-parser writes it), or a Go
// nil.
func (v Value) IsNull() bool {
	switch v.kind {
	case kindJSON:
		return string(v.raw) == "null"
	case kindMsgpack:
		return len(v.raw) == 1 && v.raw[0] == 0xc0 || isUndefined(v.raw)
	}
	return v.v == nil
}

// HasBinary reports whether a decoded JSON value refers to binary attachments.
func (v Value) HasBinary() bool { return v.flags&flagPlaceholders != 0 }

// AsString returns v as a string when it is one (a JSON string, a MessagePack
// str, or a Go string). A decoded string that holds at least half of its
// packet is not copied: it shares the packet's bytes (which nothing
// modifies: see Decoder.Add), and keeps them alive as long as it lives,
// at most about twice its own size. A shorter one is a copy.
func (v Value) AsString() (s string, ok bool) {
	switch v.kind {
	case kindGo:
		s, ok = v.v.(string)
		return s, ok
	case kindJSON, kindMsgpack:
		if b, ok := v.plainString(); ok {
			if v.flags&flagShared != 0 {
				return unsafe.String(unsafe.SliceData(b), len(b)), true
			}
			return string(b), true
		}
		if v.kind == kindMsgpack {
			return "", false
		}
		return jsonString(v.raw)
	}
	return "", false
}

// jsonString decodes a JSON string that needs unescaping. (Apart from
// AsString: the pointer given to json.Unmarshal would move AsString's result
// to the heap on every call, the fast path's included.)
func jsonString(r []byte) (s string, ok bool) {
	if len(r) < 2 || r[0] != '"' || json.Unmarshal(r, &s) != nil {
		return "", false
	}
	return s, true
}

// plainString returns the bytes of a string value that needs no decoding (a
// JSON string without escapes, in valid UTF-8, or a MessagePack str), without
// copying them.
func (v Value) plainString() ([]byte, bool) {
	switch v.kind {
	case kindJSON:
		r := v.raw
		if len(r) < 2 || r[0] != '"' || v.flags&flagShared == 0 && bytes.IndexByte(r, '\\') >= 0 || !utf8.Valid(r) {
			return nil, false
		}
		return r[1 : len(r)-1], true
	case kindMsgpack:
		return mpString(v.raw)
	}
	return nil, false
}

// Decode decodes v into dst, a non-nil pointer, as encoding/json (JSON codec)
// or msgpack with json struct tags (MessagePack codec) would. Binary
// attachments and MessagePack bin values are delivered into []byte
// destinations, and as []byte into interface destinations. A destination
// that writes itself as JSON ([JSONAppender]: the generated types), or a
// slice, array, map or pointer of such, is decoded from the value's JSON
// form ([Value.AsJSON]), the form the MessagePack codec sends it in. A Go
// value (from ValueOf) is converted by a JSON round trip unless it is
// directly assignable to *dst.
func (v Value) Decode(dst any) error {
	if dst == nil {
		return fmt.Errorf("%w: Decode(nil)", ErrUnsupportedValue)
	}
	switch p := dst.(type) {
	case *Value:
		*p = v
		return nil
	case *string:
		// The common argument: no reflection when it is a plain string
		// (same result as the decoders; anything else goes to them).
		if s, ok := v.AsString(); ok {
			*p = s
			return nil
		}
	}
	switch v.kind {
	case kindJSON:
		if v.flags&flagPlaceholders == 0 {
			return json.Unmarshal(v.raw, dst)
		}
		return decodeJSONWithBinary(v.raw, v.attachments(), dst)
	case kindMsgpack:
		if hasJSONForm(reflect.TypeOf(dst)) {
			// A generated type: decoded from its JSON form, in which the
			// MessagePack codec sends it.
			j, err := v.AsJSON()
			if err != nil {
				return err
			}
			return j.Decode(dst)
		}
		return decodeMsgpack(v.raw, v.flags&flagExt != 0, dst)
	}
	// Go value.
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%w: Decode into non-pointer %T", ErrUnsupportedValue, dst)
	}
	if v.v == nil {
		rv.Elem().SetZero()
		return nil
	}
	src := reflect.ValueOf(v.v)
	if src.Type().AssignableTo(rv.Elem().Type()) {
		rv.Elem().Set(src)
		return nil
	}
	// Convert through the JSON codec (keeps []byte as binary).
	tmp, err := goJSON(v.v)
	if err != nil {
		return err
	}
	return tmp.Decode(dst)
}

// goJSON encodes a Go value as the JSON codec sends it ([]byte values as
// placeholders of binary attachments) and returns it as a decoded Value.
func goJSON(x any) (Value, error) {
	var enc jsonEncoder
	defer enc.release()
	if err := enc.goValue(x); err != nil {
		return Value{}, err
	}
	v := Value{kind: kindJSON, raw: enc.buf, bins: binsRef(enc.bins)}
	if len(enc.bins) > 0 {
		v.flags = flagPlaceholders
	}
	return v, nil
}

// MarshalJSON implements json.Marshaler, so a Value can be nested inside
// other Go values. Binary attachments inside a nested decoded value are
// encoded as base64 strings by encoding/json; put the Value directly in a
// packet's Data (or in a []any / map[string]any / struct given to ValueOf)
// to keep them binary.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case kindJSON:
		if v.flags&flagPlaceholders == 0 {
			return v.raw, nil
		}
	case kindGo:
		return json.Marshal(v.v)
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

// UnmarshalJSON implements json.Unmarshaler: the Value keeps a copy of the
// JSON text, to be decoded later.
func (v *Value) UnmarshalJSON(b []byte) error {
	*v = Value{kind: kindJSON, raw: bytes.Clone(b)}
	return nil
}

// EncodeMsgpack implements msgpack.CustomEncoder, so a Value can be nested
// inside other Go values encoded by the MessagePack codec.
func (v Value) EncodeMsgpack(e *msgpack.Encoder) error {
	switch v.kind {
	case kindMsgpack:
		return e.Encode(msgpack.RawMessage(v.raw))
	case kindGo:
		return e.Encode(v.v)
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return err
	}
	return e.Encode(x)
}

// DecodeMsgpack implements msgpack.CustomDecoder: the Value keeps a copy of
// the MessagePack bytes, to be decoded later.
func (v *Value) DecodeMsgpack(d *msgpack.Decoder) error {
	raw, err := d.DecodeRaw()
	if err != nil {
		return err
	}
	*v = Value{kind: kindMsgpack, raw: bytes.Clone(raw)}
	if _, ext, err := mpSkip(v.raw, 0, 0); err == nil && ext {
		v.flags = flagExt
	}
	return nil
}

// String returns a short description of v for logs: its JSON text, a
// MessagePack dump marker, or the %v of the Go value.
func (v Value) String() string {
	switch v.kind {
	case kindJSON:
		return string(v.raw)
	case kindMsgpack:
		var x any
		if err := v.Decode(&x); err != nil {
			return "<msgpack " + strconv.Quote(string(v.raw)) + ">"
		}
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v.v)
}

// decodeJSONWithBinary decodes JSON text whose placeholders refer to bins.
func decodeJSONWithBinary(raw []byte, bins [][]byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &json.InvalidUnmarshalError{Type: reflect.TypeOf(dst)}
	}
	spans, err := placeholderSpans(raw)
	if err != nil {
		return err
	}
	// The generic tree, with []byte at the placeholders.
	tree, err := jsonTree(raw, spans, bins)
	if err != nil {
		return err
	}
	if p, ok := dst.(*any); ok {
		*p = tree
		return nil
	}
	// Typed destination: placeholders become base64 strings, which
	// encoding/json decodes into []byte; then interface slots that received
	// such a string get the []byte from the tree.
	out := make([]byte, 0, len(raw)+64)
	last := 0
	for _, s := range spans {
		if s.num < 0 || s.num >= len(bins) {
			return fmt.Errorf("%w: placeholder num out of range", ErrInvalidAttachments)
		}
		out = append(out, raw[last:s.start]...)
		b := bins[s.num]
		out = append(out, '"')
		out = base64Append(out, b)
		out = append(out, '"')
		last = s.end
	}
	out = append(out, raw[last:]...)
	if err := json.Unmarshal(out, dst); err != nil {
		return err
	}
	fixInterfaces(rv.Elem(), tree, 0)
	return nil
}

// jsonTree decodes raw into a generic tree and puts the attachments in place.
func jsonTree(raw []byte, spans []span, bins [][]byte) (any, error) {
	if len(spans) == 0 {
		var x any
		err := json.Unmarshal(raw, &x)
		return x, err
	}
	// Replace every placeholder with a unique marker object, decode, then
	// swap the markers for the bytes.
	out := make([]byte, 0, len(raw)+16*len(spans))
	last := 0
	for _, s := range spans {
		out = append(out, raw[last:s.start]...)
		out = append(out, binMarkerKey...)
		out = strconv.AppendInt(out, int64(s.num), 10)
		out = append(out, '}')
		last = s.end
	}
	out = append(out, raw[last:]...)
	var x any
	if err := json.Unmarshal(out, &x); err != nil {
		return nil, err
	}
	return putBins(x, bins), nil
}

// binMarker is the key of the objects that stand for attachments while
// a value with attachments is decoded into a generic tree. It holds a
// random part, so a peer cannot write one (an object with this key and
// another index would take another attachment's bytes, or index past them).
var binMarker = func() string {
	var r [12]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(err)
	}
	return "\x00siogen_bin_" + hex.EncodeToString(r[:])
}()

// binMarkerKey is `{"<binMarker>":`, as written in the JSON text.
var binMarkerKey = []byte(`{"\u0000` + binMarker[1:] + `":`)

func putBins(x any, bins [][]byte) any {
	switch t := x.(type) {
	case map[string]any:
		if n, ok := t[binMarker].(float64); ok && len(t) == 1 {
			if n >= 0 && n < float64(len(bins)) && n == math.Trunc(n) {
				return bins[int(n)]
			}
			return nil
		}
		for k, e := range t {
			t[k] = putBins(e, bins)
		}
	case []any:
		for i, e := range t {
			t[i] = putBins(e, bins)
		}
	}
	return x
}

func treeHasBytes(x any) bool {
	switch t := x.(type) {
	case []byte:
		return true
	case map[string]any:
		for _, e := range t {
			if treeHasBytes(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if treeHasBytes(e) {
				return true
			}
		}
	}
	return false
}

// fixInterfaces walks a value decoded by encoding/json next to the generic
// tree of the same JSON and stores the tree's subtrees that contain []byte in
// the interface slots (which received base64 strings instead).
func fixInterfaces(rv reflect.Value, tree any, depth int) {
	if depth > maxDepth || !treeHasBytes(tree) {
		return
	}
	switch rv.Kind() {
	case reflect.Interface:
		if rv.NumMethod() == 0 && rv.CanSet() {
			rv.Set(reflect.ValueOf(tree))
		}
	case reflect.Pointer:
		if !rv.IsNil() {
			fixInterfaces(rv.Elem(), tree, depth+1)
		}
	case reflect.Slice, reflect.Array:
		arr, ok := tree.([]any)
		if !ok {
			return
		}
		for i := 0; i < rv.Len() && i < len(arr); i++ {
			fixInterfaces(rv.Index(i), arr[i], depth+1)
		}
	case reflect.Map:
		m, ok := tree.(map[string]any)
		if !ok || rv.IsNil() || rv.Type().Key().Kind() != reflect.String {
			return
		}
		et := rv.Type().Elem()
		iter := rv.MapRange()
		type kv struct{ k, v reflect.Value }
		var updates []kv
		for iter.Next() {
			sub, ok := m[iter.Key().String()]
			if !ok || !treeHasBytes(sub) {
				continue
			}
			tmp := reflect.New(et).Elem()
			tmp.Set(iter.Value())
			fixInterfaces(tmp, sub, depth+1)
			updates = append(updates, kv{iter.Key(), tmp})
		}
		for _, u := range updates {
			rv.SetMapIndex(u.k, u.v)
		}
	case reflect.Struct:
		m, ok := tree.(map[string]any)
		if !ok {
			return
		}
		for _, f := range cachedFields(rv.Type()).list {
			sub, ok := m[f.name]
			if !ok {
				for k, e := range m {
					if strings.EqualFold(k, f.name) {
						sub, ok = e, true
						break
					}
				}
			}
			if !ok {
				continue
			}
			fv, err := rv.FieldByIndexErr(f.index)
			if err != nil {
				continue
			}
			fixInterfaces(fv, sub, depth+1)
		}
	}
}

// msgpack decoding of values

type mpDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var mpDecPool = sync.Pool{New: func() any {
	d := &mpDecoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

func decodeMsgpack(raw []byte, ext bool, dst any) error {
	if ext {
		raw = mpNormalize(make([]byte, 0, len(raw)+8), raw)
	}
	d := mpDecPool.Get().(*mpDecoder)
	defer func() {
		d.r.Reset(nil)
		mpDecPool.Put(d)
	}()
	d.r.Reset(raw)
	d.dec.Reset(&d.r)
	d.dec.SetCustomStructTag("json")
	switch p := dst.(type) {
	case *any, *map[string]any, *[]any:
		x, err := d.dec.DecodeInterface()
		if err != nil {
			return err
		}
		x = widenNumbers(x)
		switch p := p.(type) {
		case *any:
			*p = x
			return nil
		case *map[string]any:
			if m, ok := x.(map[string]any); ok || x == nil {
				*p = m
				return nil
			}
		case *[]any:
			if a, ok := x.([]any); ok || x == nil {
				*p = a
				return nil
			}
		}
		return fmt.Errorf("msgpack: cannot decode %T into %T", x, dst)
	}
	return d.dec.Decode(dst)
}

// widenNumbers turns the sized integers and float32 that msgpack decodes
// into interfaces into int64 (uint64 above MaxInt64) and float64.
func widenNumbers(x any) any {
	switch t := x.(type) {
	case int8:
		return int64(t)
	case int16:
		return int64(t)
	case int32:
		return int64(t)
	case uint8:
		return int64(t)
	case uint16:
		return int64(t)
	case uint32:
		return int64(t)
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t)
		}
	case float32:
		return float64(t)
	case map[string]any:
		for k, e := range t {
			t[k] = widenNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = widenNumbers(e)
		}
	}
	return x
}
