package schema

import (
	"math"
	"math/big"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// exprParser parses one type expression such as optional<list<Message>>.
type exprParser struct {
	p   *parser
	n   *yaml.Node
	s   string
	i   int
	bad bool
	// refs and warns are committed to the parser only when the whole
	// expression parses.
	refs  []*Type
	warns []Pos
}

// colAt returns the position of byte offset i of the scalar's text. It is
// exact for plain and single-line quoted scalars, and the scalar's own
// position otherwise.
func (e *exprParser) posAt(i int) Pos {
	pos := e.p.pos(e.n)
	switch e.n.Style {
	case 0, yaml.FlowStyle:
		pos.Col += i
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		pos.Col += i + 1
	}
	return pos
}

func (e *exprParser) fail(i int, format string, args ...any) {
	if !e.bad {
		e.bad = true
		e.p.errAt(e.posAt(i), format, args...)
	}
}

func (e *exprParser) ws() {
	for e.i < len(e.s) && (e.s[e.i] == ' ' || e.s[e.i] == '\t') {
		e.i++
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// typeExpr parses the type expression in scalar n. noOptional, when not
// empty, says why optional<…> is not allowed even outermost.
func (p *parser) typeExpr(n *yaml.Node, noOptional string) *Type {
	t, int64s := p.typeExprInt64s(n, noOptional)
	p.warnInt64(int64s)
	return t
}

// warnInt64 warns of the int64s used at ps.
func (p *parser) warnInt64(ps []Pos) {
	for _, w := range ps {
		p.warnAt(w, "int64 loses precision in JavaScript above 2^53")
	}
}

// typeExprInt64s is typeExpr without its int64 warnings: it returns where
// the expression uses int64.
func (p *parser) typeExprInt64s(n *yaml.Node, noOptional string) (*Type, []Pos) {
	e := &exprParser{p: p, n: n, s: n.Value}
	t := e.parse(0, noOptional)
	if t == nil || e.bad {
		// The names it did read are still looked up: an unknown one is
		// a problem of its own, reported with the first.
		p.refs = append(p.refs, e.refs...)
		return nil, nil
	}
	e.ws()
	if e.i < len(e.s) {
		e.fail(e.i, "unexpected %q after the type %s", e.s[e.i:], t)
		return nil, nil
	}
	p.refs = append(p.refs, e.refs...)
	return t, e.warns
}

func (e *exprParser) parse(depth int, noOptional string) *Type {
	e.ws()
	start := e.i
	for e.i < len(e.s) && isIdentByte(e.s[e.i]) {
		e.i++
	}
	name := e.s[start:e.i]
	pos := e.posAt(start)
	if name == "" {
		if e.i >= len(e.s) {
			e.fail(start, "missing type name")
		} else {
			e.fail(start, "unexpected %q: expected a type name", e.s[e.i:])
		}
		return nil
	}
	if depth >= maxDepth {
		e.fail(start, "type nested too deeply")
		return nil
	}
	e.ws()
	open := e.i < len(e.s) && e.s[e.i] == '<'
	switch name {
	case "list", "map", "optional":
		if !open {
			e.fail(start, "%s needs an element type: %s<T>", name, name)
			return nil
		}
		if name == "optional" {
			// Misplaced, it is reported; the element is still read (its
			// names looked up), and the expression yields nothing.
			switch {
			case depth > 0:
				e.fail(start, "optional<…> must be outermost: only a field, payload, ack or argument as a whole can be optional")
			case noOptional != "":
				e.fail(start, "%s", noOptional)
			}
		}
		e.i++
		elem := e.parse(depth+1, "")
		if elem == nil {
			return nil
		}
		e.ws()
		if e.i < len(e.s) && e.s[e.i] == ',' && name == "map" {
			e.fail(e.i, "map<T> takes one type argument: the keys of a map are always strings")
			return nil
		}
		if e.i >= len(e.s) || e.s[e.i] != '>' {
			e.fail(e.i, "missing > to close %s<", name)
			return nil
		}
		e.i++
		k := map[string]Kind{"list": KindList, "map": KindMap, "optional": KindOptional}[name]
		return &Type{Kind: k, Elem: elem, Pos: pos}
	}
	if open {
		e.fail(e.i, "%s takes no type argument", name)
		return nil
	}
	if isPrim(name) {
		if name == string(Int64) {
			e.warns = append(e.warns, pos)
		}
		return &Type{Kind: KindPrimitive, Prim: Prim(name), Pos: pos}
	}
	t := &Type{Kind: KindNamed, Name: name, Pos: pos}
	e.refs = append(e.refs, t)
	return t
}

// constraints reads the constraint keys of mapping m and attaches them to
// t (or, for optional<T>, to T), checking that they fit the type.
func (p *parser) constraints(t *Type, m keyed) {
	target := t.NonOptional()
	var c Constraints
	set := false
	for _, k := range constraintKeys {
		kn, v := m.key(k), m.get(k)
		if kn == nil {
			continue
		}
		if why := constraintMismatch(k, target); why != "" {
			p.errorf(kn, "%s", why)
			continue
		}
		switch k {
		case "minLength", "maxLength", "maxItems":
			x, ok := p.nonNegInt(v, k)
			if !ok {
				continue
			}
			switch k {
			case "minLength":
				c.MinLength = &x
			case "maxLength":
				c.MaxLength = &x
			default:
				c.MaxItems = &x
			}
		case "pattern":
			s, ok := p.text(v, "pattern")
			if !ok {
				continue
			}
			re, err := regexp.Compile(s)
			if err != nil {
				msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
				for _, la := range []string{"(?=", "(?!", "(?<=", "(?<!"} {
					if strings.Contains(s, la) {
						msg += " (Go's RE2 has no lookarounds)"
						break
					}
				}
				p.errorf(v, "pattern does not compile: %s", msg)
				continue
			}
			if why := jsIncompatible(s); why != "" {
				p.warnf(v, "pattern %s; JavaScript will not accept it the same way", why)
			}
			c.Pattern, c.PatternRegexp = s, re
		case "minimum", "maximum":
			x, ok := p.number(v, k)
			if !ok || !p.boundFits(v, k, x, target.Prim) {
				continue
			}
			if k == "minimum" {
				c.Minimum = &x
			} else {
				c.Maximum = &x
			}
		}
		set = true
	}
	if c.MinLength != nil && c.MaxLength != nil && *c.MinLength > *c.MaxLength {
		p.errorf(m.get("maxLength"), "maxLength %d is less than minLength %d", *c.MaxLength, *c.MinLength)
	}
	if c.Minimum != nil && c.Maximum != nil && *c.Minimum > *c.Maximum {
		p.errorf(m.get("maximum"), "maximum %s is less than minimum %s", p.val(m.get("maximum")).Value, p.val(m.get("minimum")).Value)
	}
	if set {
		target.Constraints = &c
	}
}

// constraintMismatch says why constraint k does not apply to t, or "".
func constraintMismatch(k string, t *Type) string {
	var ok bool
	var applies string
	switch k {
	case "minLength", "maxLength":
		ok, applies = t.Kind == KindPrimitive && (t.Prim == String || t.Prim == Binary), "string and binary"
	case "pattern":
		ok, applies = t.Kind == KindPrimitive && t.Prim == String, "string"
	case "minimum", "maximum":
		ok, applies = t.Kind == KindPrimitive && t.Prim.IsNumber(), "int32, int64 and float64"
	case "maxItems":
		ok, applies = t.Kind == KindList || t.Kind == KindMap, "list and map"
	}
	switch {
	case ok:
		return ""
	case t.Kind == KindNamed:
		return k + " cannot be added where the named type " + t.Name + " is used; declare it on " + t.Name + " itself"
	}
	return k + " does not apply to " + t.String() + " (it applies to " + applies + ")"
}

// maxSafeInt is 2^53, the largest integer every float64 (and so every
// JavaScript number) below it represents exactly.
const maxSafeInt = 1 << 53

func (p *parser) boundFits(n *yaml.Node, k string, x float64, pr Prim) bool {
	if !pr.IsInteger() {
		return true
	}
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	if pr == Int64 {
		lo, hi = -maxSafeInt, maxSafeInt
	}
	n = p.val(n)
	switch {
	case x != math.Trunc(x):
		p.errorf(n, "%s of an %s must be an integer, not %s", k, pr, n.Value)
		return false
	case !intInRange(n, lo, hi):
		p.errorf(n, "%s %s is out of range for %s (%d to %d)", k, n.Value, pr, lo, hi)
		return false
	}
	return true
}

// intInRange reports whether the integral number n lies within lo..hi,
// exactly: an integer is decoded as an int64 (9007199254740993 is not
// rounded to 2^53 as a float64 would be), a float (1.0, 1e15) is read
// with enough precision to compare it exactly.
func intInRange(n *yaml.Node, lo, hi int64) bool {
	if n.Tag == "!!int" {
		var v int64
		return n.Decode(&v) == nil && v >= lo && v <= hi
	}
	f, _, err := big.ParseFloat(n.Value, 10, 256, big.ToNearestEven)
	return err == nil && f.Cmp(new(big.Float).SetInt64(lo)) >= 0 && f.Cmp(new(big.Float).SetInt64(hi)) <= 0
}

// jsIncompatible looks for RE2 syntax that JavaScript's RegExp lacks or
// reads differently, and describes the first one found. It follows
// character classes, where only an escape or a POSIX class is special.
func jsIncompatible(re string) string {
	inClass := false
	for i := 0; i < len(re); i++ {
		switch {
		case re[i] == '\\' && i+1 < len(re):
			switch re[i+1] {
			case 'A', 'z':
				return `uses \` + string(re[i+1]) + ` (use ^ or $)`
			case 'Q':
				return `uses \Q…\E quoting`
			case 'p', 'P':
				// Without the u flag JavaScript reads \pL as "pL"; with it,
				// \pL is a syntax error and scripts are \p{Script=Greek}.
				return `uses a Unicode class \` + string(re[i+1]) + ` (JavaScript reads it only with the u flag, as \p{…})`
			case 'x':
				if i+2 < len(re) && re[i+2] == '{' {
					return `uses \x{…} (JavaScript reads \x{41} as x repeated 41 times; write \xHH or \uHHHH)`
				}
			}
			i++
		case inClass:
			switch {
			case strings.HasPrefix(re[i:], "[:"):
				return "uses a POSIX class [[:…:]]"
			case re[i] == ']':
				inClass = false
			}
		case re[i] == '[':
			inClass = true
			j := i + 1
			if j < len(re) && re[j] == '^' {
				j++
			}
			if j < len(re) && re[j] == ']' {
				return "starts a class with ] (JavaScript reads [] as an empty class; write \\])"
			}
			i = j - 1
		case strings.HasPrefix(re[i:], "(?P<"):
			return "uses (?P<name>…) (write (?<name>…))"
		case strings.HasPrefix(re[i:], "(?") && i+2 < len(re) && strings.IndexByte("imsU-", re[i+2]) >= 0:
			return "uses inline flags (?…)"
		}
	}
	return ""
}
