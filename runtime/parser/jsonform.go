package parser

import (
	"reflect"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Go values reach MessagePack clients, and the other nodes of a cluster
// (the Redis adapter speaks MessagePack), encoded by msgpack's reflection,
// which knows nothing of encoding/json's methods: a type's MarshalJSON or
// MarshalText would be skipped, and json.RawMessage or a []byte-based type
// with MarshalText (net.IP, a UUID type) would travel as binary, where a
// JSON client gets what the methods write. A Go value that holds such a
// type is therefore written in its JSON form — what the JSON codec writes,
// binary attachments kept binary — so that every client of every node sees
// the same data. Types with their own MessagePack encoding
// (msgpack.CustomEncoder, msgpack.Marshaler), time.Time (a MessagePack
// timestamp) and Value keep it. Values without such types, the usual case,
// are encoded directly; the check is per type, cached, and looks at the
// values only where the type has interfaces (map[string]any).

// form is what a type tells about its values' MessagePack encoding.
type form uint8

const (
	formPlain   form = iota // msgpack's reflection writes what JSON means
	formJSON                // it holds a type with JSON methods: use the JSON form
	formDynamic             // it holds interfaces: look at the values
)

var (
	mpEncoderType   = reflect.TypeFor[msgpack.CustomEncoder]()
	mpMarshalerType = reflect.TypeFor[msgpack.Marshaler]()
	timeType        = reflect.TypeFor[time.Time]()
	formCache       sync.Map // reflect.Type -> form
)

func typeForm(t reflect.Type) form {
	if f, ok := formCache.Load(t); ok {
		return f.(form)
	}
	f := typeFormRec(t, map[reflect.Type]bool{})
	formCache.Store(t, f)
	return f
}

// implements reports whether t or *t has the method set of it.
func implements(t, it reflect.Type) bool {
	return t.Implements(it) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(it))
}

func typeFormRec(t reflect.Type, visiting map[reflect.Type]bool) form {
	switch {
	case t == valueType || t == timeType || implements(t, mpEncoderType) || implements(t, mpMarshalerType):
		return formPlain
	case t.Kind() != reflect.Interface && (implements(t, jsonMarshalerType) || implements(t, textMarshalerType)):
		return formJSON
	case visiting[t]:
		return formPlain // the other paths decide
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Interface:
		return formDynamic
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeFormRec(t.Elem(), visiting)
	case reflect.Map:
		return max(typeFormRec(t.Key(), visiting), typeFormRec(t.Elem(), visiting))
	case reflect.Struct:
		f := formPlain
		for _, sf := range cachedFields(t).list {
			f = max(f, typeFormRec(sf.typ, visiting))
		}
		return f
	}
	return formPlain
}

// needsJSONForm reports whether rv holds a value that must be written in
// its JSON form (see the top of this file).
func needsJSONForm(rv reflect.Value, depth int) bool {
	if !rv.IsValid() || depth > maxDepth {
		return false
	}
	switch typeForm(rv.Type()) {
	case formPlain:
		return false
	case formJSON:
		return true
	}
	switch rv.Kind() {
	case reflect.Interface, reflect.Pointer:
		return !rv.IsNil() && needsJSONForm(rv.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if needsJSONForm(rv.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		for it := rv.MapRange(); it.Next(); {
			if needsJSONForm(it.Key(), depth+1) || needsJSONForm(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Struct:
		for _, sf := range cachedFields(rv.Type()).list {
			if f, err := rv.FieldByIndexErr(sf.index); err == nil && needsJSONForm(f, depth+1) {
				return true
			}
		}
	}
	return false
}

// jsonForm returns x as the JSON codec writes it, decoded to a generic
// tree ([]byte where the attachments are, integers as int64).
func jsonForm(x any) (any, error) {
	v, err := encodedJSON(x)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := v.Decode(&tree); err != nil {
		return nil, err
	}
	return integers(tree), nil
}

// integers turns the integral float64 of a decoded JSON tree into int64,
// as MessagePack writes integers.
func integers(x any) any {
	switch t := x.(type) {
	case float64:
		if t == float64(int64(t)) && t >= -(1<<63) && t < 1<<63 {
			return int64(t)
		}
	case []any:
		for i := range t {
			t[i] = integers(t[i])
		}
	case map[string]any:
		for k, v := range t {
			t[k] = integers(v)
		}
	}
	return x
}
