package parser

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// field is one JSON-visible struct field, as encoding/json sees it.
type field struct {
	name      string
	key       []byte // `"name":`, pre-encoded
	index     []int
	omitEmpty bool
	omitZero  bool
	quoted    bool // ",string"
	typ       reflect.Type
}

type structFields struct{ list []field }

var fieldCache sync.Map // reflect.Type -> *structFields

// cachedFields returns the JSON fields of struct type t, following the
// encoding/json rules for tags and embedded structs (simplified conflict
// resolution: the shallowest field wins, a tagged one among equals, and
// ambiguous names are dropped).
func cachedFields(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	type cand struct {
		field
		depth  int
		tagged bool
	}
	var all []cand
	var walk func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
				if name == "" && et.Kind() == reflect.Struct {
					walk(et, append(append([]int(nil), index...), i), depth+1, seen)
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if name == "" {
				name = sf.Name
			}
			f := field{
				name:  name,
				index: append(append([]int(nil), index...), i),
				typ:   ft,
			}
			for opts != "" {
				var o string
				o, opts, _ = strings.Cut(opts, ",")
				switch o {
				case "omitempty":
					f.omitEmpty = true
				case "omitzero":
					f.omitZero = true
				case "string":
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						f.quoted = true
					}
				}
			}
			k := appendJSONString(nil, name)
			f.key = append(k, ':')
			all = append(all, cand{f, depth, tagged})
		}
	}
	walk(t, nil, 0, map[reflect.Type]bool{})

	// Resolve name conflicts, keeping field order.
	byName := map[string][]int{}
	for i, c := range all {
		byName[c.name] = append(byName[c.name], i)
	}
	keep := make([]bool, len(all))
	for _, idx := range byName {
		best := -1
		ambiguous := false
		for _, i := range idx {
			switch {
			case best < 0:
				best = i
			case all[i].depth < all[best].depth:
				best, ambiguous = i, false
			case all[i].depth == all[best].depth:
				if all[i].tagged && !all[best].tagged {
					best, ambiguous = i, false
				} else if all[i].tagged == all[best].tagged {
					ambiguous = true
				}
			}
		}
		if !ambiguous {
			keep[best] = true
		}
	}
	sf := &structFields{}
	for i, c := range all {
		if keep[i] {
			sf.list = append(sf.list, c.field)
		}
	}
	f, _ := fieldCache.LoadOrStore(t, sf)
	return f.(*structFields)
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	valueType         = reflect.TypeFor[Value]()
	bytesCache        sync.Map // reflect.Type -> bool
)

// needsWalk reports whether a value of type t can contain a []byte (or a
// Value) that the JSON encoder must turn into an attachment, or a
// JSONAppender (a generated type) that must write itself: encoding/json
// cannot encode it. Interfaces may hold anything. Types with their own
// MarshalJSON / MarshalText are opaque.
func needsWalk(t reflect.Type) bool {
	if b, ok := bytesCache.Load(t); ok {
		return b.(bool)
	}
	b := needsWalkRec(t, map[reflect.Type]bool{})
	bytesCache.Store(t, b)
	return b
}

func needsWalkRec(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if t == valueType || (t.Kind() == reflect.Pointer && t.Elem() == valueType) {
		return true
	}
	if t.Implements(appenderType) || t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(appenderType) {
		return true
	}
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return false
	}
	if visiting[t] {
		return false // the other paths decide
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			// encoding/json sends []byte of any named byte type as base64
			return !reflect.PointerTo(t.Elem()).Implements(jsonMarshalerType) &&
				!reflect.PointerTo(t.Elem()).Implements(textMarshalerType)
		}
		return needsWalkRec(t.Elem(), visiting)
	case reflect.Array, reflect.Pointer:
		return needsWalkRec(t.Elem(), visiting)
	case reflect.Map:
		return needsWalkRec(t.Elem(), visiting)
	case reflect.Struct:
		for _, f := range cachedFields(t).list {
			if needsWalkRec(f.typ, visiting) {
				return true
			}
		}
	}
	return false
}
