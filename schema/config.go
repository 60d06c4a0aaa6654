package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is a loaded siogen.yaml: the Go-only settings that stay out of
// the schema (which is shared with frontend teams). Paths in it are
// relative to the directory of the config file; Config holds them joined
// with that directory (and cleaned), unless they were absolute.
type Config struct {
	// File is the config file's name, as given.
	File string
	// Schema is the path of the schema file (required).
	Schema    string
	SchemaPos Pos
	// Go holds the go: section; nil when the file has none.
	Go *GoConfig
	// TS holds the ts: section; nil when the file has none.
	TS *OutConfig
	// AsyncAPI holds the asyncapi: section; nil when the file has none.
	AsyncAPI *OutConfig
	// Warnings are the warnings found while loading.
	Warnings Problems
}

// GoConfig is the go: section of siogen.yaml.
type GoConfig struct {
	// Package is the Go package name of the generated code (required).
	Package string
	// Out is the directory the Go package is written to (required).
	Out string
	// EmitServer and EmitClient say which halves to generate; `emit:`
	// defaults to both.
	EmitServer, EmitClient bool
	// Bindings map schema type names to existing Go types, in the order
	// written; generated code uses the Go type instead of declaring one.
	Bindings []*Binding
	Pos      Pos
}

// Binding binds a named schema type to an existing Go type.
type Binding struct {
	// Type is the schema type name.
	Type string
	// ImportPath and Name are the Go type: "github.com/acme/chat/ids" and
	// "RoomID" for github.com/acme/chat/ids.RoomID.
	ImportPath string
	Name       string
	Pos        Pos
}

// OutConfig is a section with an output path (ts:, asyncapi:).
type OutConfig struct {
	// Out is the file to write.
	Out string
	Pos Pos
}

// LoadConfig reads and parses a siogen.yaml file; see [ParseConfig].
func LoadConfig(filename string) (*Config, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return ParseConfig(filename, data)
}

var (
	goPackageRE  = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	goKeywords   = "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var"
	importPathRE = regexp.MustCompile(`^[A-Za-z0-9._~/+-]+$`)
)

// ParseConfig parses siogen.yaml. filename locates the relative paths and
// appears in positions. Like [Parse], it returns every problem, sorted, as
// a [Problems], and a nil *Config when there is an error.
func ParseConfig(filename string, data []byte) (*Config, error) {
	w := &walker{file: filename}
	c := w.config(filename, data)
	w.probs.Sort()
	if w.probs.HasErrors() {
		return nil, w.probs
	}
	c.Warnings = w.probs
	return c, nil
}

func (w *walker) config(filename string, data []byte) *Config {
	c := &Config{File: filename}
	dir := filepath.Dir(filename)
	root := w.decode(data, "siogen.yaml (schema: …)")
	if root == nil {
		return c
	}
	top, ok := w.fixed(root, "siogen.yaml", false, "schema", "go", "ts", "asyncapi")
	if !ok {
		return c
	}
	path := func(n *yaml.Node, what string) string {
		s, ok := w.text(n, what)
		if !ok {
			return ""
		}
		if s == "" {
			w.errorf(n, "%s cannot be empty", what)
			return ""
		}
		s = filepath.FromSlash(s)
		if !filepath.IsAbs(s) {
			s = filepath.Join(dir, s)
		}
		return filepath.Clean(s)
	}
	if v := top.get("schema"); v != nil {
		c.Schema, c.SchemaPos = path(v, "schema"), w.pos(w.val(v))
	} else {
		w.errorf(top.node, "missing schema: the path of the schema file")
	}
	if v := top.get("go"); v != nil {
		c.Go = w.goConfig(v, path)
	}
	out := func(n *yaml.Node, what string) *OutConfig {
		m, ok := w.fixed(n, what, false, "out")
		if !ok {
			return nil
		}
		o := &OutConfig{Pos: w.pos(m.node)}
		if v := m.get("out"); v != nil {
			o.Out = path(v, what+".out")
		} else {
			w.errorf(m.node, "missing %s.out: the file to write", what)
		}
		return o
	}
	if v := top.get("ts"); v != nil {
		c.TS = out(v, "ts")
	}
	if v := top.get("asyncapi"); v != nil {
		c.AsyncAPI = out(v, "asyncapi")
	}
	return c
}

func (w *walker) goConfig(n *yaml.Node, path func(*yaml.Node, string) string) *GoConfig {
	m, ok := w.fixed(n, "go", false, "package", "out", "emit", "bindings")
	if !ok {
		return nil
	}
	g := &GoConfig{Pos: w.pos(m.node), EmitServer: true, EmitClient: true}
	if v := m.get("package"); v != nil {
		if s, ok := w.text(v, "go.package"); ok {
			if !goPackageRE.MatchString(s) || s == "_" || strings.Contains(" "+goKeywords+" ", " "+s+" ") {
				w.errorf(v, "go.package %q is not a valid Go package name (lower-case letters, digits and _, not a keyword)", s)
			}
			g.Package = s
		}
	} else {
		w.errorf(m.node, "missing go.package: the name of the generated Go package")
	}
	if v := m.get("out"); v != nil {
		g.Out = path(v, "go.out")
	} else {
		w.errorf(m.node, "missing go.out: the directory to write the Go package to")
	}
	if v := m.get("emit"); v != nil {
		v = w.val(v)
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			w.errorf(v, "go.emit must be a non-empty list of server and client, not %s", describe(v))
		} else {
			g.EmitServer, g.EmitClient = false, false
			for _, e := range v.Content {
				s, ok := w.text(e, "go.emit entry")
				if !ok {
					continue
				}
				e = w.val(e)
				var dup bool
				switch s {
				case "server":
					dup, g.EmitServer = g.EmitServer, true
				case "client":
					dup, g.EmitClient = g.EmitClient, true
				default:
					w.errorf(e, "unknown go.emit entry %q%s", s, didYouMean(s, []string{"server", "client"}))
				}
				if dup {
					w.errorf(e, "go.emit lists %s twice", s)
				}
			}
		}
	}
	if v := m.get("bindings"); v != nil {
		ps, _ := w.pairs(v, "go.bindings", true)
		for _, kv := range ps {
			b := &Binding{Type: kv.k.Value, Pos: w.pos(kv.k)}
			s, ok := w.text(kv.v, "the Go type bound to "+b.Type)
			if !ok {
				continue
			}
			i := strings.LastIndex(s, ".")
			if i > 0 && !strings.Contains(s[i:], "/") {
				b.ImportPath, b.Name = s[:i], s[i+1:]
			}
			switch {
			case b.ImportPath == "" || !importPathRE.MatchString(b.ImportPath) || strings.HasSuffix(b.ImportPath, "/"):
				w.errorf(w.val(kv.v), "binding %q must be importpath.TypeName, e.g. github.com/acme/chat/ids.RoomID", s)
				continue
			case !IsGoIdent(b.Name):
				w.errorf(w.val(kv.v), "binding %q: %q is not an exported Go type name", s, b.Name)
				continue
			}
			g.Bindings = append(g.Bindings, b)
		}
	}
	return g
}

// Binding returns the binding for the schema type name, or nil.
func (g *GoConfig) Binding(typeName string) *Binding {
	if g == nil {
		return nil
	}
	for _, b := range g.Bindings {
		if b.Type == typeName {
			return b
		}
	}
	return nil
}

// CheckBindings reports bindings that name no declared type of s (with a
// "did you mean"), as positioned Problems in the config file; nil when all
// is well. Inline types cannot be bound: they have no name in the schema.
func (c *Config) CheckBindings(s *Schema) error {
	if c.Go == nil {
		return nil
	}
	var names []string
	for _, nt := range s.Types {
		names = append(names, nt.Name)
	}
	var ps Problems
	for _, b := range c.Go.Bindings {
		switch nt := s.Type(b.Type); {
		case nt == nil:
			ps = append(ps, Problem{Pos: b.Pos, Message: fmt.Sprintf("binding for unknown type %q%s", b.Type, didYouMean(b.Type, names))})
		case nt.Inline:
			ps = append(ps, Problem{Pos: b.Pos, Message: fmt.Sprintf("%s is generated for the %s; only types declared under types: can be bound", b.Type, nt.Origin)})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// LoadSchema loads the schema the config names and checks the bindings
// against it. Problems from both files are returned together, sorted.
func (c *Config) LoadSchema() (*Schema, error) {
	s, err := Load(c.Schema)
	if err != nil {
		if _, ok := err.(Problems); !ok {
			return nil, Problems{{Pos: c.SchemaPos, Message: "cannot read schema: " + err.Error()}}
		}
		return nil, err
	}
	if err := c.CheckBindings(s); err != nil {
		ps := append(err.(Problems), s.Warnings...)
		ps.Sort()
		return nil, ps
	}
	return s, nil
}
