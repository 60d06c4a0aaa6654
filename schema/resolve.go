package schema

import (
	"fmt"
	"sort"
	"strings"
)

// resolve links every named reference to its declaration, then runs the
// checks that need the whole schema: cycles, auth types and Go names.
func (p *parser) resolve() {
	var cands []string
	for _, nt := range p.s.Types {
		cands = append(cands, nt.Name)
	}
	for _, pr := range Prims {
		cands = append(cands, string(pr))
	}
	cands = append(cands, "list", "map", "optional")
	for _, t := range p.refs {
		if d := p.declared[t.Name]; d != nil {
			t.Decl = d
			continue
		}
		p.errAt(t.Pos, "unknown type %q%s", t.Name, didYouMean(t.Name, cands))
	}
	// The checks below skip references that did not resolve (Decl nil),
	// which were reported above.
	p.cycles()
	for _, ns := range p.s.Namespaces {
		if ns.Auth != nil {
			if u := ns.Auth.Underlying(); u.Kind != KindObject && u.Kind != KindNamed {
				p.errAt(ns.Auth.Pos, "auth of namespace %s must be an object type (the CONNECT payload is a JSON object), not %s", ns.Name, describeType(ns.Auth))
			}
		}
	}
	p.collisions()
}

func describeType(t *Type) string {
	if t.Kind == KindNamed {
		return t.Name + " (" + t.Underlying().String() + ")"
	}
	return t.String()
}

// cycles reports named types that contain themselves without a list, map
// or optional in between: they would have infinite size.
func (p *parser) cycles() {
	all := p.s.AllTypes()
	index := map[*NamedType]int{}
	for i, nt := range all {
		index[nt] = i
	}
	// edges[i] are the types that type i contains directly.
	edges := make([][]int, len(all))
	for i, nt := range all {
		var walk func(t *Type)
		walk = func(t *Type) {
			switch t.Kind {
			case KindNamed:
				if t.Decl != nil {
					edges[i] = append(edges[i], index[t.Decl])
				}
			case KindObject:
				for _, f := range t.Fields {
					walk(f.Type)
				}
			}
		}
		walk(nt.Type)
	}
	for _, scc := range stronglyConnected(edges) {
		if len(scc) == 1 && !containsInt(edges[scc[0]], scc[0]) {
			continue
		}
		// Report once, at the earliest declaration in the cycle, with the
		// path that leads back to it.
		sort.Slice(scc, func(a, b int) bool { return all[scc[a]].Pos.before(all[scc[b]].Pos) })
		in := map[int]bool{}
		for _, v := range scc {
			in[v] = true
		}
		start := scc[0]
		path := []string{all[start].Name}
		seen := map[int]bool{start: true}
		for cur := start; ; {
			next := -1
			for _, e := range edges[cur] {
				if e == start {
					next = start
					break
				}
				if in[e] && !seen[e] && next < 0 {
					next = e
				}
			}
			if next < 0 {
				break
			}
			path = append(path, all[next].Name)
			if next == start {
				break
			}
			seen[next] = true
			cur = next
		}
		p.errAt(all[start].Pos, "type %s contains itself (%s): a cycle needs a list, map or optional field to be representable",
			all[start].Name, strings.Join(path, " → "))
	}
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// stronglyConnected returns the strongly connected components of a graph
// (Tarjan's algorithm, iterative so that deep graphs cannot overflow).
func stronglyConnected(edges [][]int) [][]int {
	n := len(edges)
	idx, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range idx {
		idx[i] = -1
	}
	var out [][]int
	var st []int
	counter := 0
	type frame struct{ v, ei int }
	for root := 0; root < n; root++ {
		if idx[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		idx[root], low[root] = counter, counter
		counter++
		st = append(st, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.ei < len(edges[f.v]) {
				w := edges[f.v][f.ei]
				f.ei++
				if idx[w] < 0 {
					idx[w], low[w] = counter, counter
					counter++
					st = append(st, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], idx[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == idx[v] {
				var comp []int
				for {
					w := st[len(st)-1]
					st = st[:len(st)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// GoDecl is a package-level Go identifier that the Go generator declares
// for a schema.
type GoDecl struct {
	// Name is the identifier, e.g. ChatHandler.
	Name string
	// What describes what it is, for messages: "type Message",
	// "handler interface of namespace /chat".
	What string
	// Pos is where the schema causes the declaration.
	Pos Pos
}

// NamespaceDecls are the identifiers the Go generator declares for each
// namespace, as format strings taking the namespace's GoName, with what
// each one is.
var NamespaceDecls = [][2]string{
	{"%sHandler", "handler interface"},
	{"Unimplemented%sHandler", "unimplemented handler"},
	{"New%sNamespace", "namespace constructor"},
	{"%sSocket", "typed socket"},
	{"%sEmitter", "typed broadcast emitter"},
	{"New%sEmitter", "emitter constructor"},
	{"%sClient", "typed client"},
	{"New%sClient", "client constructor"},
	{"%sClientHandler", "client handler interface"},
	{"Unimplemented%sClientHandler", "unimplemented client handler"},
}

// GoDecls lists every package-level identifier generated Go code declares
// for the schema, in a fixed order: the types (declared, then inline), the
// enum constants, the error code constants (Code+GoName), then for each
// namespace the [NamespaceDecls] (and NSParams for a dynamic namespace,
// WithNSAuthFunc for one with auth)
// and one event name constant per distinct
// event name (namespace GoName + event GoName + "Event"). A schema that
// Parse accepted has no two with the same Name.
func (s *Schema) GoDecls() []GoDecl {
	var out []GoDecl
	var consts []GoDecl
	for _, nt := range s.AllTypes() {
		what := "type " + nt.Name
		if nt.Inline {
			what = "the type generated for the " + nt.Origin
		}
		out = append(out, GoDecl{nt.GoName, what, nt.Pos})
		if nt.Type.Kind == KindEnum {
			for _, v := range nt.Type.Values {
				consts = append(consts, GoDecl{v.GoName, fmt.Sprintf("the constant for value %q of enum %s", v.Value, nt.Name), v.Pos})
			}
		}
	}
	out = append(out, consts...)
	for _, e := range s.Errors {
		out = append(out, GoDecl{"Code" + e.GoName, "the constant for error code " + e.Code, e.Pos})
	}
	for _, ns := range s.Namespaces {
		for _, d := range NamespaceDecls {
			out = append(out, GoDecl{fmt.Sprintf(d[0], ns.GoName), "the " + d[1] + " of namespace " + ns.Name, ns.Pos})
		}
		if ns.IsDynamic() {
			out = append(out, GoDecl{ns.GoName + "Params", "the parameters type of namespace " + ns.Name, ns.Pos})
		}
		if ns.Auth != nil {
			out = append(out, GoDecl{"With" + ns.GoName + "AuthFunc", "the client auth callback option of namespace " + ns.Name, ns.Pos})
		}
		seen := map[string]bool{}
		for _, ev := range ns.Events() {
			if seen[ev.Name] {
				continue
			}
			seen[ev.Name] = true
			out = append(out, GoDecl{ns.GoName + ev.GoName + "Event", "the name constant of event " + ev.Name + " in " + ns.Name, ev.Pos})
		}
	}
	return out
}

// collisions reports generated Go identifiers that two things share.
func (p *parser) collisions() {
	decls := p.s.GoDecls()
	// Report at the later of the two positions, naming the earlier one.
	sort.SliceStable(decls, func(i, j int) bool { return decls[i].Pos.before(decls[j].Pos) })
	first := map[string]GoDecl{}
	for _, d := range decls {
		prev, dup := first[d.Name]
		if !dup {
			first[d.Name] = d
			continue
		}
		p.errAt(d.Pos, "generated Go name %s for %s collides with %s (line %d)", d.Name, d.What, prev.What, prev.Pos.Line)
	}
}
