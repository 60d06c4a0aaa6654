package gogen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/siogen/siogen/schema"
)

const (
	pparser = "github.com/siogen/siogen/runtime/parser"
	pmaps   = "maps"
)

// appendJSONMethod declares AppendJSON for the object type nt: the
// runtime's JSON codec calls it instead of encoding/json, so generated
// payloads are encoded without reflection. It writes what encoding/json
// writes for the struct, but for two things: []byte become binary
// attachments (as the codec does for every value), and a nil list or map
// in a required field is written [] or {} (the TypeScript types say so).
// AppendMsgpack, for the MessagePack codec, has the same body on a
// parser.MsgpackWriter, which writes that JSON form's MessagePack.
func (g *generator) appendJSONMethod(f *jen.File, nt *schema.NamedType) {
	for _, m := range []struct{ name, writer, doc string }{
		{"AppendJSON", "JSONWriter", "AppendJSON writes x as JSON for the runtime's codec, without reflection."},
		{"AppendMsgpack", "MsgpackWriter", "AppendMsgpack writes x in MessagePack, as its JSON form transcoded, without reflection."},
	} {
		g.appendName = m.name
		f.Add(comment(m.doc))
		f.Func().Params(jen.Id("x").Op("*").Id(nt.GoName)).Id(m.name).Params(jen.Id("w").Qual(pparser, m.writer)).Block(g.appendBody(nt)...)
		f.Line()
	}
	g.appendName = "AppendJSON"
}

// appendBody is the body of nt's AppendJSON or AppendMsgpack (appendName).
func (g *generator) appendBody(nt *schema.NamedType) []jen.Code {
	w := jen.Id("w")
	body := []jen.Code{
		jen.If(jen.Id("x").Op("==").Nil()).Block(w.Clone().Dot("Null").Call(), jen.Return()),
		w.Clone().Dot("ObjectStart").Call(),
	}
	for _, fl := range nt.Type.Fields {
		x := jen.Id("x").Dot(fl.GoName)
		key := w.Clone().Dot("Key").Call(jen.Lit(strconv.Quote(fl.Name)))
		if fl.Type.Kind == schema.KindOptional {
			elem := fl.Type.Elem
			var present jen.Code
			var write []jen.Code
			switch {
			case g.nilable(elem):
				present = jen.Len(x.Clone()).Op(">").Lit(0)
				write = g.appendValue(elem, x.Clone(), 0)
			case g.isObject(elem):
				present = x.Clone().Op("!=").Nil()
				write = []jen.Code{x.Clone().Dot(g.appendName).Call(w)}
			default:
				present = x.Clone().Op("!=").Nil()
				write = g.appendValue(elem, jen.Parens(jen.Op("*").Add(x.Clone())), 0)
			}
			body = append(body, jen.If(present).Block(append([]jen.Code{key}, write...)...))
			continue
		}
		body = append(body, key)
		body = append(body, g.appendValue(fl.Type, x, 0)...)
	}
	return append(body, w.Clone().Dot("ObjectEnd").Call())
}

// appendValue returns the statements that write x, a value of type t
// (addressable when t is an object); depth names the loop variables.
func (g *generator) appendValue(t *schema.Type, x *jen.Statement, depth int) []jen.Code {
	w := func() *jen.Statement { return jen.Id("w") }
	switch t.Kind {
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.String:
			return []jen.Code{w().Dot("String").Call(jen.String().Parens(x))}
		case schema.Bool:
			return []jen.Code{w().Dot("Bool").Call(jen.Bool().Parens(x))}
		case schema.Int32, schema.Int64:
			return []jen.Code{w().Dot("Int").Call(jen.Int64().Parens(x))}
		case schema.Float64:
			return []jen.Code{w().Dot("Float").Call(jen.Float64().Parens(x))}
		case schema.Time:
			return []jen.Code{w().Dot("Time").Call(x)}
		case schema.Binary:
			return []jen.Code{w().Dot("Binary").Call(jen.Index().Byte().Parens(x))}
		default: // any: json.RawMessage, as encoding/json writes it
			return []jen.Code{w().Dot("Value").Call(jen.Qual(pjson, "RawMessage").Parens(x))}
		}
	case schema.KindNamed:
		switch {
		case g.binding(t.Name) != nil:
			return []jen.Code{w().Dot("Value").Call(x)}
		case g.isObject(t):
			return []jen.Code{x.Clone().Dot(g.appendName).Call(w())}
		case t.Decl.Type.Kind == schema.KindEnum:
			return []jen.Code{w().Dot("String").Call(jen.String().Parens(x))}
		case g.inlining[t.Decl]:
			// A list or map type that contains itself (A: list<A>):
			// the codec's reflection writes the rest, calling the
			// AppendJSON of the structs inside.
			return []jen.Code{w().Dot("Value").Call(x)}
		default: // a name for another type: write it as that type
			g.inlining[t.Decl] = true
			defer delete(g.inlining, t.Decl)
			return g.appendValue(t.Decl.Type, x, depth)
		}
	case schema.KindList:
		i := jen.Id("i" + strconv.Itoa(depth))
		return []jen.Code{
			w().Dot("ArrayStart").Call(),
			jen.For(i.Clone().Op(":=").Range().Add(x.Clone())).Block(
				append([]jen.Code{w().Dot("Elem").Call()}, g.appendValue(t.Elem, x.Clone().Index(i.Clone()), depth+1)...)...),
			w().Dot("ArrayEnd").Call(),
		}
	case schema.KindMap:
		k := jen.Id("k" + strconv.Itoa(depth))
		v := jen.Id("v" + strconv.Itoa(depth))
		return []jen.Code{
			w().Dot("ObjectStart").Call(),
			jen.For(jen.List(jen.Id("_"), k.Clone()).Op(":=").Range().Qual(pslice, "Sorted").Call(jen.Qual(pmaps, "Keys").Call(x.Clone()))).Block(
				append([]jen.Code{
					w().Dot("KeyString").Call(k.Clone()),
					v.Clone().Op(":=").Add(x.Clone()).Index(k.Clone()),
				}, g.appendValue(t.Elem, v.Clone(), depth+1)...)...),
			w().Dot("ObjectEnd").Call(),
		}
	}
	panic(fmt.Sprintf("gogen: appendValue: unexpected type %s", t))
}
