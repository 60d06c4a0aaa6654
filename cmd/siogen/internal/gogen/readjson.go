package gogen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/siogen/siogen/schema"
)

// readJSONMethod declares ReadJSON for the object type nt: the runtime
// decodes received payloads with it instead of encoding/json's reflection
// (parser.ReadJSON), and falls back to encoding/json for what it gives up
// on. It decodes what encoding/json would decode into the struct.
func (g *generator) readJSONMethod(f *jen.File, nt *schema.NamedType) {
	r := jen.Id("r")
	var cases []jen.Code
	var names []jen.Code
	for _, fl := range nt.Type.Fields {
		cases = append(cases, jen.Case(jen.Lit(fl.Name)).Block(g.readValue(fl.Type, jen.Id("x").Dot(fl.GoName), nil, 0)...))
		names = append(names, jen.Lit(fl.Name))
	}
	cases = append(cases, jen.Default().Block(r.Clone().Dot("Unknown").Call(append([]jen.Code{jen.Id("k")}, names...)...)))
	body := []jen.Code{
		jen.If(jen.Op("!").Add(r.Clone().Dot("ObjectStart").Call())).Block(jen.Return()),
		jen.For(
			jen.List(jen.Id("k"), jen.Id("ok")).Op(":=").Add(r.Clone().Dot("Key").Call()),
			jen.Id("ok"),
			jen.List(jen.Id("k"), jen.Id("ok")).Op("=").Add(r.Clone().Dot("Key").Call()),
		).Block(jen.Switch(jen.String().Parens(jen.Id("k"))).Block(cases...)),
	}
	f.Add(comment("ReadJSON decodes x from JSON as encoding/json would, without reflection (see parser.JSONReader)."))
	f.Func().Params(jen.Id("x").Op("*").Id(nt.GoName)).Id("ReadJSON").Params(r.Clone().Op("*").Qual(pparser, "JSONReader")).Block(body...)
	f.Line()
}

// readValue returns the statements that decode the next value of r into
// lv, an addressable value of type t; conv is the Go type of lv when a
// named type was resolved on the way (nil: t's own); depth names the
// locals.
func (g *generator) readValue(t *schema.Type, lv *jen.Statement, conv *jen.Statement, depth int) []jen.Code {
	r := func() *jen.Statement { return jen.Id("r") }
	typ := func() *jen.Statement {
		if conv != nil {
			return conv.Clone()
		}
		return g.goType(t)
	}
	// scalar is: if v, ok := r.<call>; ok { lv = v }, converted to lv's
	// type when convert says so or the type is named.
	scalar := func(call *jen.Statement, convert bool) []jen.Code {
		v := jen.Id("v")
		if convert || conv != nil || t.Kind == schema.KindNamed {
			v = typ().Parens(jen.Id("v"))
		}
		return []jen.Code{jen.If(jen.List(jen.Id("v"), jen.Id("ok")).Op(":=").Add(call), jen.Id("ok")).Block(lv.Clone().Op("=").Add(v))}
	}
	// value decodes with encoding/json, into &lv.
	value := func() []jen.Code { return []jen.Code{r().Dot("Value").Call(jen.Op("&").Add(lv.Clone()))} }
	switch t.Kind {
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.String:
			return scalar(r().Dot("String").Call(), false)
		case schema.Bool:
			return scalar(r().Dot("Bool").Call(), false)
		case schema.Int32:
			return scalar(r().Dot("Int").Call(jen.Lit(32)), true)
		case schema.Int64:
			return scalar(r().Dot("Int").Call(jen.Lit(64)), false)
		case schema.Float64:
			return scalar(r().Dot("Float").Call(), false)
		case schema.Time:
			return scalar(r().Dot("Time").Call(), false)
		case schema.Binary:
			return value()
		default: // any: json.RawMessage
			return []jen.Code{lv.Clone().Op("=").Add(r().Dot("Raw").Call())}
		}
	case schema.KindNamed:
		switch {
		case g.binding(t.Name) != nil || g.inlining[t.Decl]:
			return value()
		case g.isObject(t):
			return []jen.Code{lv.Clone().Dot("ReadJSON").Call(r())}
		case t.Decl.Type.Kind == schema.KindEnum:
			return scalar(r().Dot("String").Call(), true)
		default: // a name for another type: read it as that type
			g.inlining[t.Decl] = true
			defer delete(g.inlining, t.Decl)
			if conv == nil {
				conv = g.goType(t)
			}
			return g.readValue(t.Decl.Type, lv, conv, depth)
		}
	case schema.KindList:
		s := jen.Id("s" + strconv.Itoa(depth))
		return []jen.Code{
			jen.If(r().Dot("Null").Call()).Block(lv.Clone().Op("=").Nil()).Else().If(r().Dot("ArrayStart").Call()).Block(
				s.Clone().Op(":=").Add(lv.Clone()).Index(jen.Empty(), jen.Lit(0)),
				jen.For(r().Dot("More").Call()).Block(append([]jen.Code{
					s.Clone().Op("=").Qual(pparser, "GrowOne").Call(s.Clone()),
				}, g.readValue(t.Elem, s.Clone().Index(jen.Len(s.Clone()).Op("-").Lit(1)), nil, depth+1)...)...),
				jen.If(s.Clone().Op("==").Nil()).Block(s.Clone().Op("=").Add(typ()).Values()),
				lv.Clone().Op("=").Add(s.Clone()),
			),
		}
	case schema.KindMap:
		v := jen.Id("v" + strconv.Itoa(depth))
		return []jen.Code{
			jen.If(r().Dot("Null").Call()).Block(lv.Clone().Op("=").Nil()).Else().If(r().Dot("ObjectStart").Call()).Block(
				jen.If(lv.Clone().Op("==").Nil()).Block(lv.Clone().Op("=").Add(typ()).Values()),
				jen.For(
					jen.List(jen.Id("k"), jen.Id("ok")).Op(":=").Add(r().Dot("Key").Call()),
					jen.Id("ok"),
					jen.List(jen.Id("k"), jen.Id("ok")).Op("=").Add(r().Dot("Key").Call()),
				).Block(append(append([]jen.Code{
					jen.Var().Add(v.Clone()).Add(g.goType(t.Elem)),
				}, g.readValue(t.Elem, v.Clone(), nil, depth+1)...),
					lv.Clone().Index(jen.String().Parens(jen.Id("k"))).Op("=").Add(v.Clone()),
				)...),
			),
		}
	case schema.KindOptional:
		elem := t.Elem
		if g.nilable(elem) {
			return g.readValue(elem, lv, conv, depth)
		}
		var into []jen.Code
		if g.isObject(elem) {
			into = []jen.Code{lv.Clone().Dot("ReadJSON").Call(r())}
		} else {
			into = g.readValue(elem, jen.Op("*").Add(lv.Clone()), nil, depth)
		}
		return []jen.Code{
			jen.If(r().Dot("Null").Call()).Block(lv.Clone().Op("=").Nil()).Else().Block(append([]jen.Code{
				jen.If(lv.Clone().Op("==").Nil()).Block(lv.Clone().Op("=").New(g.goType(elem))),
			}, into...)...),
		}
	}
	panic(fmt.Sprintf("gogen: readValue: unexpected type %s", t))
}
