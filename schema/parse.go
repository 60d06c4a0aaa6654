package schema

import (
	"os"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// ReservedEventNames are the event names Socket.IO uses itself (or that
// Node's EventEmitter gives a meaning to); a schema cannot declare them.
var ReservedEventNames = []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

// Load reads and parses the schema file filename; see [Parse].
func Load(filename string) (*Schema, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return Parse(filename, data)
}

// Parse parses, validates and resolves a schema. filename is used only in
// positions.
//
// When the schema has errors, Parse returns a nil *Schema and a [Problems]
// holding every error and warning, sorted. When it has only warnings, it
// returns the schema with the warnings in Schema.Warnings and a nil error.
func Parse(filename string, data []byte) (*Schema, error) {
	p := &parser{
		walker:   walker{file: filename},
		s:        &Schema{File: filename, types: map[string]*NamedType{}, errors: map[string]*ErrorCode{}},
		declared: map[string]*NamedType{},
	}
	p.parse(data)
	p.probs.Sort()
	if p.probs.HasErrors() {
		return nil, p.probs
	}
	p.s.Warnings = p.probs
	return p.s, nil
}

// parser walks one schema file.
type parser struct {
	walker
	s        *Schema
	declared map[string]*NamedType // types declared under types:, by name
	refs     []*Type               // every KindNamed reference, to resolve
	depth    int
}

var topKeys = []string{"siogen", "info", "errors", "types", "namespaces"}

func (p *parser) parse(data []byte) {
	root := p.decode(data, "schema (siogen: 1, …)")
	if root == nil {
		return
	}
	top, ok := p.fixed(root, "the schema", false, topKeys...)
	if !ok {
		return
	}
	p.s.Extensions = top.ext
	if v := top.get("siogen"); v == nil {
		p.errorf(top.node, "missing siogen: 1 (the schema language version)")
	} else if n := p.val(v); n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Value != "1" {
		p.errorf(n, "unsupported siogen version %s: this siogen reads version 1", quoteScalar(n))
	} else {
		p.s.Version = 1
	}
	if v := top.get("info"); v != nil {
		p.parseInfo(v)
	}
	if v := top.get("errors"); v != nil {
		p.parseErrors(v)
	}
	if v := top.get("types"); v != nil {
		p.parseTypes(v)
	}
	if v := top.get("namespaces"); v != nil {
		p.parseNamespaces(v)
	}
	p.resolve()
}

func (p *parser) parseInfo(n *yaml.Node) {
	m, ok := p.fixed(n, "info", true, "title", "version", "doc")
	if !ok {
		return
	}
	info := &p.s.Info
	info.Pos = p.pos(m.node)
	info.Extensions = m.ext
	if v := m.get("title"); v != nil {
		info.Title, _ = p.str(v, "info.title")
	}
	if v := m.get("version"); v != nil {
		info.Version, _ = p.str(v, "info.version")
	}
	if v := m.get("doc"); v != nil {
		info.Doc, _ = p.str(v, "info.doc")
	}
}

var (
	errorCodeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	typeNameRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) parseErrors(n *yaml.Node) {
	ps, _ := p.pairs(n, "errors", true)
	for _, kv := range ps {
		code := kv.k.Value
		switch {
		case !errorCodeRE.MatchString(code):
			p.errorf(kv.k, "error code %q must be snake_case: lower-case letters and digits separated by single underscores, starting with a letter", code)
			continue
		case isBuiltinError(code):
			p.errorf(kv.k, "error code %q is built in; it needs no declaration", code)
			continue
		}
		e := &ErrorCode{Code: code, GoName: GoName(code), Pos: p.pos(kv.k)}
		v := p.val(kv.v)
		if v.Kind == yaml.MappingNode {
			m, _ := p.fixed(v, "error code "+code, false, "doc", "deprecated")
			e.Extensions = m.ext
			if d := m.get("doc"); d != nil {
				e.Doc, _ = p.str(d, "doc")
			}
			if d := m.get("deprecated"); d != nil {
				e.Deprecated = p.boolean(d, "deprecated")
			}
		} else {
			e.Doc, _ = p.str(v, "the description of error code "+code)
		}
		p.s.Errors = append(p.s.Errors, e)
		p.s.errors[code] = e
	}
}

func isBuiltinError(code string) bool {
	for _, e := range BuiltinErrors {
		if e.Code == code {
			return true
		}
	}
	return false
}

func isPrim(name string) bool {
	for _, pr := range Prims {
		if string(pr) == name {
			return true
		}
	}
	return false
}

func (p *parser) parseTypes(n *yaml.Node) {
	ps, _ := p.pairs(n, "types", true)
	for _, kv := range ps {
		name := kv.k.Value
		switch {
		case !typeNameRE.MatchString(name):
			p.errorf(kv.k, "type name %q must start with an ASCII letter and contain only ASCII letters, digits and _", name)
			continue
		case isPrim(name) || name == "list" || name == "map" || name == "optional":
			p.errorf(kv.k, "type name %q is reserved: it is a built-in type", name)
			continue
		}
		nt := &NamedType{Name: name, GoName: goTypeName(name), Pos: p.pos(kv.k)}
		sp := p.typeSpec(kv.v, specCtx{
			what:       "type " + name,
			name:       nt.GoName,
			noOptional: "a named type cannot be optional; make the fields or payloads that use it optional instead",
			deprecated: true,
		})
		if sp.t == nil {
			sp.t = &Type{Kind: KindPrimitive, Prim: Any, Pos: nt.Pos}
		}
		nt.Type, nt.Doc, nt.Deprecated, nt.Extensions = sp.t, sp.doc, sp.deprecated, sp.ext
		p.s.Types = append(p.s.Types, nt)
		p.declared[name] = nt
		p.s.types[name] = nt
	}
}

// specCtx says where a type is written.
type specCtx struct {
	what       string // for messages: "type User", "field User.name", "payload of event join"
	name       string // the Go name for an object or enum defined here
	origin     string // for an inline type: what it was generated for
	inline     bool   // an object or enum here becomes an inline named type
	noOptional string // when optional<…> is not allowed here: why
	deprecated bool   // `deprecated:` is allowed
	extra      []string
}

// spec is a parsed type specification.
type spec struct {
	t          *Type
	doc        string
	deprecated bool
	ext        Extensions
	extra      map[string]*yaml.Node
}

var constraintKeys = []string{"minLength", "maxLength", "pattern", "minimum", "maximum", "maxItems"}

// typeSpec parses a type written as a type expression ("list<User>") or as
// a mapping (type + constraints, fields, or enum). An object or enum is
// returned as its definition unless ctx.inline, in which case it is
// registered as an inline named type and a reference to it is returned.
func (p *parser) typeSpec(n *yaml.Node, ctx specCtx) spec {
	var sp spec
	n = p.val(n)
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		sp.t = p.typeExpr(n, ctx.noOptional)
		return sp
	case n.Kind != yaml.MappingNode:
		p.errorf(n, "%s: expected a type (a name such as string or list<Message>, or a mapping with type, fields or enum), not %s", ctx.what, describe(n))
		return sp
	}
	allowed := []string{"type", "fields", "enum", "doc"}
	if ctx.deprecated {
		allowed = append(allowed, "deprecated")
	}
	allowed = append(allowed, constraintKeys...)
	allowed = append(allowed, ctx.extra...)
	m, _ := p.fixed(n, ctx.what, false, allowed...)
	sp.ext = m.ext
	if d := m.get("doc"); d != nil {
		sp.doc, _ = p.str(d, "doc")
	}
	if d := m.get("deprecated"); d != nil {
		sp.deprecated = p.boolean(d, "deprecated")
	}
	for _, k := range ctx.extra {
		if v := m.get(k); v != nil {
			if sp.extra == nil {
				sp.extra = map[string]*yaml.Node{}
			}
			sp.extra[k] = v
		}
	}
	tn, fn, en := m.get("type"), m.get("fields"), m.get("enum")
	switch {
	case fn != nil && (tn != nil || en != nil):
		other := "type"
		if en != nil {
			other = "enum"
		}
		p.errorf(m.key("fields"), "%s has both fields and %s; an object type has only fields", ctx.what, other)
		return sp
	case fn != nil:
		for _, k := range constraintKeys {
			if kn := m.key(k); kn != nil {
				p.errorf(kn, "%s does not apply to an object", k)
			}
		}
		sp.t = p.object(fn, ctx)
	case en != nil:
		if tn != nil {
			if s, ok := p.text(tn, "type"); ok && s != "string" {
				p.errorf(tn, "an enum is a string enum: its type can only be string, not %q", s)
			}
		}
		for _, k := range constraintKeys {
			if kn := m.key(k); kn != nil {
				p.errorf(kn, "%s does not apply to an enum", k)
			}
		}
		sp.t = p.enum(en, ctx)
	case tn != nil:
		tv := p.val(tn)
		if tv.Kind != yaml.ScalarNode || tv.Tag != "!!str" {
			p.errorf(tv, "%s: type must be a type expression such as string or list<Message>, not %s", ctx.what, describe(tv))
			return sp
		}
		var int64s []Pos
		sp.t, int64s = p.typeExprInt64s(tv, ctx.noOptional)
		if sp.t != nil {
			p.constraints(sp.t, m)
			if c := sp.t.NonOptional().Constraints; c != nil && c.Minimum != nil && c.Maximum != nil {
				// An int64 bounded on both sides lies within ±2^53
				// (boundFits): JavaScript holds it exactly.
				int64s = nil
			}
		}
		p.warnInt64(int64s)
		return sp
	default:
		if m.unknown == 0 {
			p.errorf(n, "%s: missing type (give type, fields or enum)", ctx.what)
		}
		return sp
	}
	if sp.t != nil && ctx.inline {
		nt := &NamedType{Name: ctx.name, GoName: ctx.name, Type: sp.t, Inline: true, Origin: ctx.origin, Pos: p.pos(n)}
		p.s.Inline = append(p.s.Inline, nt)
		if _, dup := p.s.types[nt.Name]; !dup {
			p.s.types[nt.Name] = nt
		}
		sp.t = &Type{Kind: KindNamed, Name: nt.Name, Decl: nt, Pos: nt.Pos}
	}
	return sp
}

// generatedMethods are the methods the Go generator declares on every
// object type; no field may take their names.
var generatedMethods = map[string]bool{"Validate": true, "AppendJSON": true, "ReadJSON": true, "AppendMsgpack": true}

// jsonTagName reports whether encoding/json accepts name as the key of a
// struct field (`json:"name"`); it ignores any other tag and uses the Go
// field name, so a generated struct would not decode such a field.
func jsonTagName(name string) bool {
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", r) {
			return false
		}
	}
	return true
}

// object parses the `fields:` of an object. ctx.name is the object's Go
// name, which prefixes the names of inline types of its fields.
func (p *parser) object(n *yaml.Node, ctx specCtx) *Type {
	t := &Type{Kind: KindObject, Pos: p.pos(p.val(n))}
	if p.depth >= maxDepth {
		p.errorf(n, "objects nested too deeply (more than %d levels)", maxDepth)
		return t
	}
	p.depth++
	defer func() { p.depth-- }()
	ps, _ := p.pairs(n, "fields of "+ctx.what, true)
	goNames := map[string]*Field{}
	for _, kv := range ps {
		name := kv.k.Value
		f := &Field{Name: name, GoName: GoName(name), Pos: p.pos(kv.k)}
		if !IsGoIdent(f.GoName) {
			p.errorf(kv.k, "field name %q cannot be turned into a Go name: it must contain a letter or digit and not start with a digit", name)
			continue
		}
		sp := p.typeSpec(kv.v, specCtx{
			what:       "field " + strings.TrimPrefix(strings.TrimPrefix(ctx.what, "type "), "field ") + "." + name,
			name:       ctx.name + f.GoName,
			origin:     "field " + ctx.name + "." + name,
			inline:     true,
			deprecated: true,
		})
		if sp.t == nil {
			continue
		}
		f.Type, f.Doc, f.Deprecated, f.Extensions = sp.t, sp.doc, sp.deprecated, sp.ext
		if prev := goNames[f.GoName]; prev != nil {
			p.errorf(kv.k, "fields %q and %q (line %d) both become the Go field %s", name, prev.Name, prev.Pos.Line, f.GoName)
		} else if generatedMethods[f.GoName] {
			p.errorf(kv.k, "field %q becomes the Go field %s, which collides with the generated %s method", name, f.GoName, f.GoName)
		} else if !jsonTagName(name) {
			p.errorf(kv.k, "field name %q cannot be decoded in Go: encoding/json takes only letters, digits, spaces and !#$%%&()*+-./:;<=>?@[]^_{|}~ in a field's key", name)
		} else if name == "__proto__" {
			p.errorf(kv.k, "field name __proto__ cannot be used: in JavaScript, { __proto__: x } sets the object's prototype, not a field")
		} else if name == "$ref" || name == "hasOwnProperty" {
			p.warnf(kv.k, "field name %s: @asyncapi/parser 3.6 cannot read the generated AsyncAPI document (it fails on this property name); the Go and TypeScript code are not affected", name)
		}
		goNames[f.GoName] = f
		t.Fields = append(t.Fields, f)
	}
	return t
}

// enum parses the values of an enum: a list of strings, or a mapping from
// value to its doc (a string, or a mapping with doc and deprecated).
func (p *parser) enum(n *yaml.Node, ctx specCtx) *Type {
	n = p.val(n)
	t := &Type{Kind: KindEnum, Pos: p.pos(n)}
	seen := map[string]*EnumValue{}
	add := func(k *yaml.Node) *EnumValue {
		if k.Tag != "!!str" {
			p.errorf(k, "enum values are strings: quote %s", k.Value)
			return nil
		}
		v := &EnumValue{Value: k.Value, Pos: p.pos(k)}
		word := GoName(k.Value)
		switch {
		case k.Value == "":
			p.errorf(k, "an enum value cannot be empty")
			return nil
		case seen[k.Value] != nil:
			p.errorf(k, "duplicate enum value %q (first at line %d)", k.Value, seen[k.Value].Pos.Line)
			return nil
		case word == "":
			p.errorf(k, "enum value %q has no letter or digit to make a Go name from", k.Value)
			return nil
		}
		v.GoName = ctx.name + word
		seen[k.Value] = v
		t.Values = append(t.Values, v)
		return v
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			c = p.val(c)
			if c.Kind != yaml.ScalarNode {
				p.errorf(c, "enum values are strings, not %s", describe(c))
				continue
			}
			add(c)
		}
	case yaml.MappingNode:
		ps, _ := p.pairs(n, "enum of "+ctx.what, false)
		for _, kv := range ps {
			v := add(kv.k)
			if v == nil {
				continue
			}
			d := p.val(kv.v)
			if d.Kind == yaml.MappingNode {
				m, _ := p.fixed(d, "enum value "+v.Value, false, "doc", "deprecated")
				v.Extensions = m.ext
				if x := m.get("doc"); x != nil {
					v.Doc, _ = p.str(x, "doc")
				}
				if x := m.get("deprecated"); x != nil {
					v.Deprecated = p.boolean(x, "deprecated")
				}
			} else {
				v.Doc, _ = p.str(d, "the doc of enum value "+v.Value)
			}
		}
	default:
		p.errorf(n, "enum must be a list of strings (or a mapping from value to doc), not %s", describe(n))
		return t
	}
	if len(t.Values) == 0 && len(n.Content) == 0 {
		p.errorf(n, "an enum needs at least one value")
	}
	return t
}
