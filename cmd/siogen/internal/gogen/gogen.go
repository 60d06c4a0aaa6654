// Package gogen writes the typed Go package of a siogen schema: payload
// types with Validate methods, error codes, and per namespace a handler
// interface and its registration on a *socketio.Server, a typed socket, a
// typed broadcast emitter, and a typed client with its handler interface.
// See docs/generated-go.md for the generated shapes.
//
// The generated code is thin: decoding, the ack envelope, error mapping and
// the constraint checks are generic helpers of runtime/socketio (typed*.go).
package gogen

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"

	"github.com/siogen/siogen/cmd/siogen/internal/gen"
	"github.com/siogen/siogen/schema"
)

// Import paths the generated code uses.
const (
	rt     = "github.com/siogen/siogen/runtime/socketio"
	pctx   = "context"
	ptime  = "time"
	pjson  = "encoding/json"
	pregex = "regexp"
	pslice = "slices"
)

// Generator is the Go [gen.Generator]; it writes the package c.Go.Out.
type Generator struct{}

// Name returns "go".
func (Generator) Name() string { return "go" }

// Generate returns types.go, and server.go and client.go as c.Go.Emit asks,
// or nothing when c.Go is nil.
func (Generator) Generate(s *schema.Schema, c *schema.Config) ([]gen.File, error) {
	if c == nil || c.Go == nil {
		return nil, nil
	}
	g := newGenerator(s, c.Go)
	if err := g.checkNames(); err != nil {
		return nil, err
	}
	g.registerShapes()
	source := gen.SourceRel(filepath.Join(c.Go.Out, "types.go"), s.File)
	var files []gen.File
	add := func(name string, f *jen.File) error {
		var b bytes.Buffer
		if err := f.Render(&b); err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		files = append(files, gen.File{Path: filepath.Join(c.Go.Out, name), Content: b.Bytes()})
		return nil
	}
	if err := add("types.go", g.typesFile(source)); err != nil {
		return nil, err
	}
	if c.Go.EmitServer {
		if err := add("server.go", g.serverFile(source)); err != nil {
			return nil, err
		}
	}
	if c.Go.EmitClient {
		if err := add("client.go", g.clientFile(source)); err != nil {
			return nil, err
		}
	}
	return files, nil
}

type generator struct {
	s        *schema.Schema
	cfg      *schema.GoConfig
	needMemo map[*schema.NamedType]bool
	patterns map[string]string // pattern → var name
	patOrder []string
	shapes   shapes
	inlining map[*schema.NamedType]bool // appendValue: named types being written in place
	writers  map[string]string          // wiredKey → writer function (see writerFuncs)
	readers  map[string]string          // Go type → reader function (see readerFuncs)
	// appendName is the method appendValue calls on objects: AppendJSON,
	// or AppendMsgpack while appendJSONMethod writes that one.
	appendName string
}

func newGenerator(s *schema.Schema, c *schema.GoConfig) *generator {
	return &generator{s: s, cfg: c, needMemo: map[*schema.NamedType]bool{}, patterns: map[string]string{}, inlining: map[*schema.NamedType]bool{}, writers: map[string]string{}, readers: map[string]string{}, appendName: "AppendJSON"}
}

// Method names of the generated socket, emitter and client that events
// must not take.
var (
	socketMethods  = []string{"Socket", "ID", "Context", "Join", "Leave", "Rooms", "Data", "SetData", "Handshake", "Disconnect", "Broadcast", "Params"}
	emitterMethods = []string{"To", "Except", "Volatile", "Local"}
	clientMethods  = []string{"Socket", "ID", "Connect", "Disconnect", "Connected"}
)

// checkNames reports events whose Go method names collide with the methods
// the generated socket, emitter or client declare.
func (g *generator) checkNames() error {
	var ps schema.Problems
	for _, ns := range g.s.Namespaces {
		for _, ev := range ns.ServerToClient {
			for _, m := range append(socketMethods, emitterMethods...) {
				if ev.GoName == m {
					ps = append(ps, schema.Problem{Pos: ev.Pos, Message: fmt.Sprintf("server_to_client event %q becomes the Go method %s, which collides with the %s method of the generated socket or emitter; rename the event", ev.Name, m, m)})
				}
			}
		}
		for _, ev := range ns.ClientToServer {
			for _, m := range clientMethods {
				if ev.GoName == m {
					ps = append(ps, schema.Problem{Pos: ev.Pos, Message: fmt.Sprintf("client_to_server event %q becomes the Go method %s, which collides with the %s method of the generated client; rename the event", ev.Name, m, m)})
				}
			}
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// newFile starts a generated file.
func (g *generator) newFile(source string) *jen.File {
	f := jen.NewFile(g.cfg.Package)
	f.HeaderComment(gen.Marker)
	if source != "" {
		f.HeaderComment("source: " + source)
	}
	f.ImportName(rt, "socketio")
	return f
}

// comment formats doc lines as a // comment ("" lines become "//").
func comment(lines ...string) jen.Code {
	var out []string
	for _, l := range lines {
		for _, x := range strings.Split(strings.TrimRight(l, "\n"), "\n") {
			x = strings.TrimRight(x, " \t")
			if x == "" {
				out = append(out, "//")
			} else {
				out = append(out, "// "+x)
			}
		}
	}
	return jen.Comment(strings.Join(out, "\n"))
}

// docLines returns a declaration's comment: the summary, the schema doc,
// and a Deprecated paragraph.
func docLines(summary, doc string, deprecated bool) []string {
	lines := []string{summary}
	if doc != "" {
		lines = append(lines, "", doc)
	}
	if deprecated {
		lines = append(lines, "", "Deprecated: marked deprecated in the schema.")
	}
	return lines
}

// ---- types ----

// isBound reports whether the named type is replaced by a Go binding.
func (g *generator) binding(name string) *schema.Binding {
	return g.cfg.Binding(name)
}

// namedRef is the Go type of a named type's use.
func (g *generator) namedRef(nt *schema.NamedType) *jen.Statement {
	if b := g.binding(nt.Name); b != nil {
		return jen.Qual(b.ImportPath, b.Name)
	}
	return jen.Id(nt.GoName)
}

// goType is the Go type of a type expression (optional<T> included).
func (g *generator) goType(t *schema.Type) *jen.Statement {
	switch t.Kind {
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.String:
			return jen.String()
		case schema.Bool:
			return jen.Bool()
		case schema.Int32:
			return jen.Int32()
		case schema.Int64:
			return jen.Int64()
		case schema.Float64:
			return jen.Float64()
		case schema.Time:
			return jen.Qual(ptime, "Time")
		case schema.Binary:
			return jen.Index().Byte()
		case schema.Any:
			return jen.Qual(pjson, "RawMessage")
		}
	case schema.KindNamed:
		return g.namedRef(t.Decl)
	case schema.KindList:
		return jen.Index().Add(g.goType(t.Elem))
	case schema.KindMap:
		return jen.Map(jen.String()).Add(g.goType(t.Elem))
	case schema.KindOptional:
		if g.nilable(t.Elem) {
			return g.goType(t.Elem)
		}
		return jen.Op("*").Add(g.goType(t.Elem))
	}
	panic(fmt.Sprintf("gogen: unexpected type %s", t))
}

// nilable reports whether t's Go type has nil as a value (slices, maps,
// []byte, json.RawMessage), so optional<t> needs no pointer. Bound types
// are never considered nilable.
func (g *generator) nilable(t *schema.Type) bool {
	for i := 0; i < 100; i++ {
		switch t.Kind {
		case schema.KindList, schema.KindMap:
			return true
		case schema.KindPrimitive:
			return t.Prim == schema.Binary || t.Prim == schema.Any
		case schema.KindNamed:
			if g.binding(t.Name) != nil {
				return false
			}
			t = t.Decl.Type
			continue
		}
		return false
	}
	return false
}

// isObject reports whether t is a (non-bound) named object type: such
// payloads, arguments and acks are passed as pointers.
func (g *generator) isObject(t *schema.Type) bool {
	return t.Kind == schema.KindNamed && g.binding(t.Name) == nil && t.Decl.Type.Kind == schema.KindObject
}

// paramType is the Go type of a payload, argument or ack: *T for an
// object, the optional form for optional<T>, else goType.
func (g *generator) paramType(t *schema.Type) *jen.Statement {
	if g.isObject(t) {
		return jen.Op("*").Add(g.goType(t))
	}
	return g.goType(t)
}

// declType is the type decoded into for a param: T for an object, else
// paramType.
func (g *generator) declType(t *schema.Type) *jen.Statement {
	if g.isObject(t) {
		return g.goType(t)
	}
	return g.paramType(t)
}

// isAlias reports whether a named type must be declared as an alias (its
// definition resolves to time, any or a bound type, or names an object
// type: methods a defined type would lose — an object's Validate and
// AppendJSON have pointer receivers).
func (g *generator) isAlias(nt *schema.NamedType) bool {
	t := nt.Type
	for i := 0; i < 100; i++ {
		switch t.Kind {
		case schema.KindPrimitive:
			return t.Prim == schema.Time || t.Prim == schema.Any
		case schema.KindNamed:
			if g.binding(t.Name) != nil || t.Decl.Type.Kind == schema.KindObject {
				return true
			}
			t = t.Decl.Type
			continue
		}
		return false
	}
	return false
}

// needsNamed reports whether values of nt can fail validation.
func (g *generator) needsNamed(nt *schema.NamedType) bool {
	if g.binding(nt.Name) != nil {
		return true // it may have a Validate method
	}
	if g.isAlias(nt) {
		return g.needs(nt.Type)
	}
	if v, ok := g.needMemo[nt]; ok {
		return v
	}
	g.needMemo[nt] = false // cycles: the other paths decide
	var v bool
	switch nt.Type.Kind {
	case schema.KindEnum:
		v = true
	case schema.KindObject:
		for _, f := range nt.Type.Fields {
			if g.needs(f.Type) {
				v = true
			}
		}
	default:
		v = g.needs(nt.Type)
	}
	g.needMemo[nt] = v
	return v
}

// needs reports whether values of t can fail validation.
func (g *generator) needs(t *schema.Type) bool {
	switch t.Kind {
	case schema.KindPrimitive:
		c := t.Constraints
		return c != nil && (c.MinLength != nil || c.MaxLength != nil || c.Pattern != "" || c.Minimum != nil || c.Maximum != nil)
	case schema.KindNamed:
		return g.needsNamed(t.Decl)
	case schema.KindOptional:
		return g.needs(t.Elem)
	case schema.KindList, schema.KindMap:
		return (t.Constraints != nil && t.Constraints.MaxItems != nil) || g.needs(t.Elem)
	}
	return false
}

// ret builds the statement returned when a check fails, from the error.
type ret func(err jen.Code) jen.Code

// checkStmt is: if err := call; err != nil { <ret(wrap(err))> }.
func checkStmt(call jen.Code, wrap func(jen.Code) jen.Code, r ret) jen.Code {
	return jen.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(r(wrap(jen.Err())))
}

// validate returns the statements that validate x (of type t); wrap puts
// an error under the value's path.
func (g *generator) validate(t *schema.Type, x *jen.Statement, wrap func(jen.Code) jen.Code, r ret, depth int) []jen.Code {
	if !g.needs(t) {
		return nil
	}
	var out []jen.Code
	switch t.Kind {
	case schema.KindOptional:
		inner := x.Clone()
		if !g.nilable(t.Elem) && t.Elem.Kind != schema.KindNamed {
			inner = jen.Parens(jen.Op("*").Add(x.Clone()))
		}
		body := g.validate(t.Elem, inner, wrap, r, depth)
		if len(body) > 0 {
			out = append(out, jen.If(x.Clone().Op("!=").Nil()).Block(body...))
		}
	case schema.KindNamed:
		switch {
		case g.binding(t.Name) != nil:
			out = append(out, checkStmt(jen.Qual(rt, "ValidateValue").Call(x.Clone()), wrap, r))
		case g.isAlias(t.Decl):
			out = append(out, g.validate(t.Decl.Type, x, wrap, r, depth)...)
		default:
			out = append(out, checkStmt(x.Clone().Dot("Validate").Call(), wrap, r))
		}
	case schema.KindPrimitive:
		out = append(out, g.primChecks(t, x, wrap, r)...)
	case schema.KindList, schema.KindMap:
		if c := t.Constraints; c != nil && c.MaxItems != nil {
			out = append(out, checkStmt(jen.Qual(rt, "CheckItems").Call(jen.Len(x.Clone()), jen.Lit(*c.MaxItems)), wrap, r))
		}
		if g.needs(t.Elem) {
			i, v := "i"+strconv.Itoa(depth), "v"+strconv.Itoa(depth)
			if t.Kind == schema.KindList {
				elem := x.Clone().Index(jen.Id(i))
				inner := func(err jen.Code) jen.Code { return wrap(jen.Qual(rt, "AtIndex").Call(jen.Id(i), err)) }
				out = append(out, jen.For(jen.Id(i).Op(":=").Range().Add(x.Clone())).Block(g.validate(t.Elem, elem, inner, r, depth+1)...))
			} else {
				inner := func(err jen.Code) jen.Code { return wrap(jen.Qual(rt, "AtKey").Call(jen.Id(i), err)) }
				out = append(out, jen.For(jen.List(jen.Id(i), jen.Id(v)).Op(":=").Range().Add(x.Clone())).Block(g.validate(t.Elem, jen.Id(v), inner, r, depth+1)...))
			}
		}
	}
	return out
}

func (g *generator) primChecks(t *schema.Type, x *jen.Statement, wrap func(jen.Code) jen.Code, r ret) []jen.Code {
	c := t.Constraints
	var out []jen.Code
	bound := func(p *int) jen.Code {
		if p == nil {
			return jen.Lit(-1)
		}
		return jen.Lit(*p)
	}
	switch t.Prim {
	case schema.String:
		if c.MinLength != nil || c.MaxLength != nil {
			out = append(out, checkStmt(jen.Qual(rt, "CheckLength").Call(x.Clone(), bound(c.MinLength), bound(c.MaxLength)), wrap, r))
		}
		if c.Pattern != "" {
			out = append(out, checkStmt(jen.Qual(rt, "CheckPattern").Call(x.Clone(), jen.Id(g.pattern(c.Pattern))), wrap, r))
		}
	case schema.Binary:
		if c.MinLength != nil || c.MaxLength != nil {
			out = append(out, checkStmt(jen.Qual(rt, "CheckBytes").Call(x.Clone(), bound(c.MinLength), bound(c.MaxLength)), wrap, r))
		}
	case schema.Int32, schema.Int64, schema.Float64:
		num := func(f float64) jen.Code {
			if t.Prim == schema.Float64 {
				return jen.Lit(f)
			}
			return jen.Lit(int(f))
		}
		if c.Minimum != nil {
			out = append(out, checkStmt(jen.Qual(rt, "CheckMin").Call(x.Clone(), num(*c.Minimum)), wrap, r))
		}
		if c.Maximum != nil {
			out = append(out, checkStmt(jen.Qual(rt, "CheckMax").Call(x.Clone(), num(*c.Maximum)), wrap, r))
		}
	}
	return out
}

// pattern returns the name of the package-level regexp for p.
func (g *generator) pattern(p string) string {
	if n, ok := g.patterns[p]; ok {
		return n
	}
	n := "pattern" + strconv.Itoa(len(g.patOrder)+1)
	g.patterns[p] = n
	g.patOrder = append(g.patOrder, p)
	return n
}

func at(elem string) func(jen.Code) jen.Code {
	if elem == "" {
		return func(err jen.Code) jen.Code { return err }
	}
	return func(err jen.Code) jen.Code { return jen.Qual(rt, "At").Call(jen.Lit(elem), err) }
}

func retErr(err jen.Code) jen.Code { return jen.Return(err) }

func (g *generator) typesFile(source string) *jen.File {
	f := g.newFile(source)
	title := g.s.Info.Title
	if title == "" {
		title = "API"
	}
	pkgDoc := []string{fmt.Sprintf("Package %s is the typed Socket.IO API %q", g.cfg.Package, title)}
	if g.s.Info.Version != "" {
		pkgDoc[0] += " version " + g.s.Info.Version
	}
	pkgDoc[0] += ", generated by siogen."
	if g.s.Info.Doc != "" {
		pkgDoc = append(pkgDoc, "", g.s.Info.Doc)
	}
	pkgDoc = append(pkgDoc, "", "See docs/generated-go.md of github.com/siogen/siogen for the generated shapes.")
	// Each line gets its "// " here: jen writes a comment that starts
	// with // or /* as it is, so a doc line "//go:generate …" would
	// become a directive and "/* … */ code" code.
	for _, l := range pkgDoc {
		for _, x := range strings.Split(strings.TrimRight(l, "\n"), "\n") {
			if x = strings.TrimRight(x, " \t"); x == "" {
				f.PackageComment("//")
			} else {
				f.PackageComment("// " + x)
			}
		}
	}

	// Error codes.
	if len(g.s.Errors) > 0 {
		var cs []jen.Code
		for _, e := range g.s.Errors {
			cs = append(cs, comment(docLines(fmt.Sprintf("Code%s is the error code %q.", e.GoName, e.Code), e.Doc, e.Deprecated)...))
			cs = append(cs, jen.Id("Code"+e.GoName).Op("=").Lit(e.Code))
		}
		f.Add(comment("The error codes the schema declares; an ack may also carry the built-in",
			"codes socketio.CodeInvalidArgument, CodeUnimplemented, CodeInternal and CodeTimeout.",
			"A handler returns one with socketio.NewAckError(CodeX, message); socketio.ErrorCode(err)",
			"returns the code of an error a typed call returned."))
		f.Const().Defs(cs...)
		f.Line()
	}
	msgs := jen.Dict{}
	for _, e := range g.s.Errors {
		msgs[jen.Lit(e.Code)] = jen.Lit(e.Doc)
	}
	f.Add(comment("errorMessages are the descriptions of the error codes, the default messages."))
	f.Var().Id("errorMessages").Op("=").Map(jen.String()).String().Values(msgs)
	f.Line()

	// Event names and namespace parameters.
	for _, ns := range g.s.Namespaces {
		var cs []jen.Code
		seen := map[string]bool{}
		for _, ev := range ns.Events() {
			if seen[ev.Name] {
				continue
			}
			seen[ev.Name] = true
			cs = append(cs, comment(fmt.Sprintf("%s%sEvent is the name of the event %q.", ns.GoName, ev.GoName, ev.Name)))
			cs = append(cs, jen.Id(ns.GoName+ev.GoName+"Event").Op("=").Lit(ev.Name))
		}
		if len(cs) > 0 {
			f.Add(comment(fmt.Sprintf("Event names of namespace %s.", ns.Name)))
			f.Const().Defs(cs...)
			f.Line()
		}
		if ns.IsDynamic() {
			var fields []jen.Code
			for _, p := range ns.Params {
				fields = append(fields, comment(fmt.Sprintf("%s is the value of {%s}.", p.GoName, p.Name)), jen.Id(p.GoName).String())
			}
			f.Add(comment(fmt.Sprintf("%sParams are the parameters of the dynamic namespace %s.", ns.GoName, ns.Name)))
			f.Type().Id(ns.GoName + "Params").Struct(fields...)
			f.Line()
			f.Var().Id(lowerFirst(ns.GoName)+"Regexp").Op("=").Qual(pregex, "MustCompile").Call(jen.Lit(ns.Regexp()))
			f.Line()
		}
	}

	for _, nt := range g.s.AllTypes() {
		if g.binding(nt.Name) != nil {
			continue
		}
		g.namedType(f, nt)
	}

	// Event payload and ack validation (used by both sides).
	for _, ns := range g.s.Namespaces {
		for _, ev := range ns.Events() {
			g.eventValidate(f, ns, ev)
			g.ackValidate(f, ns, ev)
		}
	}

	g.writerFuncs(f)
	g.readerFuncs(f)

	if len(g.patOrder) > 0 {
		var defs []jen.Code
		for _, p := range g.patOrder {
			defs = append(defs, jen.Id(g.patterns[p]).Op("=").Qual(pregex, "MustCompile").Call(jen.Lit(p)))
		}
		f.Var().Defs(defs...)
		f.Line()
	}
	g.shapeDecls(f)
	return f
}

func describeType(nt *schema.NamedType) string {
	if nt.Inline {
		return fmt.Sprintf("%s is the type of the %s.", nt.GoName, nt.Origin)
	}
	if k := nt.Type.Kind; k == schema.KindObject || k == schema.KindEnum {
		return fmt.Sprintf("%s is the schema type %s.", nt.GoName, nt.Name)
	}
	return fmt.Sprintf("%s is the schema type %s (%s).", nt.GoName, nt.Name, nt.Type.String())
}

func (g *generator) namedType(f *jen.File, nt *schema.NamedType) {
	t := nt.Type
	f.Add(comment(docLines(describeType(nt), nt.Doc, nt.Deprecated)...))
	switch t.Kind {
	case schema.KindObject:
		var fields []jen.Code
		for _, fl := range t.Fields {
			tag := fl.Name
			if fl.Optional() {
				tag += ",omitempty"
			}
			if fl.Doc != "" || fl.Deprecated {
				lines := []string{}
				if fl.Doc != "" {
					lines = append(lines, fl.Doc)
				}
				if fl.Deprecated {
					if len(lines) > 0 {
						lines = append(lines, "")
					}
					lines = append(lines, "Deprecated: marked deprecated in the schema.")
				}
				fields = append(fields, comment(lines...))
			}
			fields = append(fields, jen.Id(fl.GoName).Add(g.goType(fl.Type)).Tag(map[string]string{"json": tag}))
		}
		f.Type().Id(nt.GoName).Struct(fields...)
		f.Line()
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, g.validate(fl.Type, jen.Id("x").Dot(fl.GoName), at(fl.Name), retErr, 0)...)
		}
		if len(body) > 0 {
			body = append([]jen.Code{jen.If(jen.Id("x").Op("==").Nil()).Block(jen.Return(jen.Nil()))}, body...)
		}
		body = append(body, jen.Return(jen.Nil()))
		f.Add(comment("Validate checks the constraints of the schema on x and its fields."))
		f.Func().Params(jen.Id("x").Op("*").Id(nt.GoName)).Id("Validate").Params().Error().Block(body...)
		f.Line()
		g.appendJSONMethod(f, nt)
		g.readJSONMethod(f, nt)
	case schema.KindEnum:
		f.Type().Id(nt.GoName).String()
		f.Line()
		var cs, cases []jen.Code
		var vals []string
		for _, v := range t.Values {
			cs = append(cs, comment(docLines(fmt.Sprintf("%s is the value %q of %s.", v.GoName, v.Value, nt.GoName), v.Doc, v.Deprecated)...))
			cs = append(cs, jen.Id(v.GoName).Id(nt.GoName).Op("=").Lit(v.Value))
			cases = append(cases, jen.Id(v.GoName))
			vals = append(vals, strconv.Quote(v.Value))
		}
		f.Add(comment(fmt.Sprintf("The values of %s.", nt.GoName)))
		f.Const().Defs(cs...)
		f.Line()
		f.Add(comment("Validate checks that x is one of the values of the enum."))
		f.Func().Params(jen.Id("x").Id(nt.GoName)).Id("Validate").Params().Error().Block(
			jen.Switch(jen.Id("x")).Block(jen.Case(cases...).Block(jen.Return(jen.Nil()))),
			jen.Return(jen.Qual(rt, "Invalidf").Call(jen.Lit("is %q, not one of "+strings.Join(vals, ", ")), jen.String().Parens(jen.Id("x")))),
		)
		f.Line()
	default:
		if g.isAlias(nt) {
			f.Type().Id(nt.GoName).Op("=").Add(g.goType(t))
			f.Line()
			return
		}
		f.Type().Id(nt.GoName).Add(g.goType(t))
		f.Line()
		// Validate the value as its underlying type.
		under := jen.Id("x")
		var body []jen.Code
		if t.Kind == schema.KindNamed {
			// A named type defined as another: validate as that one.
			if g.needs(t) {
				body = append(body, jen.Return(jen.Add(g.goType(t)).Parens(jen.Id("x")).Dot("Validate").Call()))
			}
		} else {
			body = append(body, g.validate(t, under, at(""), retErr, 0)...)
		}
		if len(body) == 0 || t.Kind != schema.KindNamed {
			body = append(body, jen.Return(jen.Nil()))
		}
		f.Add(comment("Validate checks the constraints of the schema on x."))
		f.Func().Params(jen.Id("x").Id(nt.GoName)).Id("Validate").Params().Error().Block(body...)
		f.Line()
	}
}

// ---- events ----

// param is a Go parameter carrying a payload or an argument.
type param struct {
	name string // Go identifier
	wire string // name in error paths: "" for a payload
	t    *schema.Type
}

// reservedLocal are the identifiers generated functions use besides their
// parameters.
var reservedLocal = map[string]bool{"ctx": true, "s": true, "ts": true, "m": true, "nsp": true, "so": true, "auth": true, "reason": true, "p": true, "c": true, "e": true, "err": true, "r": true, "h": true, "args": true, "cfg": true}

func init() {
	for _, k := range strings.Fields("break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var " +
		"any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil " +
		"append cap clear close complex copy delete imag len make max min new panic print println real recover socketio context time json regexp slices parser maps") {
		reservedLocal[k] = true
	}
}

// packageLevel reports whether n may be the name of a package-level
// variable the generated code refers to inside functions (shapeUser,
// listShapeOfUser, pattern1, errorMessages, chatRegexp), which a parameter
// of that name would hide.
func packageLevel(n string) bool {
	for _, p := range []string{"shape", "listShape", "mapShape", "pattern"} {
		if len(n) > len(p) && strings.HasPrefix(n, p) {
			return true
		}
	}
	return n == "errorMessages" || strings.HasSuffix(n, "Regexp")
}

// importsAs reports whether n may be the name under which the generated
// code refers to the package of a bound Go type: the last element of its
// import path, lower-cased, letters and digits only, as jen names it
// (github.com/acme/chat/ids → ids, net/netip → netip).
func (g *generator) importsAs(n string) bool {
	for _, b := range g.cfg.Bindings {
		last := strings.ToLower(b.ImportPath[strings.LastIndex(b.ImportPath, "/")+1:])
		last = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, last)
		if strings.TrimLeft(last, "0123456789") == n {
			return true
		}
	}
	return false
}

func lowerFirst(goName string) string {
	r := []rune(goName)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	switch {
	case n == 0:
		return goName
	case n == len(r):
		return strings.ToLower(goName)
	case n > 1 && unicode.IsLower(r[n]):
		n-- // HTTPServer → httpServer
	}
	return strings.ToLower(string(r[:n])) + string(r[n:])
}

func (g *generator) params(ev *schema.Event) []param {
	if ev.Payload != nil {
		return []param{{name: "p", wire: "", t: ev.Payload}}
	}
	// A name the generated code uses is renamed n+"Arg" (n+"Arg2", … when
	// another argument has that name: ctx and ctxArg).
	taken := map[string]bool{}
	for _, a := range ev.Args {
		taken[lowerFirst(a.GoName)] = true
	}
	clash := func(n string) bool {
		return reservedLocal[n] || strings.HasPrefix(n, "v") && len(n) > 1 && unicode.IsDigit(rune(n[1])) || packageLevel(n) || g.importsAs(n)
	}
	var out []param
	for _, a := range ev.Args {
		n := lowerFirst(a.GoName)
		if clash(n) {
			base := n + "Arg"
			n = base
			for i := 2; taken[n]; i++ {
				n = base + strconv.Itoa(i)
			}
			taken[n] = true
		}
		out = append(out, param{name: n, wire: a.Name, t: a.Type})
	}
	return out
}

// paramDecls are the parameters of a method for the event's params.
func (g *generator) paramDecls(ps []param) []jen.Code {
	var out []jen.Code
	for _, p := range ps {
		out = append(out, jen.Id(p.name).Add(g.paramType(p.t)))
	}
	return out
}

func paramIDs(ps []param) []jen.Code {
	var out []jen.Code
	for _, p := range ps {
		out = append(out, jen.Id(p.name))
	}
	return out
}

// wireArgs are the params as sent: a required list or map nil goes out
// empty ([] or {}), not null.
func (g *generator) wireArgs(ps []param) []jen.Code {
	var out []jen.Code
	for _, p := range ps {
		out = append(out, g.wireValue(p.t, jen.Id(p.name)))
	}
	return out
}

// wireValue is x, of type t, as sent: through socketio.ListOrEmpty or
// MapOrEmpty when t is a required list or map, as a socketio.Wired with
// its own writer when t holds lists or maps (see wired). A bound type goes
// as it is: its Go type need not be a slice or a map.
func (g *generator) wireValue(t *schema.Type, x jen.Code) jen.Code {
	if g.wired(t) {
		return g.wiredValue(t, x)
	}
	if t.IsOptional() {
		return x
	}
	switch g.underlying(t).Kind {
	case schema.KindList:
		return jen.Qual(rt, "ListOrEmpty").Call(x)
	case schema.KindMap:
		return jen.Qual(rt, "MapOrEmpty").Call(x)
	}
	return x
}

// underlying is t with its names resolved, but for a bound type's.
func (g *generator) underlying(t *schema.Type) *schema.Type {
	for i := 0; t.Kind == schema.KindNamed && g.binding(t.Name) == nil && i < 100; i++ {
		t = t.Decl.Type
	}
	return t
}

// wired reports whether t, sent whole, is a list or map (optional or not)
// whose elements are lists or maps: the codec's reflection would write a
// nil one inside as null, which the receiver refuses, so the value goes
// with a writer generated for its type (appendValue writes [] and {}).
func (g *generator) wired(t *schema.Type) bool {
	if t.IsOptional() {
		t = t.Elem
	}
	u := g.underlying(t)
	if u.Kind != schema.KindList && u.Kind != schema.KindMap {
		return false
	}
	e := g.underlying(u.Elem)
	return e.Kind == schema.KindList || e.Kind == schema.KindMap
}

// wiredValue is x, of type t (wired), as a socketio.Wired with its writer
// (see writerFuncs).
func (g *generator) wiredValue(t *schema.Type, x jen.Code) jen.Code {
	return jen.Qual(rt, "Wired").Types(g.paramType(t)).Values(jen.Dict{
		jen.Id("V"):     x,
		jen.Id("Write"): jen.Id(g.writers[wiredKey(g, t)]),
	})
}

// wiredKey tells the writers of wired types apart: their Go type, and
// whether nil is null (optional) or empty.
func wiredKey(g *generator, t *schema.Type) string {
	return fmt.Sprintf("%t %#v", t.IsOptional(), g.paramType(t))
}

// eventValues calls fn for each value the events carry (payload or
// arguments, and ack), with a suffix that names it (Payload, Arg1…, Ack).
func (g *generator) eventValues(fn func(ns *schema.Namespace, ev *schema.Event, t *schema.Type, suffix string)) {
	for _, ns := range g.s.Namespaces {
		for _, ev := range ns.Events() {
			for i, p := range g.params(ev) {
				if ev.Payload != nil {
					fn(ns, ev, p.t, "Payload")
				} else {
					fn(ns, ev, p.t, fmt.Sprintf("Arg%d", i+1))
				}
			}
			if ev.Ack != nil {
				fn(ns, ev, ev.Ack, "Ack")
			}
		}
	}
}

// writerFuncs declares one function per wired type that events send whole,
// named after the first event that sends it, and records the names.
func (g *generator) writerFuncs(f *jen.File) {
	g.eventValues(func(ns *schema.Namespace, ev *schema.Event, t *schema.Type, suffix string) {
		key := wiredKey(g, t)
		if !g.wired(t) || g.writers[key] != "" {
			return
		}
		name := "write" + dirTag(ev) + ns.GoName + ev.GoName + suffix
		g.writers[key] = name
		var body []jen.Code
		elem := t
		if t.IsOptional() {
			body = append(body, jen.If(jen.Id("x").Op("==").Nil()).Block(jen.Id("w").Dot("Null").Call(), jen.Return()))
			elem = t.Elem
		}
		body = append(body, g.appendValue(elem, jen.Id("x"), 0)...)
		f.Add(comment(fmt.Sprintf("%s writes a value of type %s sent whole: a nil list or map inside it is [] or {}, not null (see socketio.Wired).", name, t)))
		f.Func().Id(name).Params(jen.Id("w").Qual(pparser, "JSONWriter"), jen.Id("x").Add(g.paramType(t))).Block(body...)
		f.Line()
	})
}

// readsItself reports whether a param of type t is decoded by a generated
// function (parser.ReadInto): not an object type (its ReadJSON method
// does), nor a bound type (encoding/json decodes it).
func (g *generator) readsItself(t *schema.Type) bool {
	u := t
	if u.IsOptional() {
		u = u.Elem
	}
	return !g.isObject(t) && !(u.Kind == schema.KindNamed && g.binding(u.Name) != nil)
}

// readerFuncs declares one function per Go type of the params that
// readsItself, named after the first event that receives it, and records
// the names.
func (g *generator) readerFuncs(f *jen.File) {
	g.eventValues(func(ns *schema.Namespace, ev *schema.Event, t *schema.Type, suffix string) {
		key := fmt.Sprintf("%#v", g.paramType(t))
		if !g.readsItself(t) || g.readers[key] != "" {
			return
		}
		name := "read" + dirTag(ev) + ns.GoName + ev.GoName + suffix
		g.readers[key] = name
		f.Add(comment(fmt.Sprintf("%s reads a value of type %s as encoding/json would (see parser.ReadInto).", name, t)))
		var body []jen.Code
		if t.Kind == schema.KindPrimitive && t.Prim == schema.Any {
			// Always assigned: no copy of the old value to fall back on
			// (staticcheck flags the dead store of the general form).
			body = g.readValue(t, jen.Op("*").Id("x"), nil, 0)
		} else {
			body = append([]jen.Code{jen.Id("y").Op(":=").Op("*").Id("x")}, g.readValue(t, jen.Id("y"), nil, 0)...)
			body = append(body, jen.Op("*").Id("x").Op("=").Id("y"))
		}
		f.Func().Id(name).Params(jen.Id("r").Op("*").Qual(pparser, "JSONReader"), jen.Id("x").Op("*").Add(g.paramType(t))).Block(body...)
		f.Line()
	})
}

// readInto is the destination of a param p decoded by its generated
// function (see readerFuncs).
func (g *generator) readInto(p param) jen.Code {
	return jen.Qual(pparser, "ReadInto").Types(g.paramType(p.t)).Values(jen.Dict{
		jen.Id("Ptr"):  jen.Op("&").Id(p.name),
		jen.Id("Read"): g.reader(p.t),
	})
}

// reader is the generated function that reads a value of type t, which
// readsItself (see readerFuncs).
func (g *generator) reader(t *schema.Type) jen.Code {
	return jen.Id(g.readers[fmt.Sprintf("%#v", g.paramType(t))])
}

// unimplementedDoc is the doc comment of an Unimplemented… handler's method.
func unimplementedDoc(ev *schema.Event) string {
	if ev.Ack != nil {
		return ev.GoName + " answers unimplemented."
	}
	return ev.GoName + " returns an unimplemented error (the event has no ack: it is logged at debug level)."
}

func dirTag(ev *schema.Event) string {
	if ev.Direction == schema.ClientToServer {
		return "C2S"
	}
	return "S2C"
}

func validateName(ns *schema.Namespace, ev *schema.Event) string {
	return "validate" + dirTag(ev) + ns.GoName + ev.GoName
}

func decodeName(ns *schema.Namespace, ev *schema.Event) string {
	return "decode" + dirTag(ev) + ns.GoName + ev.GoName
}

// eventValidate writes validateXxx(params) error for an event with params.
func (g *generator) eventValidate(f *jen.File, ns *schema.Namespace, ev *schema.Event) {
	ps := g.params(ev)
	if len(ps) == 0 {
		return
	}
	var body []jen.Code
	for _, p := range ps {
		if g.isObject(p.t) {
			body = append(body, jen.If(jen.Id(p.name).Op("==").Nil()).Block(
				jen.Return(at(p.wire)(jen.Qual(rt, "Invalidf").Call(jen.Lit("is required"))))))
		}
		body = append(body, g.validate(p.t, jen.Id(p.name), at(p.wire), retErr, 0)...)
	}
	body = append(body, jen.Return(jen.Nil()))
	f.Add(comment(fmt.Sprintf("%s checks the arguments of the event %q of %s.", validateName(ns, ev), ev.Name, ns.Name)))
	f.Func().Id(validateName(ns, ev)).Params(g.paramDecls(ps)...).Error().Block(body...)
	f.Line()
}

func validateAckName(ns *schema.Namespace, ev *schema.Event) string {
	return "validateAck" + dirTag(ev) + ns.GoName + ev.GoName
}

// ackChecked reports whether the ack of ev has a validateAckXxx: an object
// (which must not be nil) or a type with constraints.
func (g *generator) ackChecked(ev *schema.Event) bool {
	return ev.Ack != nil && (g.isObject(ev.Ack) || g.needs(ev.Ack))
}

// ackValidate writes validateAckXxx(r) error, which the side that answers
// an event calls on its handler's result before sending it, and the side
// that asked on what it received.
func (g *generator) ackValidate(f *jen.File, ns *schema.Namespace, ev *schema.Event) {
	if !g.ackChecked(ev) {
		return
	}
	var body []jen.Code
	if g.isObject(ev.Ack) {
		body = append(body, jen.If(jen.Id("r").Op("==").Nil()).Block(
			jen.Return(jen.Qual(rt, "Invalidf").Call(jen.Lit("is required")))))
	}
	body = append(body, g.validate(ev.Ack, jen.Id("r"), at(""), retErr, 0)...)
	body = append(body, jen.Return(jen.Nil()))
	f.Add(comment(fmt.Sprintf("%s checks the ack of the event %q of %s.", validateAckName(ns, ev), ev.Name, ns.Name)))
	f.Func().Id(validateAckName(ns, ev)).Params(jen.Id("r").Add(g.paramType(ev.Ack))).Error().Block(body...)
	f.Line()
}

// eventDecode writes decodeXxx(e) (params, err) for the receiving side.
func (g *generator) eventDecode(f *jen.File, ns *schema.Namespace, ev *schema.Event) {
	ps := g.params(ev)
	if len(ps) == 0 {
		return
	}
	var results []jen.Code
	for _, p := range ps {
		results = append(results, jen.Id(p.name).Add(g.paramType(p.t)))
	}
	results = append(results, jen.Err().Error())
	var body []jen.Code
	for i, p := range ps {
		if g.isObject(p.t) {
			v := "v" + strconv.Itoa(i)
			body = append(body,
				jen.Var().Id(v).Add(g.declType(p.t)),
				jen.If(jen.Err().Op("=").Qual(rt, "DecodeArg").Call(jen.Id("e"), jen.Lit(i), jen.Lit(p.wire), jen.Op("&").Id(v), jen.False(), g.shapeArg(p.t)), jen.Err().Op("!=").Nil()).Block(jen.Return()),
				jen.Id(p.name).Op("=").Op("&").Id(v))
		} else {
			var dst jen.Code = jen.Op("&").Id(p.name)
			if g.readsItself(p.t) {
				dst = g.readInto(p)
			}
			body = append(body,
				jen.If(jen.Err().Op("=").Qual(rt, "DecodeArg").Call(jen.Id("e"), jen.Lit(i), jen.Lit(p.wire), dst, jen.Lit(p.t.MayBeAbsent()), g.shapeArg(p.t)), jen.Err().Op("!=").Nil()).Block(jen.Return()))
		}
	}
	body = append(body, jen.Err().Op("=").Id(validateName(ns, ev)).Call(paramIDs(ps)...), jen.Return())
	f.Add(comment(fmt.Sprintf("%s decodes and validates the arguments of the event %q of %s.", decodeName(ns, ev), ev.Name, ns.Name)))
	f.Func().Id(decodeName(ns, ev)).Params(jen.Id("e").Op("*").Qual(rt, "Event")).Params(results...).Block(body...)
	f.Line()
}

// handlerMethod is the method of a handler interface for a received event.
// server adds the socket parameter.
func (g *generator) handlerMethod(ns *schema.Namespace, ev *schema.Event, socket bool) jen.Code {
	args := []jen.Code{jen.Id("ctx").Qual(pctx, "Context")}
	if socket {
		args = append(args, jen.Id("s").Op("*").Id(ns.GoName+"Socket"))
	}
	args = append(args, g.paramDecls(g.params(ev))...)
	m := jen.Id(ev.GoName).Params(args...)
	if ev.Ack != nil {
		return m.Params(g.paramType(ev.Ack), jen.Error())
	}
	return m.Error()
}

func eventDoc(ev *schema.Event, summary string) []string {
	return docLines(summary, ev.Doc, ev.Deprecated)
}

func ackSummary(g *generator, ev *schema.Event) string {
	if ev.Ack == nil {
		return ""
	}
	codes := []string{}
	for _, e := range ev.Errors {
		if e.Builtin {
			codes = append(codes, "socketio.Code"+e.GoName)
		} else {
			codes = append(codes, "Code"+e.GoName)
		}
	}
	s := " It is acknowledged with " + ev.Ack.String()
	if len(codes) > 0 {
		s += " or the error codes " + strings.Join(codes, ", ")
	}
	return s + "."
}

// dispatch is the body of the socket.On handler of a received event:
// decode, validate, call, reply.
func (g *generator) dispatch(ns *schema.Namespace, ev *schema.Event, call func(args []jen.Code) *jen.Statement) []jen.Code {
	ps := g.params(ev)
	var body []jen.Code
	acked := ev.Ack != nil
	if len(ps) > 0 {
		lhs := append(paramIDs(ps), jen.Err())
		body = append(body,
			jen.List(lhs...).Op(":=").Id(decodeName(ns, ev)).Call(jen.Id("e")),
			jen.If(jen.Err().Op("!=").Nil()).Block(
				jen.Id("cfg").Dot("Reject").Call(jen.Id("e"), jen.Lit(acked), jen.Err()),
				jen.Return()))
	}
	if acked {
		// The handler's result is checked against the ack type, and its
		// error code against the event's declared ones (the built-in ones
		// always go).
		var validate jen.Code = jen.Nil()
		if g.ackChecked(ev) {
			validate = jen.Id(validateAckName(ns, ev))
		}
		if g.wired(ev.Ack) && g.ackChecked(ev) {
			// ReplyOK validates what it sends: the value inside.
			validate = jen.Func().Params(jen.Id("x").Qual(rt, "Wired").Types(g.paramType(ev.Ack))).Error().Block(
				jen.Return(jen.Id(validateAckName(ns, ev)).Call(jen.Id("x").Dot("V"))))
		}
		reply := []jen.Code{jen.Id("cfg"), jen.Id("e"), g.wireValue(ev.Ack, jen.Id("r")), jen.Err(), validate}
		for _, e := range ev.Errors {
			if !e.Builtin {
				reply = append(reply, jen.Id("Code"+e.GoName))
			}
		}
		body = append(body,
			jen.List(jen.Id("r"), jen.Err()).Op(":=").Add(call(paramIDs(ps))),
			jen.Qual(rt, "ReplyOK").Call(reply...))
	} else {
		body = append(body, jen.Id("cfg").Dot("Done").Call(jen.Id("e"), call(paramIDs(ps))))
	}
	return body
}

// emitBody is the body of a typed emit on sock (a *socketio.Socket or
// *socketio.ClientSocket expression) returning the ack when there is one.
func (g *generator) emitBody(ns *schema.Namespace, ev *schema.Event, sock *jen.Statement) []jen.Code {
	ps := g.params(ev)
	var zero jen.Code
	if ev.Ack != nil {
		zero = g.zero(ev.Ack)
	}
	fail := func(err jen.Code) jen.Code {
		if ev.Ack != nil {
			return jen.Return(zero, err)
		}
		return jen.Return(err)
	}
	var body []jen.Code
	if len(ps) > 0 {
		body = append(body, jen.If(jen.Err().Op(":=").Id(validateName(ns, ev)).Call(paramIDs(ps)...), jen.Err().Op("!=").Nil()).Block(
			fail(jen.Qual(rt, "InvalidArgument").Call(jen.Err()))))
	}
	name := jen.Id(ns.GoName + ev.GoName + "Event")
	if ev.Ack == nil {
		body = append(body, jen.Return(sock.Clone().Dot("Emit").Call(append([]jen.Code{name}, g.wireArgs(ps)...)...)))
		return body
	}
	body = append(body,
		jen.List(jen.Id("args"), jen.Err()).Op(":=").Add(sock.Clone().Dot("EmitWithAck").Call(append([]jen.Code{jen.Id("ctx"), name}, g.wireArgs(ps)...)...)),
		g.decodeAck(ev.Ack),
		jen.If(jen.Err().Op("!=").Nil()).Block(fail(jen.Err())),
	)
	result := jen.Id("r")
	if g.isObject(ev.Ack) {
		result = jen.Op("&").Id("r")
	}
	if g.ackChecked(ev) {
		body = append(body, jen.If(jen.Err().Op(":=").Id(validateAckName(ns, ev)).Call(result), jen.Err().Op("!=").Nil()).Block(
			jen.Return(zero, jen.Qual(rt, "InvalidAck").Call(jen.Err()))))
	}
	body = append(body, jen.Return(result, jen.Nil()))
	return body
}

// decodeAck decodes the answer of an EmitWithAck (args, err) into r, data
// of type t: with the function generated for t when it readsItself.
func (g *generator) decodeAck(t *schema.Type) jen.Code {
	args := []jen.Code{jen.Id("args"), jen.Err(), g.shapeArg(t), jen.Lit(t.MayBeAbsent())}
	decode := jen.Qual(rt, "DecodeAck")
	if g.readsItself(t) {
		decode = jen.Qual(rt, "DecodeAckFunc")
		args = append(args, g.reader(t))
	}
	return jen.List(jen.Id("r"), jen.Err()).Op(":=").Add(decode).Types(g.declType(t)).Call(args...)
}

// zero is the zero value of paramType(t).
func (g *generator) zero(t *schema.Type) jen.Code {
	if g.isObject(t) || t.IsOptional() {
		return jen.Nil()
	}
	u := t
	if u.Kind == schema.KindNamed {
		if g.binding(u.Name) != nil {
			// A bound Go type need not be a struct: time.Duration{} does
			// not compile, *new(time.Duration) is the zero value of any type.
			return jen.Op("*").New(g.goType(t))
		}
		u = u.Decl.Type
	}
	switch {
	case u.Kind == schema.KindPrimitive && u.Prim == schema.String:
		return jen.Lit("")
	case u.Kind == schema.KindPrimitive && u.Prim == schema.Bool:
		return jen.False()
	case u.Kind == schema.KindPrimitive && u.Prim.IsNumber():
		return jen.Lit(0)
	case u.Kind == schema.KindEnum:
		return jen.Lit("")
	case u.Kind == schema.KindList || u.Kind == schema.KindMap:
		return jen.Nil()
	case u.Kind == schema.KindPrimitive && (u.Prim == schema.Binary || u.Prim == schema.Any):
		return jen.Nil()
	}
	return g.goType(t).Values()
}

// ---- server ----

func (g *generator) serverFile(source string) *jen.File {
	f := g.newFile(source)
	for _, ns := range g.s.Namespaces {
		for _, ev := range ns.ClientToServer {
			g.eventDecode(f, ns, ev)
		}
		g.serverNamespace(f, ns)
	}
	return f
}

// authFuncOption declares With<N>AuthFunc, the option that gives a client
// of ns an auth callback: run before every CONNECT, its auth checked
// against the schema as Connect checks a fixed one (socketio.WithAuthFunc).
func (g *generator) authFuncOption(f *jen.File, ns *schema.Namespace, client string) {
	name := "With" + ns.GoName + "AuthFunc"
	authPtr := jen.Op("*").Add(g.goType(ns.Auth))
	fnType := jen.Func().Params(jen.Id("ctx").Qual(pctx, "Context")).Params(authPtr, jen.Error())
	f.Add(comment(
		fmt.Sprintf("%s makes a client of %s (New%s) take its auth from fn before", name, ns.Name, client),
		"every CONNECT, the first one and each reconnection, in place of the auth",
		"given to New"+client+": a token refreshed each time, as socket.io-client's auth",
		"callback. An error from fn, or an auth that fails the schema's checks",
		"(code invalid_argument), fails that CONNECT: the socket's OnConnectError",
		"handlers get it and the socket stays disconnected. A nil auth sends none."))
	f.Func().Id(name).Params(jen.Id("fn").Add(fnType)).Qual(rt, "TypedOption").Block(
		jen.Return(jen.Qual(rt, "WithAuthFunc").Call(jen.Id("fn"))),
	)
	f.Line()
}

// authValidate is the func() error that validates an auth of type t: the
// Validate method of v (the auth, or a pointer to it), or, for a type bound
// to a Go type (which need not have one), a func calling
// socketio.ValidateValue with ptr, a pointer to the auth.
func (g *generator) authValidate(t *schema.Type, v, ptr *jen.Statement) *jen.Statement {
	if g.isObject(t) {
		return v.Dot("Validate")
	}
	return jen.Func().Params().Error().Block(jen.Return(jen.Qual(rt, "ValidateValue").Call(ptr)))
}

func (g *generator) serverNamespace(f *jen.File, ns *schema.Namespace) {
	N := ns.GoName
	handler, unimpl, sock, emitter := N+"Handler", "Unimplemented"+N+"Handler", N+"Socket", N+"Emitter"

	connectArgs := []jen.Code{jen.Id("ctx").Qual(pctx, "Context"), jen.Id("s").Op("*").Id(sock)}
	if ns.Auth != nil {
		connectArgs = append(connectArgs, jen.Id("auth").Op("*").Add(g.goType(ns.Auth)))
	}
	disconnectArgs := []jen.Code{jen.Id("s").Op("*").Id(sock), jen.Id("reason").Qual(rt, "DisconnectReason")}

	// Handler interface.
	methods := []jen.Code{
		comment("Connect runs when a client connects, before it is connected; a non-nil",
			"error refuses the connection (the client gets a CONNECT_ERROR). ctx ends when",
			"the socket disconnects."+map[bool]string{true: " auth is the client's decoded and validated auth.", false: ""}[ns.Auth != nil]),
		jen.Id("Connect").Params(connectArgs...).Error(),
	}
	for _, ev := range ns.ClientToServer {
		methods = append(methods, comment(eventDoc(ev, fmt.Sprintf("%s handles the event %q.%s", ev.GoName, ev.Name, ackSummary(g, ev)))...))
		methods = append(methods, g.handlerMethod(ns, ev, true))
	}
	methods = append(methods, comment("Disconnect runs once the socket is disconnected."), jen.Id("Disconnect").Params(disconnectArgs...))
	f.Add(comment(docLines(fmt.Sprintf("%s handles the namespace %s on a server: register it with %s.", handler, ns.Name, "New"+N+"Namespace"),
		ns.Doc+"\n\nEvents arrive decoded and validated: a payload that fails goes back as an\ninvalid_argument ack (or is dropped and logged when the event has no ack) and\nnever reaches the handler. Return socketio.NewAckError(code, message) to ack\nwith an error code; any other error is logged and sent as code internal.\nEmbed "+unimpl+" to implement only some methods.", ns.Deprecated)...))
	f.Type().Id(handler).Interface(methods...)
	f.Line()

	// Unimplemented handler.
	f.Add(comment(fmt.Sprintf("%s implements %s: it accepts every connection and", unimpl, handler),
		"acks every event with the code unimplemented. Embed it in handlers to stay",
		"compatible with new events."))
	f.Type().Id(unimpl).Struct()
	f.Line()
	recv := jen.Id(unimpl)
	f.Add(comment("Connect accepts the connection."))
	f.Func().Params(recv.Clone()).Id("Connect").Params(connectArgs...).Error().Block(jen.Return(jen.Nil()))
	f.Line()
	for _, ev := range ns.ClientToServer {
		f.Add(comment(unimplementedDoc(ev)))
		args := []jen.Code{jen.Id("ctx").Qual(pctx, "Context"), jen.Id("s").Op("*").Id(sock)}
		args = append(args, g.paramDecls(g.params(ev))...)
		err := jen.Qual(rt, "Unimplemented").Call(jen.Id(N + ev.GoName + "Event"))
		if ev.Ack != nil {
			f.Func().Params(recv.Clone()).Id(ev.GoName).Params(args...).Params(g.paramType(ev.Ack), jen.Error()).Block(jen.Return(g.zero(ev.Ack), err))
		} else {
			f.Func().Params(recv.Clone()).Id(ev.GoName).Params(args...).Error().Block(jen.Return(err))
		}
		f.Line()
	}
	f.Add(comment("Disconnect does nothing."))
	f.Func().Params(recv.Clone()).Id("Disconnect").Params(disconnectArgs...).Block()
	f.Line()

	// Registration.
	var nspExpr jen.Code
	if ns.IsDynamic() {
		nspExpr = jen.Id("srv").Dot("OfRegexp").Call(jen.Id(lowerFirst(N) + "Regexp"))
	} else {
		nspExpr = jen.Id("srv").Dot("Of").Call(jen.Lit(ns.Name))
	}
	connectCall := []jen.Code{jen.Qual(rt, "SocketContext").Call(jen.Id("s")), jen.Id("new" + sock).Call(jen.Id("s"))}
	var mw []jen.Code
	if ns.Auth != nil {
		mw = append(mw,
			jen.Var().Id("auth").Add(g.declType(ns.Auth)),
			jen.If(jen.Err().Op(":=").Qual(rt, "DecodeValue").Call(jen.Id("s").Dot("Handshake").Call().Dot("Auth"), jen.Lit("auth"), jen.Op("&").Id("auth"), g.shapeArg(ns.Auth)), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Id("cfg").Dot("ConnectError").Call(jen.Err()))),
			jen.If(jen.Err().Op(":=").Add(g.authValidate(ns.Auth, jen.Id("auth"), jen.Op("&").Id("auth"))).Call(), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Id("cfg").Dot("ConnectError").Call(jen.Qual(rt, "At").Call(jen.Lit("auth"), jen.Err())))),
		)
		connectCall = append(connectCall, jen.Op("&").Id("auth"))
	}
	mw = append(mw, jen.Return(jen.Id("cfg").Dot("ConnectError").Call(jen.Id("h").Dot("Connect").Call(connectCall...))))

	onConn := []jen.Code{
		jen.Id("ts").Op(":=").Id("new" + sock).Call(jen.Id("s")),
		jen.Id("s").Dot("OnDisconnect").Call(jen.Func().Params(jen.Id("reason").Qual(rt, "DisconnectReason")).Block(
			jen.Id("h").Dot("Disconnect").Call(jen.Id("ts"), jen.Id("reason")))),
	}
	for _, ev := range ns.ClientToServer {
		ev := ev
		body := g.dispatch(ns, ev, func(args []jen.Code) *jen.Statement {
			return jen.Id("h").Dot(ev.GoName).Call(append([]jen.Code{jen.Id("ctx"), jen.Id("ts")}, args...)...)
		})
		onConn = append(onConn, jen.Id("s").Dot("On").Call(jen.Id(N+ev.GoName+"Event"), jen.Func().Params(jen.Id("e").Op("*").Qual(rt, "Event")).Block(body...)))
	}
	if len(ns.ClientToServer) > 0 {
		onConn = append(onConn[:1], append([]jen.Code{jen.Id("ctx").Op(":=").Qual(rt, "SocketContext").Call(jen.Id("s"))}, onConn[1:]...)...)
	}

	what := fmt.Sprintf("the namespace %s", ns.Name)
	if ns.IsDynamic() {
		what = fmt.Sprintf("the dynamic namespaces %s (every name matching %s)", ns.Name, ns.Regexp())
	}
	f.Add(comment(fmt.Sprintf("New%sNamespace serves %s on srv with h and returns", N, what),
		"the namespace (for a dynamic one: the parent of all of them). It must be called",
		"once per server, before clients connect.",
		"",
		"h.Connect runs as a middleware of the namespace: middleware added before this",
		"call (srv.Of(name).Use) runs before it and can refuse a client first; middleware",
		"added to the returned namespace runs after it, only for clients h.Connect accepted."))
	f.Func().Id("New"+N+"Namespace").Params(jen.Id("srv").Op("*").Qual(rt, "Server"), jen.Id("h").Id(handler), jen.Id("opts").Op("...").Qual(rt, "TypedOption")).Op("*").Qual(rt, "Namespace").Block(
		jen.Id("cfg").Op(":=").Qual(rt, "NewTypedConfig").Call(jen.Qual(rt, "ServerLogger").Call(jen.Id("srv")), jen.Id("errorMessages"), jen.Id("opts")),
		jen.Id("nsp").Op(":=").Add(nspExpr),
		jen.Id("nsp").Dot("Use").Call(jen.Func().Params(jen.Id("s").Op("*").Qual(rt, "Socket")).Error().Block(mw...)),
		jen.Id("nsp").Dot("OnConnection").Call(jen.Func().Params(jen.Id("s").Op("*").Qual(rt, "Socket")).Block(onConn...)),
		jen.Return(jen.Id("nsp")),
	)
	f.Line()

	// Typed socket.
	sfields := []jen.Code{jen.Id("s").Op("*").Qual(rt, "Socket")}
	if ns.IsDynamic() {
		sfields = append(sfields, jen.Id("params").Id(N+"Params"))
	}
	f.Add(comment(fmt.Sprintf("%s is a socket connected to %s, with one method per server-to-client event.", sock, ns.Name)))
	f.Type().Id(sock).Struct(sfields...)
	f.Line()
	newBody := []jen.Code{}
	if ns.IsDynamic() {
		var vals []jen.Code
		for i, p := range ns.Params {
			vals = append(vals, jen.Id(p.GoName).Op(":").Id("m").Index(jen.Lit(i+1)))
		}
		newBody = append(newBody,
			jen.Id("ts").Op(":=").Op("&").Id(sock).Values(jen.Id("s").Op(":").Id("s")),
			jen.If(jen.Id("m").Op(":=").Id(lowerFirst(N)+"Regexp").Dot("FindStringSubmatch").Call(jen.Id("s").Dot("Namespace").Call().Dot("Name").Call()), jen.Len(jen.Id("m")).Op("==").Lit(len(ns.Params)+1)).Block(
				jen.Id("ts").Dot("params").Op("=").Id(N+"Params").Values(vals...)),
			jen.Return(jen.Id("ts")))
	} else {
		newBody = append(newBody, jen.Return(jen.Op("&").Id(sock).Values(jen.Id("s").Op(":").Id("s"))))
	}
	f.Func().Id("new" + sock).Params(jen.Id("s").Op("*").Qual(rt, "Socket")).Op("*").Id(sock).Block(newBody...)
	f.Line()
	sr := func() *jen.Statement { return jen.Id("s").Op("*").Id(sock) }
	raw := jen.Id("s").Dot("s")
	fwd := []struct {
		doc    string
		name   string
		params []jen.Code
		res    []jen.Code
		body   jen.Code
	}{
		{"Socket returns the underlying socket.", "Socket", nil, []jen.Code{jen.Op("*").Qual(rt, "Socket")}, jen.Return(raw.Clone())},
		{"ID returns the socket's id.", "ID", nil, []jen.Code{jen.String()}, jen.Return(raw.Clone().Dot("ID").Call())},
		{"Context returns a context that ends when the socket disconnects.", "Context", nil, []jen.Code{jen.Qual(pctx, "Context")}, jen.Return(jen.Qual(rt, "SocketContext").Call(raw.Clone()))},
		{"Handshake returns the details of the connection.", "Handshake", nil, []jen.Code{jen.Qual(rt, "Handshake")}, jen.Return(raw.Clone().Dot("Handshake").Call())},
		{"Join puts the socket in rooms. When they would put it in more rooms than\nthe server's MaxRoomsPerSocket, it joins none and returns\nsocketio.ErrTooManyRooms.", "Join", []jen.Code{jen.Id("rooms").Op("...").String()}, []jen.Code{jen.Error()}, jen.Return(raw.Clone().Dot("Join").Call(jen.Id("rooms").Op("...")))},
		{"Leave takes the socket out of rooms.", "Leave", []jen.Code{jen.Id("rooms").Op("...").String()}, nil, raw.Clone().Dot("Leave").Call(jen.Id("rooms").Op("..."))},
		{"Rooms returns the socket's rooms, its own id room included.", "Rooms", nil, []jen.Code{jen.Index().String()}, jen.Return(raw.Clone().Dot("Rooms").Call())},
		{"Data returns the value stored with SetData.", "Data", nil, []jen.Code{jen.Any()}, jen.Return(raw.Clone().Dot("Data").Call())},
		{"SetData stores a value with the socket.", "SetData", []jen.Code{jen.Id("v").Any()}, nil, raw.Clone().Dot("SetData").Call(jen.Id("v"))},
		{"Disconnect disconnects the socket from the namespace; with close, the whole connection.", "Disconnect", []jen.Code{jen.Id("close").Bool()}, nil, raw.Clone().Dot("Disconnect").Call(jen.Id("close"))},
		{"Broadcast returns an emitter to every other socket of the socket's namespace.", "Broadcast", nil, []jen.Code{jen.Op("*").Id(emitter)},
			jen.Return(jen.Op("&").Id(emitter).Values(jen.Dict{
				jen.Id("b"):    raw.Clone().Dot("Namespace").Call().Dot("Server").Call(),
				jen.Id("nsp"):  raw.Clone().Dot("Namespace").Call().Dot("Name").Call(),
				jen.Id("opts"): jen.Qual(rt, "BroadcastOptions").Values(jen.Dict{jen.Id("Except"): jen.Index().String().Values(raw.Clone().Dot("ID").Call())}),
			}))},
	}
	if ns.IsDynamic() {
		fwd = append(fwd, struct {
			doc    string
			name   string
			params []jen.Code
			res    []jen.Code
			body   jen.Code
		}{"Params returns the parameters of the socket's namespace.", "Params", nil, []jen.Code{jen.Id(N + "Params")}, jen.Return(jen.Id("s").Dot("params"))})
	}
	for _, m := range fwd {
		f.Add(comment(m.doc))
		f.Func().Params(sr()).Id(m.name).Params(m.params...).Params(m.res...).Block(m.body)
		f.Line()
	}
	for _, ev := range ns.ServerToClient {
		ps := g.params(ev)
		args := g.paramDecls(ps)
		var res []jen.Code
		summary := fmt.Sprintf("%s sends the event %q to the socket (after validating it).", ev.GoName, ev.Name)
		if ev.Ack != nil {
			args = append([]jen.Code{jen.Id("ctx").Qual(pctx, "Context")}, args...)
			res = []jen.Code{g.paramType(ev.Ack), jen.Error()}
			summary = fmt.Sprintf("%s sends the event %q to the socket and waits, until ctx ends, for the client's answer.", ev.GoName, ev.Name)
		} else {
			res = []jen.Code{jen.Error()}
		}
		f.Add(comment(eventDoc(ev, summary)...))
		f.Func().Params(sr()).Id(ev.GoName).Params(args...).Params(res...).Block(g.emitBody(ns, ev, raw.Clone())...)
		f.Line()
	}

	// Emitter.
	f.Add(comment(fmt.Sprintf("%s broadcasts the server-to-client events of %s to the sockets", emitter, ns.Name),
		"that To and Except select (Volatile and Local set flags); each returns a new emitter. Events with",
		"an ack are not broadcast: use the socket's method."))
	f.Type().Id(emitter).Struct(
		jen.Id("b").Qual(rt, "Broadcaster"),
		jen.Id("nsp").String(),
		jen.Id("opts").Qual(rt, "BroadcastOptions"),
		jen.Id("err").Error(),
	)
	f.Line()
	if ns.IsDynamic() {
		var vals []jen.Code
		for _, p := range ns.Params {
			vals = append(vals, jen.Id("p").Dot(p.GoName))
		}
		f.Add(comment(fmt.Sprintf("New%s returns an emitter to the sockets of the namespace p names, through b", emitter),
			"(a *socketio.Server, or any Broadcaster). Invalid parameters make every emit fail."))
		f.Func().Id("New"+emitter).Params(jen.Id("b").Qual(rt, "Broadcaster"), jen.Id("p").Id(N+"Params")).Op("*").Id(emitter).Block(
			jen.List(jen.Id("nsp"), jen.Err()).Op(":=").Qual(rt, "FillNamespace").Call(append([]jen.Code{jen.Lit(ns.Name)}, vals...)...),
			jen.Return(jen.Op("&").Id(emitter).Values(jen.Dict{jen.Id("b"): jen.Id("b"), jen.Id("nsp"): jen.Id("nsp"), jen.Id("err"): jen.Err()})))
	} else {
		f.Add(comment(fmt.Sprintf("New%s returns an emitter to every socket of %s, through b", emitter, ns.Name),
			"(a *socketio.Server, or any Broadcaster)."))
		f.Func().Id("New" + emitter).Params(jen.Id("b").Qual(rt, "Broadcaster")).Op("*").Id(emitter).Block(
			jen.Return(jen.Op("&").Id(emitter).Values(jen.Dict{jen.Id("b"): jen.Id("b"), jen.Id("nsp"): jen.Lit(ns.Name)})))
	}
	f.Line()
	er := func() *jen.Statement { return jen.Id("e").Op("*").Id(emitter) }
	for _, sel := range []struct{ name, doc string }{
		{"To", "To selects the sockets in any of rooms (calls add up)."},
		{"Except", "Except leaves out the sockets in rooms."},
	} {
		field := "Rooms"
		if sel.name == "Except" {
			field = "Except"
		}
		f.Add(comment(sel.doc))
		f.Func().Params(er()).Id(sel.name).Params(jen.Id("rooms").Op("...").String()).Op("*").Id(emitter).Block(
			jen.Id("c").Op(":=").Op("*").Id("e"),
			jen.Id("c").Dot("opts").Dot(field).Op("=").Append(jen.Qual(pslice, "Clip").Call(jen.Id("e").Dot("opts").Dot(field)), jen.Id("rooms").Op("...")),
			jen.Return(jen.Op("&").Id("c")))
		f.Line()
	}
	for _, sel := range []struct{ name, doc string }{
		{"Volatile", "Volatile lets the events be lost for sockets that cannot take them now."},
		{"Local", "Local restricts the broadcast to this node."},
	} {
		f.Add(comment(sel.doc))
		f.Func().Params(er()).Id(sel.name).Params().Op("*").Id(emitter).Block(
			jen.Id("c").Op(":=").Op("*").Id("e"),
			jen.Id("c").Dot("opts").Dot("Flags").Dot(sel.name).Op("=").True(),
			jen.Return(jen.Op("&").Id("c")))
		f.Line()
	}
	for _, ev := range ns.ServerToClient {
		if ev.Ack != nil {
			continue
		}
		ps := g.params(ev)
		var body []jen.Code
		body = append(body, jen.If(jen.Id("e").Dot("err").Op("!=").Nil()).Block(jen.Return(jen.Id("e").Dot("err"))))
		if len(ps) > 0 {
			body = append(body, jen.If(jen.Err().Op(":=").Id(validateName(ns, ev)).Call(paramIDs(ps)...), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Qual(rt, "InvalidArgument").Call(jen.Err()))))
		}
		body = append(body, jen.Return(jen.Id("e").Dot("b").Dot("BroadcastEvent").Call(append([]jen.Code{jen.Id("ctx"), jen.Id("e").Dot("nsp"), jen.Id("e").Dot("opts"), jen.Id(N + ev.GoName + "Event")}, g.wireArgs(ps)...)...)))
		f.Add(comment(eventDoc(ev, fmt.Sprintf("%s broadcasts the event %q (after validating it); ctx bounds the send where it blocks (an emitter in another process publishing to Redis).", ev.GoName, ev.Name))...))
		f.Func().Params(er()).Id(ev.GoName).Params(append([]jen.Code{jen.Id("ctx").Qual("context", "Context")}, g.paramDecls(ps)...)...).Error().Block(body...)
		f.Line()
	}
}

// ---- client ----

func (g *generator) clientFile(source string) *jen.File {
	f := g.newFile(source)
	for _, ns := range g.s.Namespaces {
		for _, ev := range ns.ServerToClient {
			g.eventDecode(f, ns, ev)
		}
		g.clientNamespace(f, ns)
	}
	return f
}

func (g *generator) clientNamespace(f *jen.File, ns *schema.Namespace) {
	N := ns.GoName
	client, impl, ch, unimpl := N+"Client", lowerFirst(N)+"Client", N+"ClientHandler", "Unimplemented"+N+"ClientHandler"

	// Client interface.
	methods := []jen.Code{
		comment("Socket returns the underlying client socket."),
		jen.Id("Socket").Params().Op("*").Qual(rt, "ClientSocket"),
		comment("Connect connects to the namespace (validating the auth first) and waits",
			"until the server accepts (nil) or refuses (a *socketio.ConnectError), or ctx ends."),
		jen.Id("Connect").Params(jen.Id("ctx").Qual(pctx, "Context")).Error(),
		comment("Disconnect leaves the namespace."),
		jen.Id("Disconnect").Params().Error(),
		comment("ID returns the socket id the server gave in its CONNECT reply, or \"\" when not connected."),
		jen.Id("ID").Params().String(),
		comment("Connected reports whether the socket is connected to the namespace."),
		jen.Id("Connected").Params().Bool(),
	}
	for _, ev := range ns.ClientToServer {
		ps := g.params(ev)
		if ev.Ack != nil {
			methods = append(methods, comment(eventDoc(ev, fmt.Sprintf("%s sends the event %q and waits, until ctx ends, for the ack; a", ev.GoName, ev.Name)+
				"\nfailed ack is a *socketio.AckError (code timeout when ctx ends first).")...))
			methods = append(methods, jen.Id(ev.GoName).Params(append([]jen.Code{jen.Id("ctx").Qual(pctx, "Context")}, g.paramDecls(ps)...)...).Params(g.paramType(ev.Ack), jen.Error()))
		} else {
			methods = append(methods, comment(eventDoc(ev, fmt.Sprintf("%s sends the event %q.", ev.GoName, ev.Name))...))
			methods = append(methods, jen.Id(ev.GoName).Params(g.paramDecls(ps)...).Error())
		}
	}
	f.Add(comment(docLines(fmt.Sprintf("%s is a typed client of the namespace %s: one method per client-to-server\nevent.", client, ns.Name),
		"Payloads are validated before they are sent: an invalid one is not sent\nand the method returns a socketio.CodeInvalidArgument *socketio.AckError.", false)...))
	f.Type().Id(client).Interface(methods...)
	f.Line()

	// Client handler.
	var hm []jen.Code
	for _, ev := range ns.ServerToClient {
		hm = append(hm, comment(eventDoc(ev, fmt.Sprintf("%s handles the event %q.%s", ev.GoName, ev.Name, ackSummary(g, ev)))...))
		hm = append(hm, g.handlerMethod(ns, ev, false))
	}
	f.Add(comment(fmt.Sprintf("%s handles the server-to-client events of %s on a client.", ch, ns.Name),
		"Events arrive decoded and validated; invalid ones are dropped (or acked with",
		"invalid_argument). Embed "+unimpl+" to implement only some."))
	f.Type().Id(ch).Interface(hm...)
	f.Line()
	f.Add(comment(fmt.Sprintf("%s implements %s: it ignores events and acks", unimpl, ch), "with the code unimplemented."))
	f.Type().Id(unimpl).Struct()
	f.Line()
	for _, ev := range ns.ServerToClient {
		f.Add(comment(unimplementedDoc(ev)))
		args := append([]jen.Code{jen.Id("ctx").Qual(pctx, "Context")}, g.paramDecls(g.params(ev))...)
		err := jen.Qual(rt, "Unimplemented").Call(jen.Id(N + ev.GoName + "Event"))
		if ev.Ack != nil {
			f.Func().Params(jen.Id(unimpl)).Id(ev.GoName).Params(args...).Params(g.paramType(ev.Ack), jen.Error()).Block(jen.Return(g.zero(ev.Ack), err))
		} else {
			f.Func().Params(jen.Id(unimpl)).Id(ev.GoName).Params(args...).Error().Block(jen.Return(err))
		}
		f.Line()
	}

	// Implementation.
	f.Type().Id(impl).Struct(
		jen.Id("s").Op("*").Qual(rt, "ClientSocket"),
		jen.Id("cfg").Op("*").Qual(rt, "TypedConfig"),
		jen.Id("validateAuth").Func().Params().Error(),
	)
	f.Line()

	ctorParams := []jen.Code{jen.Id("m").Op("*").Qual(rt, "Manager")}
	if ns.IsDynamic() {
		ctorParams = append(ctorParams, jen.Id("p").Id(N+"Params"))
	}
	if ns.Auth != nil {
		ctorParams = append(ctorParams, jen.Id("auth").Op("*").Add(g.goType(ns.Auth)))
	}
	ctorParams = append(ctorParams, jen.Id("h").Id(ch), jen.Id("opts").Op("...").Qual(rt, "TypedOption"))
	var body []jen.Code
	nsName := jen.Lit(ns.Name)
	if ns.IsDynamic() {
		var vals []jen.Code
		for _, p := range ns.Params {
			vals = append(vals, jen.Id("p").Dot(p.GoName))
		}
		body = append(body,
			jen.List(jen.Id("nsp"), jen.Err()).Op(":=").Qual(rt, "FillNamespace").Call(append([]jen.Code{jen.Lit(ns.Name)}, vals...)...),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())))
		nsName = jen.Id("nsp")
	}
	body = append(body,
		jen.Id("cfg").Op(":=").Qual(rt, "NewTypedConfig").Call(jen.Nil(), jen.Id("errorMessages"), jen.Id("opts")),
		jen.Id("so").Op(":=").Id("cfg").Dot("Socket"),
		jen.Id("c").Op(":=").Op("&").Id(impl).Values(jen.Dict{jen.Id("cfg"): jen.Id("cfg")}),
	)
	if ns.Auth != nil {
		body = append(body,
			jen.List(jen.Id("so").Dot("Auth"), jen.Id("so").Dot("AuthFunc")).Op("=").List(jen.Nil(), jen.Id("cfg").Dot("AuthFunc")),
			jen.If(jen.Id("auth").Op("!=").Nil().Op("&&").Id("so").Dot("AuthFunc").Op("==").Nil()).Block(
				jen.Id("so").Dot("Auth").Op("=").Id("auth"),
				jen.Id("c").Dot("validateAuth").Op("=").Add(g.authValidate(ns.Auth, jen.Id("auth"), jen.Id("auth")))))
	} else {
		body = append(body, jen.List(jen.Id("so").Dot("Auth"), jen.Id("so").Dot("AuthFunc")).Op("=").List(jen.Nil(), jen.Nil()))
	}
	body = append(body,
		jen.Id("c").Dot("s").Op("=").Id("m").Dot("Socket").Call(nsName, jen.Op("&").Id("so")),
		jen.If(jen.Id("h").Op("==").Nil()).Block(jen.Id("h").Op("=").Id(unimpl).Values()),
	)
	if len(ns.ServerToClient) > 0 {
		body = append(body, jen.Id("ctx").Op(":=").Qual(pctx, "Background").Call())
	}
	for _, ev := range ns.ServerToClient {
		ev := ev
		d := g.dispatch(ns, ev, func(args []jen.Code) *jen.Statement {
			return jen.Id("h").Dot(ev.GoName).Call(append([]jen.Code{jen.Id("ctx")}, args...)...)
		})
		body = append(body, jen.Id("c").Dot("s").Dot("On").Call(jen.Id(N+ev.GoName+"Event"), jen.Func().Params(jen.Id("e").Op("*").Qual(rt, "Event")).Block(d...)))
	}
	what := "the namespace " + ns.Name
	if ns.IsDynamic() {
		what = "the namespace " + ns.Name + " named by p (an error when a parameter is empty or has a /)"
	}
	ctorDoc := []string{fmt.Sprintf("New%s returns a client of %s over m;", client, what),
		"h handles the server's events (nil: ignore them). Call Connect to connect."}
	if ns.Auth != nil {
		ctorDoc = append(ctorDoc, "auth is sent with every CONNECT (nil sends none); With"+N+"AuthFunc",
			"among opts replaces it with a callback run before each one.")
	}
	f.Add(comment(ctorDoc...))
	if ns.IsDynamic() {
		body = append(body, jen.Return(jen.Id("c"), jen.Nil()))
		f.Func().Id("New"+client).Params(ctorParams...).Params(jen.Id(client), jen.Error()).Block(body...)
	} else {
		body = append(body, jen.Return(jen.Id("c")))
		f.Func().Id("New" + client).Params(ctorParams...).Id(client).Block(body...)
	}
	f.Line()

	if ns.Auth != nil {
		g.authFuncOption(f, ns, client)
	}

	cr := func() *jen.Statement { return jen.Id("c").Op("*").Id(impl) }
	f.Func().Params(cr()).Id("Socket").Params().Op("*").Qual(rt, "ClientSocket").Block(jen.Return(jen.Id("c").Dot("s")))
	f.Line()
	f.Func().Params(cr()).Id("Connect").Params(jen.Id("ctx").Qual(pctx, "Context")).Error().Block(
		jen.If(jen.Id("c").Dot("validateAuth").Op("!=").Nil()).Block(
			jen.If(jen.Err().Op(":=").Id("c").Dot("validateAuth").Call(), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Qual(rt, "InvalidArgument").Call(jen.Qual(rt, "At").Call(jen.Lit("auth"), jen.Err()))))),
		jen.Return(jen.Id("c").Dot("s").Dot("Connect").Call(jen.Id("ctx"))))
	f.Line()
	f.Func().Params(cr()).Id("Disconnect").Params().Error().Block(jen.Return(jen.Id("c").Dot("s").Dot("Disconnect").Call()))
	f.Line()
	f.Func().Params(cr()).Id("ID").Params().String().Block(jen.Return(jen.Id("c").Dot("s").Dot("ID").Call()))
	f.Line()
	f.Func().Params(cr()).Id("Connected").Params().Bool().Block(jen.Return(jen.Id("c").Dot("s").Dot("Connected").Call()))
	f.Line()
	for _, ev := range ns.ClientToServer {
		ps := g.params(ev)
		args := g.paramDecls(ps)
		var res []jen.Code
		if ev.Ack != nil {
			args = append([]jen.Code{jen.Id("ctx").Qual(pctx, "Context")}, args...)
			res = []jen.Code{g.paramType(ev.Ack), jen.Error()}
		} else {
			res = []jen.Code{jen.Error()}
		}
		f.Func().Params(cr()).Id(ev.GoName).Params(args...).Params(res...).Block(g.emitBody(ns, ev, jen.Id("c").Dot("s"))...)
		f.Line()
	}
}
