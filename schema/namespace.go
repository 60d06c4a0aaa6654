package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var nsLiteralRE = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

func (p *parser) parseNamespaces(n *yaml.Node) {
	ps, _ := p.pairs(n, "namespaces", true)
	shapes := map[string]*Namespace{}
	goNames := map[string]*Namespace{}
	invalid := 0
	for _, kv := range ps {
		ns, ok := p.namespacePath(kv.k)
		if !ok {
			// The body is checked all the same, so that every problem
			// shows at once; the namespace is left out of the schema. Its
			// inline types get names of their own, which collide with
			// nothing a valid namespace declares.
			invalid++
			ns.GoName = "InvalidNamespace" + strconv.Itoa(invalid)
			p.namespace(ns, kv.v)
			continue
		}
		shape := ns.Regexp()
		if prev := shapes[shape]; prev != nil {
			p.errorf(kv.k, "namespace %s stands for the same namespace names as %s (line %d)", ns.Name, prev.Name, prev.Pos.Line)
			continue
		}
		if prev := goNames[ns.GoName]; prev != nil {
			p.errorf(kv.k, "namespaces %s and %s (line %d) both become the Go name %s", ns.Name, prev.Name, prev.Pos.Line, ns.GoName)
			continue
		}
		shapes[shape], goNames[ns.GoName] = ns, ns
		p.namespace(ns, kv.v)
		p.s.Namespaces = append(p.s.Namespaces, ns)
	}
}

// namespacePath checks a namespace path and parses its parameters; ok is
// false when the path is invalid (ns is then what could be made of it).
func (p *parser) namespacePath(k *yaml.Node) (ns *Namespace, ok bool) {
	path := k.Value
	ns = &Namespace{Name: path, GoName: NamespaceGoName(path), Pos: p.pos(k)}
	if !strings.HasPrefix(path, "/") {
		p.errorf(k, "namespace %q must start with /", path)
		return ns, false
	}
	if path == "/" {
		return ns, true
	}
	ok = true
	for i, seg := range strings.Split(path[1:], "/") {
		switch {
		case seg == "":
			p.errorf(k, "namespace %q has an empty segment", path)
			return ns, false
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			name := seg[1 : len(seg)-1]
			if !identRE.MatchString(name) {
				p.errorf(k, "namespace parameter {%s} must be a name: ASCII letters, digits and _, not starting with a digit", name)
				ok = false
				continue
			}
			for _, prev := range ns.Params {
				switch {
				case prev.Name == name:
					p.errorf(k, "namespace %s has the parameter {%s} twice", path, name)
					ok = false
				case prev.GoName == GoName(name):
					p.errorf(k, "namespace %s: parameters {%s} and {%s} both become the Go name %s", path, prev.Name, name, prev.GoName)
					ok = false
				}
			}
			ns.Params = append(ns.Params, &Param{Name: name, GoName: GoName(name), Segment: i, Pos: ns.Pos})
			ns.segments = append(ns.segments, nsSegment{param: true})
		case strings.ContainsAny(seg, "{}"):
			p.errorf(k, "namespace segment %q: a parameter {name} must be a whole segment", seg)
			ok = false
		case !nsLiteralRE.MatchString(seg):
			p.errorf(k, "namespace segment %q may contain only ASCII letters, digits, -, _, . and ~", seg)
			ok = false
		default:
			ns.segments = append(ns.segments, nsSegment{lit: seg})
		}
	}
	if !ok {
		return ns, false
	}
	if !IsGoIdent(ns.GoName) {
		p.errorf(k, "namespace %s cannot be turned into a Go name (got %q): start its first segment with a letter", path, ns.GoName)
		return ns, false
	}
	return ns, true
}

func (p *parser) namespace(ns *Namespace, n *yaml.Node) {
	m, ok := p.fixed(n, "namespace "+ns.Name, true, "doc", "deprecated", "auth", "client_to_server", "server_to_client")
	if !ok {
		return
	}
	ns.Extensions = m.ext
	if v := m.get("doc"); v != nil {
		ns.Doc, _ = p.str(v, "doc")
	}
	if v := m.get("deprecated"); v != nil {
		ns.Deprecated = p.boolean(v, "deprecated")
	}
	if v := m.get("auth"); v != nil {
		sp := p.typeSpec(v, specCtx{
			what:       "auth of namespace " + ns.Name,
			name:       ns.GoName + "Auth",
			origin:     "auth of namespace " + ns.Name,
			inline:     true,
			noOptional: "auth cannot be optional: a client that sends no auth sends an empty object",
		})
		if sp.t != nil {
			sp.t.Doc, sp.t.Extensions = sp.doc, sp.ext
			ns.Auth = sp.t
		}
	}
	if v := m.get("client_to_server"); v != nil {
		ns.ClientToServer = p.events(ns, v, ClientToServer)
	}
	if v := m.get("server_to_client"); v != nil {
		ns.ServerToClient = p.events(ns, v, ServerToClient)
	}
}

func isReservedEvent(name string) bool {
	for _, r := range ReservedEventNames {
		if r == name {
			return true
		}
	}
	return false
}

func (p *parser) events(ns *Namespace, n *yaml.Node, dir Direction) []*Event {
	ps, _ := p.pairs(n, dir.String()+" of namespace "+ns.Name, true)
	var out []*Event
	goNames := map[string]*Event{}
	for _, kv := range ps {
		name := kv.k.Value
		ev := &Event{Name: name, GoName: GoName(name), Direction: dir, Pos: p.pos(kv.k)}
		switch {
		case name == "":
			p.errorf(kv.k, "an event name cannot be empty")
			continue
		case isReservedEvent(name):
			p.errorf(kv.k, "event name %q is reserved by Socket.IO", name)
			continue
		case !IsGoIdent(ev.GoName):
			p.errorf(kv.k, "event name %q cannot be turned into a Go name: it must contain a letter and not start with a digit", name)
			continue
		}
		if prev := goNames[ev.GoName]; prev != nil {
			p.errorf(kv.k, "events %q and %q (line %d) both become the Go name %s", name, prev.Name, prev.Pos.Line, ev.GoName)
			continue
		} else if dir == ClientToServer && (ev.GoName == "Connect" || ev.GoName == "Disconnect") {
			p.errorf(kv.k, "event %q becomes the Go method %s, which collides with the handler's own %s method", name, ev.GoName, ev.GoName)
		}
		goNames[ev.GoName] = ev
		p.event(ns, ev, kv.v)
		out = append(out, ev)
	}
	return out
}

func (p *parser) event(ns *Namespace, ev *Event, n *yaml.Node) {
	what := fmt.Sprintf("event %s", ev.Name)
	m, ok := p.fixed(n, what, true, "doc", "deprecated", "payload", "args", "ack", "errors")
	if !ok {
		return
	}
	ev.Extensions = m.ext
	if v := m.get("doc"); v != nil {
		ev.Doc, _ = p.str(v, "doc")
	}
	if v := m.get("deprecated"); v != nil {
		ev.Deprecated = p.boolean(v, "deprecated")
	}
	prefix := ns.GoName + ev.GoName
	use := func(v *yaml.Node, role, suffix string) *Type {
		sp := p.typeSpec(v, specCtx{
			what:   role + " of event " + ev.Name,
			name:   prefix + suffix,
			origin: role + " of " + ev.Direction.String() + " event " + ev.Name + " in " + ns.Name,
			inline: true,
		})
		if sp.t != nil && !(sp.t.Kind == KindNamed && sp.t.Decl != nil && sp.t.Decl.Inline) {
			sp.t.Doc, sp.t.Extensions = sp.doc, sp.ext
		} else if sp.t != nil {
			sp.t.Decl.Doc, sp.t.Decl.Extensions = sp.doc, sp.ext
		}
		return sp.t
	}
	if v := m.get("payload"); v != nil {
		ev.Payload = use(v, "payload", "Payload")
	}
	if v := m.get("args"); v != nil {
		if m.has("payload") {
			p.errorf(m.key("args"), "event %s has both payload and args; give one or the other", ev.Name)
		} else {
			p.args(ns, ev, v, prefix)
		}
	}
	if v := m.get("ack"); v != nil {
		ev.Ack = use(v, "ack", "Ack")
	}
	if v := m.get("errors"); v != nil {
		if !m.has("ack") {
			p.errorf(m.key("errors"), "event %s lists errors but has no ack: error codes travel in the ack", ev.Name)
		}
		p.eventErrors(ev, v)
	}
}

func (p *parser) args(ns *Namespace, ev *Event, n *yaml.Node, prefix string) {
	n = p.val(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "args of event %s must be a list of types, not %s", ev.Name, describe(n))
		return
	}
	names := map[string]*Arg{}
	var firstOptional *Arg
	for i, c := range n.Content {
		a := &Arg{Name: fmt.Sprintf("arg%d", i+1), Pos: p.pos(p.val(c))}
		// The name is needed before the type, for the inline type's name.
		if cv := p.val(c); cv.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(cv.Content); j += 2 {
				if k := p.val(cv.Content[j]); k.Value == "name" {
					if s, ok := p.text(cv.Content[j+1], "the name of an argument"); ok {
						if !identRE.MatchString(s) {
							p.errorf(cv.Content[j+1], "argument name %q must be ASCII letters, digits and _, not starting with a digit", s)
						} else {
							a.Name = s
						}
					}
				}
			}
		}
		a.GoName = GoName(a.Name)
		sp := p.typeSpec(c, specCtx{
			what:   fmt.Sprintf("argument %d of event %s", i+1, ev.Name),
			name:   prefix + a.GoName,
			origin: fmt.Sprintf("argument %s of %s event %s in %s", a.Name, ev.Direction, ev.Name, ns.Name),
			inline: true,
			extra:  []string{"name"},
		})
		if sp.t == nil {
			continue
		}
		if sp.t.Kind == KindNamed && sp.t.Decl != nil && sp.t.Decl.Inline {
			sp.t.Decl.Doc, sp.t.Decl.Extensions = sp.doc, sp.ext
		} else {
			sp.t.Doc, sp.t.Extensions = sp.doc, sp.ext
		}
		a.Type = sp.t
		if prev := names[a.GoName]; prev != nil {
			p.errorf(p.val(c), "arguments %q and %q both become the Go name %s", a.Name, prev.Name, a.GoName)
		}
		names[a.GoName] = a
		switch {
		case a.Type.IsOptional() && firstOptional == nil:
			firstOptional = a
		case !a.Type.IsOptional() && firstOptional != nil:
			p.errorf(p.val(c), "required argument %s follows the optional argument %s; optional arguments must come last", a.Name, firstOptional.Name)
		}
		ev.Args = append(ev.Args, a)
	}
}

func (p *parser) eventErrors(ev *Event, n *yaml.Node) {
	n = p.val(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "errors of event %s must be a list of error codes, not %s", ev.Name, describe(n))
		return
	}
	seen := map[string]bool{}
	for _, c := range n.Content {
		code, ok := p.text(c, "an error code")
		if !ok {
			continue
		}
		c = p.val(c)
		if seen[code] {
			p.errorf(c, "error code %s is listed twice", code)
			continue
		}
		seen[code] = true
		e := p.s.ErrorCode(code)
		if e == nil {
			var cands []string
			for _, x := range p.s.Errors {
				cands = append(cands, x.Code)
			}
			for _, x := range BuiltinErrors {
				cands = append(cands, x.Code)
			}
			p.errorf(c, "unknown error code %q%s", code, didYouMean(code, cands))
			continue
		}
		ev.Errors = append(ev.Errors, e)
	}
}
