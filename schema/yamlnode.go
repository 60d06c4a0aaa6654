package schema

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxDepth bounds the nesting of objects and type expressions, so that a
// hostile file (or a self-referencing YAML alias) cannot recurse forever.
const maxDepth = 32

// maxAliases bounds how many alias dereferences one file may need.
const maxAliases = 1000

// walker holds what every YAML walk needs: the file name, the problems
// found so far, and the guards against runaway aliases.
type walker struct {
	file       string
	probs      Problems
	aliases    int
	aliasLimit bool
}

func (w *walker) pos(n *yaml.Node) Pos { return Pos{File: w.file, Line: n.Line, Col: n.Column} }

func (w *walker) errorf(n *yaml.Node, format string, args ...any) {
	w.errAt(w.pos(n), format, args...)
}

func (w *walker) errAt(p Pos, format string, args ...any) {
	w.probs = append(w.probs, Problem{Pos: p, Message: fmt.Sprintf(format, args...)})
}

func (w *walker) warnf(n *yaml.Node, format string, args ...any) {
	w.warnAt(w.pos(n), format, args...)
}

func (w *walker) warnAt(p Pos, format string, args ...any) {
	w.probs = append(w.probs, Problem{Pos: p, Message: fmt.Sprintf(format, args...), Warning: true})
}

// yamlLineRE matches the position yaml.v3 puts in its syntax errors.
var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decode parses data into a document node, reporting syntax errors. It
// returns nil when there is nothing to walk.
func (w *walker) decode(data []byte, what string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msgs := []string{err.Error()}
		if te, ok := err.(*yaml.TypeError); ok {
			msgs = te.Errors
		}
		for _, m := range msgs {
			m = strings.TrimPrefix(m, "yaml: ")
			p := Pos{File: w.file, Line: 1, Col: 1}
			if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
				p.Line, _ = strconv.Atoi(sm[1])
				m = sm[2]
			}
			w.errAt(p, "invalid YAML: %s", m)
		}
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		w.errAt(Pos{File: w.file, Line: 1, Col: 1}, "empty file: expected a %s", what)
		return nil
	}
	return doc.Content[0]
}

// val follows aliases. A self-referencing or runaway alias becomes null
// (and one problem).
func (w *walker) val(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode; i++ {
		w.aliases++
		if n.Alias == nil || i > maxDepth || w.aliases > maxAliases {
			if !w.aliasLimit {
				w.aliasLimit = true
				w.errorf(n, "too many or too deeply nested YAML aliases")
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		n = n.Alias
	}
	return n
}

// describe names the kind of a node for messages: "a mapping", "a list",
// "null", "a string", "an integer", ….
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!str":
			return "a string"
		}
		return "a scalar"
	}
	return "nothing"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// pair is one key and value of a mapping; the key is alias-resolved and
// scalar.
type pair struct{ k, v *yaml.Node }

// pairs returns the entries of a mapping, reporting non-scalar keys,
// merge keys and duplicate keys (and leaving them out). A null value is
// an empty mapping when nullOK.
func (w *walker) pairs(n *yaml.Node, what string, nullOK bool) ([]pair, bool) {
	n = w.val(n)
	if nullOK && isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return nil, false
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := w.val(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			w.errorf(k, "keys in %s must be strings, not %s", what, describe(k))
			continue
		}
		if k.Tag == "!!merge" {
			w.errorf(k, "YAML merge keys (<<) are not supported")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			w.errorf(k, "duplicate key %q in %s (first at line %d)", k.Value, what, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, n.Content[i+1]})
	}
	return out, true
}

// keyed is a mapping with a fixed set of keys.
type keyed struct {
	node *yaml.Node // the mapping
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
	ext  Extensions
	// unknown counts the unknown keys reported.
	unknown int
}

func (m keyed) has(k string) bool       { _, ok := m.vals[k]; return ok }
func (m keyed) get(k string) *yaml.Node { return m.vals[k] }
func (m keyed) key(k string) *yaml.Node { return m.keys[k] }

// extValue converts the value of extension k to JSON data, what tools
// reading the AsyncAPI document (or the model's JSON) can take: mappings
// with string keys (a scalar key as written: 200, true), lists, strings,
// numbers, booleans and null. A timestamp, !!binary or other tagged
// scalar is kept as the text written. NaN, infinities, non-scalar keys,
// merge keys and keys that repeat as text have no JSON form: errors.
func (w *walker) extValue(n *yaml.Node, k string, depth int) (any, bool) {
	n = w.val(n)
	if depth > maxDepth {
		w.errorf(n, "extension %s is nested too deeply (more than %d levels)", k, maxDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := w.val(n.Content[i])
			switch {
			case kn.Kind != yaml.ScalarNode:
				w.errorf(kn, "extension %s: a key must be a scalar, not %s", k, describe(kn))
				ok = false
				continue
			case kn.Tag == "!!merge":
				w.errorf(kn, "YAML merge keys (<<) are not supported")
				ok = false
				continue
			}
			if _, dup := m[kn.Value]; dup {
				w.errorf(kn, "extension %s: duplicate key %q", k, kn.Value)
				ok = false
				continue
			}
			v, vok := w.extValue(n.Content[i+1], k, depth+1)
			ok = ok && vok
			m[kn.Value] = v
		}
		return m, ok
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			v, vok := w.extValue(e, k, depth+1)
			ok = ok && vok
			l = append(l, v)
		}
		return l, ok
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null", "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				w.errorf(n, "cannot decode extension %s: %v", k, err)
				return nil, false
			}
			if f, isFloat := v.(float64); isFloat && (math.IsNaN(f) || math.IsInf(f, 0)) {
				w.errorf(n, "extension %s: %s is not a JSON number", k, n.Value)
				return nil, false
			}
			return v, true
		}
		return n.Value, true
	}
	w.errorf(n, "cannot decode extension %s", k)
	return nil, false
}

// fixed reads a mapping whose keys must be among allowed (or x-*
// extensions), reporting unknown keys with a suggestion.
func (w *walker) fixed(n *yaml.Node, what string, nullOK bool, allowed ...string) (keyed, bool) {
	ps, ok := w.pairs(n, what, nullOK)
	m := keyed{node: w.val(n), vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if !ok {
		return m, false
	}
	for _, p := range ps {
		k := p.k.Value
		if strings.HasPrefix(k, "x-") && len(k) > 2 {
			v, ok := w.extValue(p.v, k, 0)
			if !ok {
				continue
			}
			if m.ext == nil {
				m.ext = Extensions{}
			}
			m.ext[k] = v
			continue
		}
		if !contains(allowed, k) {
			w.errorf(p.k, "unknown key %q in %s%s", k, what, didYouMean(k, allowed))
			m.unknown++
			continue
		}
		m.vals[k] = p.v
		m.keys[k] = p.k
	}
	return m, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a scalar as text. Any scalar is accepted (a version 1.0 is the
// text "1.0"); null is the empty string.
func (w *walker) str(n *yaml.Node, what string) (string, bool) {
	n = w.val(n)
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// text reads a value that must be a YAML string (quoted or plain, tagged
// !!str).
func (w *walker) text(n *yaml.Node, what string) (string, bool) {
	n = w.val(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		w.errorf(n, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (w *walker) boolean(n *yaml.Node, what string) bool {
	n = w.val(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		w.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false
	}
	return b
}

// nonNegInt reads a non-negative integer that fits an int32.
func (w *walker) nonNegInt(n *yaml.Node, what string) (int, bool) {
	n = w.val(n)
	var v int64
	// yaml.v3 reads digits too many for an int64 as a float.
	huge := n.Kind == yaml.ScalarNode && n.Tag == "!!float" && n.Value != "" && strings.Trim(n.Value, "0123456789") == ""
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" && !huge || strings.HasPrefix(n.Value, "-") {
		w.errorf(n, "%s must be a non-negative integer, not %s", what, quoteScalar(n))
		return 0, false
	}
	if n.Decode(&v) != nil || v > math.MaxInt32 {
		w.errorf(n, "%s %s is too large (at most %d)", what, n.Value, math.MaxInt32)
		return 0, false
	}
	return int(v), true
}

// number reads a finite number.
func (w *walker) number(n *yaml.Node, what string) (float64, bool) {
	n = w.val(n)
	var v float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil ||
		math.IsInf(v, 0) || math.IsNaN(v) {
		w.errorf(n, "%s must be a number, not %s", what, quoteScalar(n))
		return 0, false
	}
	return v, true
}

// quoteScalar shows a scalar's text for a message, or describes a
// non-scalar.
func quoteScalar(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return strconv.Quote(n.Value)
	}
	return describe(n)
}
