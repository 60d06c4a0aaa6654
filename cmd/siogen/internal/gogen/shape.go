package gogen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/siogen/siogen/schema"
)

// Shapes: decoding into Go types cannot tell a missing field from a zero
// value, so the generated decoders check the encoded value against a
// parser.Shape first: the fields each object requires, no null inside
// lists and maps. The shapes come from the schema alone (a bound Go type's
// wire form is the schema's too).
//
// A named object type (or a named type defined as a list or a map, which
// may contain itself) has a package-level shape allocated with new and set
// in init, so shapes can refer to each other in any order. A list or map
// written in place has a package-level shape of its own, shared by its
// uses, named after its content (listShapeOfUser).

// shapes are the package-level shape variables of a generated package.
type shapes struct {
	named     map[*schema.NamedType]string
	namedList []*schema.NamedType
	anon      map[string]string // constructor and element shape → var
	anonDefs  []jen.Code        // var = parser.List(…), in order of first use
	used      map[string]bool
}

// What shapeName returns for the schema's any, time and binary.
const (
	anyShape    = "parser.Any"
	timeShape   = "parser.Time"
	binaryShape = "parser.Binary"
)

// shapeRef returns the expression of t's shape: parser.Any, a
// package-level shape variable, or nil (no code) when a value of t has
// nothing inside to check. optional<T> has T's shape (DecodeArg and Field
// say optional). shapeArg writes nil as nil.
func (g *generator) shapeRef(t *schema.Type) jen.Code {
	switch n := g.shapeName(t); n {
	case "":
		return nil
	case anyShape:
		return jen.Qual(pparser, "Any")
	case timeShape:
		return jen.Qual(pparser, "Time")
	case binaryShape:
		return jen.Qual(pparser, "Binary")
	default:
		return jen.Id(n)
	}
}

// shapeArg is shapeRef as an argument: nil is written nil.
func (g *generator) shapeArg(t *schema.Type) jen.Code {
	if c := g.shapeRef(t); c != nil {
		return c
	}
	return jen.Nil()
}

// shapeName returns the variable of t's shape, declaring it on first use,
// anyShape, timeShape, binaryShape, or "" when there is nothing to check.
func (g *generator) shapeName(t *schema.Type) string {
	switch t.Kind {
	case schema.KindOptional:
		return g.shapeName(t.Elem)
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.Any:
			return anyShape
		case schema.Time:
			return timeShape
		case schema.Binary:
			return binaryShape
		}
	case schema.KindNamed:
		return g.namedShape(t.Decl)
	case schema.KindList, schema.KindMap:
		return g.anonShape(t)
	}
	return ""
}

// namedShape is shapeName of a use of the named type nt.
func (g *generator) namedShape(nt *schema.NamedType) string {
	switch nt.Type.Kind {
	case schema.KindObject, schema.KindList, schema.KindMap:
		if v, ok := g.shapes.named[nt]; ok {
			return v
		}
		v := g.uniqueShapeName("shape" + nt.GoName)
		g.shapes.named[nt] = v
		g.shapes.namedList = append(g.shapes.namedList, nt)
		return v
	}
	return g.shapeName(nt.Type)
}

// anonShape returns the variable of the shape of a list or map type
// written in place: one per constructor and element shape (listShape for
// a list of strings or numbers, listShapeOfUser, mapShapeOfListOfUser).
func (g *generator) anonShape(t *schema.Type) string {
	ctor := "List"
	if t.Kind == schema.KindMap {
		ctor = "Map"
	}
	elem := g.shapeName(t.Elem)
	key := ctor + " " + elem
	if v, ok := g.shapes.anon[key]; ok {
		return v
	}
	name := strings.ToLower(ctor) + "Shape"
	switch {
	case elem == anyShape:
		name += "OfAny"
	case elem == timeShape:
		name += "OfTime"
	case elem == binaryShape:
		name += "OfBinary"
	case strings.HasPrefix(elem, "shape"):
		name += "Of" + strings.TrimPrefix(elem, "shape")
	case elem != "":
		// listShapeOfUser → ListOfUser
		name += "Of" + strings.ToUpper(elem[:1]) + strings.Replace(elem[1:], "Shape", "", 1)
	}
	v := g.uniqueShapeName(name)
	g.shapes.anon[key] = v
	g.shapes.anonDefs = append(g.shapes.anonDefs, jen.Id(v).Op("=").Qual(pparser, ctor).Call(g.shapeArg(t.Elem)))
	return v
}

// uniqueShapeName returns name, or name with a number when it is taken.
func (g *generator) uniqueShapeName(name string) string {
	v := name
	for n := 2; g.shapes.used[v]; n++ {
		v = fmt.Sprintf("%s%d", name, n)
	}
	g.shapes.used[v] = true
	return v
}

// registerShapes declares the shapes of every type, payload, argument, ack
// and auth of the schema, before the files that use them are written.
func (g *generator) registerShapes() {
	g.shapes = shapes{named: map[*schema.NamedType]string{}, anon: map[string]string{}, used: map[string]bool{}}
	for _, nt := range g.s.AllTypes() {
		g.namedShape(nt)
		switch t := nt.Type; t.Kind {
		case schema.KindObject:
			for _, fl := range t.Fields {
				g.shapeRef(fl.Type)
			}
		case schema.KindList, schema.KindMap:
			g.shapeRef(t)
		}
	}
	for _, ns := range g.s.Namespaces {
		if ns.Auth != nil {
			g.shapeRef(ns.Auth)
		}
		for _, ev := range ns.Events() {
			for _, p := range g.params(ev) {
				g.shapeRef(p.t)
			}
			if ev.Ack != nil {
				g.shapeRef(ev.Ack)
			}
		}
	}
}

// shapeDecls writes the shape variables and the init that sets the named
// ones.
func (g *generator) shapeDecls(f *jen.File) {
	if len(g.shapes.namedList) == 0 && len(g.shapes.anonDefs) == 0 {
		return
	}
	var defs []jen.Code
	for _, nt := range g.shapes.namedList {
		defs = append(defs, jen.Id(g.shapes.named[nt]).Op("=").New(jen.Qual(pparser, "Shape")))
	}
	defs = append(defs, g.shapes.anonDefs...)
	f.Add(comment("The shapes of the schema's values: the fields each object requires, and",
		"no null inside lists and maps. Decoding checks them (see parser.Shape)."))
	f.Var().Defs(defs...)
	f.Line()
	var sets []jen.Code
	for _, nt := range g.shapes.namedList {
		var s jen.Code
		switch t := nt.Type; t.Kind {
		case schema.KindObject:
			var fields []jen.Code
			for _, fl := range t.Fields {
				kv := []jen.Code{jen.Id("Name").Op(":").Lit(fl.Name)}
				if ref := g.shapeRef(fl.Type); ref != nil {
					kv = append(kv, jen.Id("Shape").Op(":").Add(ref))
				}
				if fl.Optional() {
					kv = append(kv, jen.Id("Optional").Op(":").True())
				}
				fields = append(fields, jen.Qual(pparser, "Field").Values(kv...))
			}
			s = jen.Qual(pparser, "Object").CallFunc(func(gr *jen.Group) {
				for _, fl := range fields {
					gr.Line().Add(fl)
				}
				if len(fields) > 0 {
					gr.Line()
				}
			})
		default: // a list or a map
			s = g.shapeRef(t)
		}
		sets = append(sets, jen.Id(g.shapes.named[nt]).Dot("Set").Call(s))
	}
	if len(sets) > 0 {
		f.Func().Id("init").Params().Block(sets...)
		f.Line()
	}
}
