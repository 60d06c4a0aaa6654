package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// Schema is a loaded, validated and resolved schema file. Everything in it
// is in the order it was written in the file.
type Schema struct {
	// File is the file name the schema was parsed from, as given.
	File string `json:"file"`
	// Version is the value of the `siogen:` key; always 1 for now.
	Version int  `json:"version"`
	Info    Info `json:"info"`
	// Errors are the error codes the schema declares, in order. The
	// built-in codes are not included; see [BuiltinErrors].
	Errors []*ErrorCode `json:"errors,omitempty"`
	// Types are the named types declared under `types:`, in order.
	Types []*NamedType `json:"types,omitempty"`
	// Inline are the types the schema declares inline (an object or enum
	// written directly as a payload, ack, argument, auth or field type),
	// each given a generated name, in the order they appear in the file.
	Inline     []*NamedType `json:"inline,omitempty"`
	Namespaces []*Namespace `json:"namespaces,omitempty"`
	Extensions Extensions   `json:"extensions,omitempty"`
	// Warnings are the problems that did not stop loading (for example each
	// use of int64), sorted by position.
	Warnings Problems `json:"-"`

	types  map[string]*NamedType
	errors map[string]*ErrorCode
}

// AllTypes returns the declared types followed by the inline ones: every
// named type a generator has to declare.
func (s *Schema) AllTypes() []*NamedType {
	out := make([]*NamedType, 0, len(s.Types)+len(s.Inline))
	out = append(out, s.Types...)
	return append(out, s.Inline...)
}

// Type returns the named type called name (declared or inline), or nil.
func (s *Schema) Type(name string) *NamedType { return s.types[name] }

// ErrorCode returns the error code with the given code, declared or built
// in, or nil.
func (s *Schema) ErrorCode(code string) *ErrorCode {
	if e := s.errors[code]; e != nil {
		return e
	}
	for _, e := range BuiltinErrors {
		if e.Code == code {
			return e
		}
	}
	return nil
}

// Namespace returns the namespace with the given path (as written, e.g.
// "/workspace/{id}"), or nil.
func (s *Schema) Namespace(path string) *Namespace {
	for _, ns := range s.Namespaces {
		if ns.Name == path {
			return ns
		}
	}
	return nil
}

// Extensions holds the `x-*` keys of a mapping, their values as JSON data:
// map[string]any, []any, strings, numbers (int, float64), booleans and nil
// (a scalar key as written, a timestamp or other tagged scalar as its
// text). A nil map means there were none.
type Extensions map[string]any

// Info is the `info:` section.
type Info struct {
	Title      string     `json:"title,omitempty"`
	Version    string     `json:"version,omitempty"`
	Doc        string     `json:"doc,omitempty"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// ErrorCode is an application error code that an ack may carry in its
// error envelope: {"ok":false,"error":{"code":"rate_limited","message":"…"}}.
type ErrorCode struct {
	// Code is the wire value, snake_case: "rate_limited".
	Code string `json:"code"`
	// GoName is the code as a Go name: RateLimited. Generated Go code
	// declares the constant Code+GoName (CodeRateLimited).
	GoName string `json:"goName"`
	// Doc is the description, also the default message.
	Doc        string     `json:"doc,omitempty"`
	Deprecated bool       `json:"deprecated,omitempty"`
	Builtin    bool       `json:"builtin,omitempty"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// BuiltinErrors are the error codes every ack may carry without declaring
// them. They are provided by the runtime, not by generated code.
var BuiltinErrors = []*ErrorCode{
	{Code: "invalid_argument", GoName: "InvalidArgument", Builtin: true,
		Doc: "The payload or arguments failed to decode or validate."},
	{Code: "unimplemented", GoName: "Unimplemented", Builtin: true,
		Doc: "The server has no handler for this event."},
	{Code: "internal", GoName: "Internal", Builtin: true,
		Doc: "The handler failed with an error that is not an error code."},
	{Code: "timeout", GoName: "Timeout", Builtin: true,
		Doc: "No ack arrived before the deadline (produced locally by the caller)."},
}

// NamedType is a type with a name: declared under `types:` or generated for
// an inline object or enum.
type NamedType struct {
	// Name is the name as declared, or the generated name of an inline type.
	Name string `json:"name"`
	// GoName is the Go type name: Name with its first letter and the first
	// letter of every word capitalised and separators dropped.
	GoName     string `json:"goName"`
	Doc        string `json:"doc,omitempty"`
	Deprecated bool   `json:"deprecated,omitempty"`
	// Type is the definition. Its Kind is never KindOptional. Objects and
	// enums (KindObject, KindEnum) appear only here, never at a use site.
	Type *Type `json:"type"`
	// Inline is true for a generated type; Origin then says what it was
	// generated for, e.g. "payload of /chat join" or "field User.address".
	Inline     bool       `json:"inline,omitempty"`
	Origin     string     `json:"origin,omitempty"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// Kind says what a [Type] is.
type Kind uint8

// The kinds of types.
const (
	KindPrimitive Kind = iota + 1 // one of the [Prim] types
	KindNamed                     // a reference to a NamedType (Name, Decl)
	KindObject                    // an object with Fields (only as NamedType.Type)
	KindEnum                      // a string enum with Values (only as NamedType.Type)
	KindList                      // list<Elem>: a JSON array
	KindMap                       // map<Elem>: a JSON object with string keys
	KindOptional                  // optional<Elem>: may be absent or null (outermost only)
)

var kindNames = [...]string{"", "primitive", "named", "object", "enum", "list", "map", "optional"}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// MarshalText encodes the kind as its name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Prim is a primitive type, written as its name in a schema.
type Prim string

// The primitive types.
const (
	String  Prim = "string"  // a JSON string
	Bool    Prim = "bool"    // true or false
	Int32   Prim = "int32"   // a JSON integer in the int32 range
	Int64   Prim = "int64"   // a JSON integer; exact in JavaScript only up to 2^53
	Float64 Prim = "float64" // a JSON number
	Time    Prim = "time"    // an RFC 3339 string (Go time.Time, TS string)
	Binary  Prim = "binary"  // bytes, sent as a Socket.IO binary attachment
	Any     Prim = "any"     // any JSON value (Go json.RawMessage, TS unknown)
)

// Prims lists the primitive types in the order the documentation uses.
var Prims = []Prim{String, Bool, Int32, Int64, Float64, Time, Binary, Any}

// IsNumber reports whether p is int32, int64 or float64.
func (p Prim) IsNumber() bool { return p == Int32 || p == Int64 || p == Float64 }

// IsInteger reports whether p is int32 or int64.
func (p Prim) IsInteger() bool { return p == Int32 || p == Int64 }

// Type is a type expression (at a use site or as a definition). Which
// fields are set depends on Kind.
type Type struct {
	Kind Kind `json:"kind"`
	// Prim is the primitive type (KindPrimitive).
	Prim Prim `json:"prim,omitempty"`
	// Name is the referenced type's name (KindNamed).
	Name string `json:"name,omitempty"`
	// Decl is the referenced declaration (KindNamed); never nil in a
	// resolved schema.
	Decl *NamedType `json:"-"`
	// Elem is the element type (KindList, KindMap, KindOptional).
	Elem *Type `json:"elem,omitempty"`
	// Fields are the object's fields in order (KindObject).
	Fields []*Field `json:"fields,omitempty"`
	// Values are the enum's values in order (KindEnum).
	Values []*EnumValue `json:"values,omitempty"`
	// Constraints restrict the values of a string, binary, number, list or
	// map type; nil when there are none. For optional<T> written with
	// constraints, they are on the Elem.
	Constraints *Constraints `json:"constraints,omitempty"`
	// Doc is documentation written at this use site (a payload, ack or
	// argument written as a mapping with `doc:`), with its extensions.
	Doc        string     `json:"doc,omitempty"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// String formats the type as it would be written in a schema:
// "list<Message>", "optional<string>", "object", "enum".
func (t *Type) String() string {
	if t == nil {
		return "<nil>"
	}
	switch t.Kind {
	case KindPrimitive:
		return string(t.Prim)
	case KindNamed:
		return t.Name
	case KindList, KindMap, KindOptional:
		return t.Kind.String() + "<" + t.Elem.String() + ">"
	}
	return t.Kind.String()
}

// IsOptional reports whether t is optional<…>.
func (t *Type) IsOptional() bool { return t != nil && t.Kind == KindOptional }

// MayBeAbsent reports whether a field of type t may be left out: t is
// optional<…>, or any (which takes every value, absent included), directly
// or through named types.
func (t *Type) MayBeAbsent() bool {
	if t.IsOptional() {
		return true
	}
	u := t.Underlying()
	return u != nil && u.Kind == KindPrimitive && u.Prim == Any
}

// NonOptional returns the element of optional<T>, or t itself.
func (t *Type) NonOptional() *Type {
	if t.IsOptional() {
		return t.Elem
	}
	return t
}

// Underlying follows named references (and optional) down to a type that
// is not KindNamed or KindOptional: a primitive, object, enum, list or map.
func (t *Type) Underlying() *Type {
	for i := 0; t != nil && i < 1000; i++ {
		switch {
		case t.Kind == KindOptional:
			t = t.Elem
		case t.Kind == KindNamed && t.Decl != nil:
			t = t.Decl.Type
		default:
			return t
		}
	}
	return t
}

// Constraints restrict values beyond their type. Pointers are nil when the
// constraint is absent.
type Constraints struct {
	// MinLength and MaxLength bound the length of a string (in Unicode
	// code points) or of binary data (in bytes).
	MinLength *int `json:"minLength,omitempty"`
	MaxLength *int `json:"maxLength,omitempty"`
	// Pattern is a regular expression a string must match somewhere
	// (anchor it with ^…$ to match the whole string); it is valid in both
	// Go (RE2) and JavaScript syntax as far as this package can check.
	Pattern string `json:"pattern,omitempty"`
	// PatternRegexp is Pattern compiled.
	PatternRegexp *regexp.Regexp `json:"-"`
	// Minimum and Maximum bound a number, inclusively. For integer types
	// they are integers within the type's range (and within ±2^53).
	Minimum *float64 `json:"minimum,omitempty"`
	Maximum *float64 `json:"maximum,omitempty"`
	// MaxItems bounds the number of elements of a list or entries of a map.
	MaxItems *int `json:"maxItems,omitempty"`
}

// Field is a field of an object.
type Field struct {
	// Name is the field name on the wire (the JSON key), as written.
	Name string `json:"name"`
	// GoName is the Go struct field name (user_id → UserID).
	GoName     string `json:"goName"`
	Doc        string `json:"doc,omitempty"`
	Deprecated bool   `json:"deprecated,omitempty"`
	// Type is the field's type; optional<T> when the field may be absent.
	Type       *Type      `json:"type"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// Optional reports whether the field may be absent.
func (f *Field) Optional() bool { return f.Type.IsOptional() }

// EnumValue is one value of an enum.
type EnumValue struct {
	// Value is the string on the wire.
	Value string `json:"value"`
	// GoName is the name of the Go constant: the enum's Go name followed by
	// GoName(Value), e.g. PresenceOnline.
	GoName     string     `json:"goName"`
	Doc        string     `json:"doc,omitempty"`
	Deprecated bool       `json:"deprecated,omitempty"`
	Extensions Extensions `json:"extensions,omitempty"`
	Pos        Pos        `json:"pos"`
}

// Namespace is a Socket.IO namespace and its events.
type Namespace struct {
	// Name is the path as written: "/chat", "/workspace/{id}".
	Name string `json:"name"`
	// GoName is the Go name: see [NamespaceGoName].
	GoName     string `json:"goName"`
	Doc        string `json:"doc,omitempty"`
	Deprecated bool   `json:"deprecated,omitempty"`
	// Params are the {parameters} of a dynamic namespace, in path order.
	Params []*Param `json:"params,omitempty"`
	// Auth is the type of the CONNECT payload (the client's `auth`); it is
	// always a named object type (possibly inline). Nil when the namespace
	// takes no auth payload.
	Auth *Type `json:"auth,omitempty"`
	// ClientToServer and ServerToClient are the events in each direction,
	// in the order written.
	ClientToServer []*Event    `json:"clientToServer,omitempty"`
	ServerToClient []*Event    `json:"serverToClient,omitempty"`
	Extensions     Extensions  `json:"extensions,omitempty"`
	Pos            Pos         `json:"pos"`
	segments       []nsSegment // the parsed path
}

type nsSegment struct {
	lit   string
	param bool
}

// IsDynamic reports whether the namespace has parameters.
func (ns *Namespace) IsDynamic() bool { return len(ns.Params) > 0 }

// Regexp returns a regular expression (valid in Go and JavaScript) that
// matches exactly the namespace names this namespace stands for, with one
// capturing group per parameter, in order: "/workspace/{id}" gives
// `^/workspace/([^/]+)$`.
func (ns *Namespace) Regexp() string {
	var b strings.Builder
	b.WriteString("^")
	if len(ns.segments) == 0 {
		b.WriteString("/")
	}
	for _, s := range ns.segments {
		b.WriteString("/")
		if s.param {
			b.WriteString("([^/]+)")
		} else {
			b.WriteString(regexp.QuoteMeta(s.lit))
		}
	}
	b.WriteString("$")
	return b.String()
}

// Match reports whether the namespace name (e.g. "/workspace/42") matches
// this namespace, and returns the parameter values by name.
func (ns *Namespace) Match(name string) (params map[string]string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(name, "/"), "/")
	if !strings.HasPrefix(name, "/") {
		return nil, false
	}
	if len(ns.segments) == 0 {
		return nil, name == "/"
	}
	if len(parts) != len(ns.segments) {
		return nil, false
	}
	params = map[string]string{}
	pi := 0
	for i, s := range ns.segments {
		if !s.param {
			if parts[i] != s.lit {
				return nil, false
			}
			continue
		}
		if parts[i] == "" {
			return nil, false
		}
		params[ns.Params[pi].Name] = parts[i]
		pi++
	}
	return params, true
}

// Events returns the client-to-server events followed by the
// server-to-client ones.
func (ns *Namespace) Events() []*Event {
	out := make([]*Event, 0, len(ns.ClientToServer)+len(ns.ServerToClient))
	out = append(out, ns.ClientToServer...)
	return append(out, ns.ServerToClient...)
}

// Param is a parameter of a dynamic namespace: {id} in /workspace/{id}.
type Param struct {
	// Name is the parameter name as written.
	Name string `json:"name"`
	// GoName is GoName(Name) (id → ID); generated code lowers its first
	// word for a Go parameter name.
	GoName string `json:"goName"`
	// Segment is the index of the path segment holding the parameter
	// (0 for the first segment after the leading slash).
	Segment int `json:"segment"`
	Pos     Pos `json:"pos"`
}

// Direction says who emits an event.
type Direction uint8

// The two directions.
const (
	ClientToServer Direction = iota + 1
	ServerToClient
)

// String returns "client_to_server" or "server_to_client", the schema keys.
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client_to_server"
	case ServerToClient:
		return "server_to_client"
	}
	return fmt.Sprintf("Direction(%d)", d)
}

// MarshalText encodes the direction as its schema key.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Event is an event of a namespace in one direction.
type Event struct {
	// Name is the event name on the wire.
	Name string `json:"name"`
	// GoName is GoName(Name): "join" → Join, "chat:message" → ChatMessage.
	GoName     string    `json:"goName"`
	Direction  Direction `json:"direction"`
	Doc        string    `json:"doc,omitempty"`
	Deprecated bool      `json:"deprecated,omitempty"`
	// Payload is the single argument, or nil. At most one of Payload and
	// Args is set; with neither the event carries no arguments.
	Payload *Type `json:"payload,omitempty"`
	// Args are positional arguments.
	Args []*Arg `json:"args,omitempty"`
	// Ack is the type of the data in a successful ack envelope, or nil when
	// the event is not acknowledged.
	Ack *Type `json:"ack,omitempty"`
	// Errors are the error codes the ack may carry besides the built-in
	// ones, in the order listed. Empty unless Ack is set.
	Errors     []*ErrorCode `json:"errors,omitempty"`
	Extensions Extensions   `json:"extensions,omitempty"`
	Pos        Pos          `json:"pos"`
}

// Arg is one positional argument of an event.
type Arg struct {
	// Name is the name given with `name:`, or "arg1", "arg2", … by position.
	Name string `json:"name"`
	// GoName is GoName(Name).
	GoName string `json:"goName"`
	Type   *Type  `json:"type"`
	Pos    Pos    `json:"pos"`
}
