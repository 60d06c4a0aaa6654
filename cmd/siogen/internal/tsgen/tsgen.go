// Package tsgen writes TypeScript declarations for a siogen schema: the
// event maps of each namespace for socket.io-client's typed
// Socket<ServerToClientEvents, ClientToServerEvents>, the payload types, the
// ack envelope and the error codes. See docs/cli.md for the mapping.
package tsgen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/siogen/siogen/cmd/siogen/internal/gen"
	"github.com/siogen/siogen/schema"
)

// Generator is the TypeScript [gen.Generator]; it writes c.TS.Out.
type Generator struct{}

// Name returns "ts".
func (Generator) Name() string { return "ts" }

// Generate returns the TypeScript file, or nothing when c.TS is nil.
func (Generator) Generate(s *schema.Schema, c *schema.Config) ([]gen.File, error) {
	if c == nil || c.TS == nil {
		return nil, nil
	}
	src, err := Source(s, gen.SourceRel(c.TS.Out, s.File))
	if err != nil {
		return nil, err
	}
	return []gen.File{{Path: c.TS.Out, Content: src}}, nil
}

// Names the generated file declares or uses besides the schema's types.
const (
	nameAck         = "Ack"
	nameBuiltinCode = "BuiltinErrorCode"
	nameErrorCode   = "ErrorCode"
	nameBinary      = "Binary"
	nameSocket      = "Socket" // imported from socket.io-client
)

// tsReserved are names a type cannot have in TypeScript (keywords, await
// at the top level of a module, as, which `export type as = …` cannot
// declare, and the predefined type names) or that the generated file
// relies on.
var tsReserved = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`any bigint boolean never null number object string symbol undefined unknown void
		break case catch class const continue debugger default delete do else enum export extends false finally for
		function if import in instanceof new return super switch this throw true try typeof var while with
		implements interface let package private protected public static yield type declare namespace module await as
		Record ArrayBuffer Uint8Array Array Promise Partial Readonly`) {
		tsReserved[n] = true
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// Source returns the TypeScript file for s. source names the schema in the
// header ("" leaves it out). It fails when a schema name cannot be used in
// TypeScript or collides with a name the file declares.
func Source(s *schema.Schema, source string) ([]byte, error) {
	w := &writer{s: s}
	if err := w.checkNames(); err != nil {
		return nil, err
	}
	w.file(source)
	return []byte(w.b.String()), nil
}

type writer struct {
	s *schema.Schema
	b strings.Builder
}

func (w *writer) p(format string, args ...any) {
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// checkNames reports every name of the schema the TypeScript file cannot
// declare, and every clash with a generated name.
func (w *writer) checkNames() error {
	owner := map[string]string{
		nameAck: "the ack envelope type", nameBuiltinCode: "the built-in error code type",
		nameErrorCode: "the error code type", nameBinary: "the binary type",
		nameSocket: "the Socket type imported from socket.io-client",
	}
	var problems schema.Problems
	claim := func(name, what string, pos schema.Pos) {
		if tsReserved[name] {
			problems = append(problems, schema.Problem{Pos: pos, Message: fmt.Sprintf("%s is named %s, which TypeScript reserves or the generated file uses; rename it", what, name)})
			return
		}
		if prev, ok := owner[name]; ok {
			problems = append(problems, schema.Problem{Pos: pos, Message: fmt.Sprintf("the TypeScript name %s of %s collides with %s", name, what, prev)})
			return
		}
		owner[name] = what
	}
	for _, nt := range w.s.AllTypes() {
		what := "type " + nt.Name
		if nt.Inline {
			what = "the type generated for the " + nt.Origin
		}
		claim(nt.Name, what, nt.Pos)
	}
	for _, ns := range w.s.Namespaces {
		claim(nsConst(ns), "the name helper of namespace "+ns.Name, ns.Pos)
		claim(ns.GoName+"ClientToServerEvents", "the client-to-server event map of namespace "+ns.Name, ns.Pos)
		claim(ns.GoName+"ServerToClientEvents", "the server-to-client event map of namespace "+ns.Name, ns.Pos)
		claim(ns.GoName+"Socket", "the socket type of namespace "+ns.Name, ns.Pos)
		for _, ev := range ns.Events() {
			if ev.Ack != nil {
				claim(errorCodeType(ns, ev), "the error codes of the ack of "+ev.Direction.String()+" event "+ev.Name+" in "+ns.Name, ev.Pos)
			}
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	return nil
}

// nsConst is the name of the namespace's path constant or helper function:
// chatNamespace, workspaceNamespace(id).
func nsConst(ns *schema.Namespace) string { return lowerFirst(ns.GoName) + "Namespace" }

// errorCodeType is the name of the union of error codes an event's ack may
// carry: ChatSendErrorCode; ServerToClient events get "Client" after the
// namespace when the same name exists in both directions.
func errorCodeType(ns *schema.Namespace, ev *schema.Event) string {
	dir := ""
	if ev.Direction == schema.ServerToClient {
		for _, o := range ns.ClientToServer {
			if o.GoName == ev.GoName && o.Ack != nil {
				dir = "Client"
			}
		}
	}
	return ns.GoName + dir + ev.GoName + "ErrorCode"
}

func lowerFirst(s string) string {
	// Lower the leading run of capitals of an initialism, but not the
	// capital that starts the next word: ID → id, HTTPServer → httpServer.
	r := []rune(s)
	i := 0
	for i < len(r) && r[i] >= 'A' && r[i] <= 'Z' {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(r):
		return strings.ToLower(string(r[:i])) + string(r[i:])
	default:
		return strings.ToLower(string(r[:i-1])) + string(r[i-1:])
	}
}

// propName returns a property or event key: bare when it is an
// identifier, quoted otherwise.
func propName(name string) string {
	if identRE.MatchString(name) {
		return name
	}
	return str(name)
}

// paramName returns a parameter name usable in TypeScript.
func paramName(name, fallback string) string {
	if !identRE.MatchString(name) {
		name = lowerFirst(fallback)
	}
	if tsReserved[name] || name == "ack" {
		name += "_"
	}
	return name
}

// nsParamName is the name of the parameter p of a namespace helper
// function, which must not hide what the function body uses (its loop
// variable v and the globals JSON and Error) nor be eval or arguments,
// which strict code (a module) cannot declare.
func nsParamName(p *schema.Param) string {
	n := paramName(p.Name, p.GoName)
	switch n {
	case "v", "JSON", "Error", "eval", "arguments":
		n += "_"
	}
	return n
}

// str quotes s as a JavaScript string literal. strconv.Quote does not:
// JavaScript reads Go's "\a" as "a" and "\U000f0000" as "U000f0000".
// Printable characters are kept; the others (U+2028 and U+2029, which end
// a line in JavaScript, among them) are written \uXXXX, as UTF-16.
func str(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04x`, u)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// doc writes a /** … */ comment with the text and tags, indented.
func (w *writer) doc(indent, text string, deprecated bool, extra ...string) {
	var lines []string
	if t := strings.TrimSpace(jsLines(text)); t != "" {
		lines = append(lines, strings.Split(t, "\n")...)
	}
	for _, e := range extra {
		if e == "" {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, strings.Split(e, "\n")...)
	}
	if deprecated {
		lines = append(lines, "@deprecated")
	}
	if len(lines) == 0 {
		return
	}
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(strings.TrimRight(l, " \t"), "*/", "*\\/")
	}
	if len(lines) == 1 {
		w.p("%s/** %s */", indent, lines[0])
		return
	}
	w.p("%s/**", indent)
	for _, l := range lines {
		if l == "" {
			w.p("%s *", indent)
		} else {
			w.p("%s * %s", indent, l)
		}
	}
	w.p("%s */", indent)
}

// jsLineEnd matches what ends a line in JavaScript: \r\n, \n, \r,
// U+2028 and U+2029.
var jsLineEnd = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n")

// jsLines turns every JavaScript line terminator in s into \n, so that
// text written as // comments, line by line, cannot end a comment early.
func jsLines(s string) string { return jsLineEnd.Replace(s) }

func (w *writer) file(source string) {
	w.p("%s", gen.Header("//"))
	if source != "" {
		w.b.WriteString(gen.CommentLines("// ", jsLines("source: "+source)))
	}
	info := w.s.Info
	if title := strings.TrimSpace(jsLines(info.Title + " " + info.Version)); title != "" || info.Doc != "" {
		w.p("//")
		if title != "" {
			w.b.WriteString(gen.CommentLines("// ", title))
		}
		if d := strings.TrimSpace(jsLines(info.Doc)); d != "" {
			if title != "" {
				w.p("//")
			}
			w.b.WriteString(gen.CommentLines("// ", d))
		}
	}
	w.p("")
	if len(w.s.Namespaces) > 0 {
		w.p(`import type { %s } from "socket.io-client";`, nameSocket)
		w.p("")
	}
	w.common()
	if len(w.s.Types)+len(w.s.Inline) > 0 {
		w.p("// ---- Types ----")
		w.p("")
		for _, nt := range w.s.AllTypes() {
			w.namedType(nt)
		}
	}
	for _, ns := range w.s.Namespaces {
		w.namespace(ns)
	}
}

// common writes the error codes, the ack envelope and the binary type.
func (w *writer) common() {
	w.p("// ---- Acks and error codes ----")
	w.p("")
	w.doc("", "The error codes every ack may carry without declaring them.", false, builtinList())
	w.p("export type %s = %s;", nameBuiltinCode, union(builtinCodes()))
	w.p("")
	w.doc("", "Every error code of the schema: the built-in ones and the declared ones.", false, errorList(w.s.Errors))
	codes := []string{nameBuiltinCode}
	for _, e := range w.s.Errors {
		codes = append(codes, str(e.Code))
	}
	w.p("export type %s = %s;", nameErrorCode, strings.Join(codes, " | "))
	w.p("")
	w.doc("", `The ack envelope: on the wire an ack is this one argument.
data is the event's ack type, which may be left out where the type
admits undefined (any, optional); code is one of the event's error codes
(C), message a human-readable text.`, false)
	w.p("export type %s<T, C extends string = %s> =", nameAck, nameBuiltinCode)
	w.p("  | ({ ok: true } & (undefined extends T ? { data?: T } : { data: T }))")
	w.p("  | { ok: false; error: { code: C; message: string } };")
	w.p("")
	w.doc("", `The schema type binary: a Socket.IO binary attachment.
Send an ArrayBuffer or any Uint8Array (a Node Buffer is one). A browser
receives an ArrayBuffer, Node receives a Buffer: both fit this type.`, false)
	w.p("export type %s = ArrayBuffer | Uint8Array;", nameBinary)
	w.p("")
}

func builtinCodes() []string {
	var out []string
	for _, e := range schema.BuiltinErrors {
		out = append(out, str(e.Code))
	}
	return out
}

func builtinList() string {
	var lines []string
	for _, e := range schema.BuiltinErrors {
		lines = append(lines, "- "+e.Code+": "+e.Doc)
	}
	return strings.Join(lines, "\n")
}

func errorList(errs []*schema.ErrorCode) string {
	var lines []string
	for _, e := range errs {
		l := "- " + e.Code
		if d := strings.Join(strings.Fields(e.Doc), " "); d != "" {
			l += ": " + d
		}
		if e.Deprecated {
			l += " (deprecated)"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func union(parts []string) string {
	if len(parts) == 0 {
		return "never"
	}
	return strings.Join(parts, " | ")
}

func (w *writer) namedType(nt *schema.NamedType) {
	t := nt.Type
	doc := nt.Doc
	var extra []string
	if nt.Inline {
		extra = append(extra, "Generated for the "+nt.Origin+".")
	}
	if c := constraintsDoc(t.Constraints); c != "" {
		extra = append(extra, c)
	}
	extra = append(extra, int64Note(t))
	switch t.Kind {
	case schema.KindObject:
		w.doc("", doc, nt.Deprecated, extra...)
		if len(t.Fields) == 0 {
			w.p("export interface %s {}", nt.Name)
			w.p("")
			return
		}
		w.p("export interface %s {", nt.Name)
		for _, f := range t.Fields {
			ft := f.Type
			opt := ""
			if ft.MayBeAbsent() {
				opt = "?"
				ft = ft.NonOptional()
			}
			w.doc("  ", f.Doc, f.Deprecated, constraintsDoc(ft.Constraints), int64Note(ft))
			w.p("  %s%s: %s;", propName(f.Name), opt, typeExpr(ft))
		}
		w.p("}")
	case schema.KindEnum:
		var vals, lines []string
		for _, v := range t.Values {
			vals = append(vals, str(v.Value))
			if v.Doc != "" || v.Deprecated {
				l := "- " + v.Value
				if d := strings.Join(strings.Fields(v.Doc), " "); d != "" {
					l += ": " + d
				}
				if v.Deprecated {
					l += " (deprecated)"
				}
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			extra = append(extra, strings.Join(lines, "\n"))
		}
		w.doc("", doc, nt.Deprecated, extra...)
		w.p("export type %s = %s;", nt.Name, union(vals))
	case schema.KindMap:
		// An index signature, not Record<string, T>: a type alias whose
		// right-hand side is Record<…> cannot refer back to itself
		// (Dict: map<Dict> would be "Type alias 'Dict' circularly
		// references itself"), an object type literal can.
		w.doc("", doc, nt.Deprecated, extra...)
		w.p("export type %s = { [key: string]: %s };", nt.Name, typeExpr(t.Elem))
	default:
		w.doc("", doc, nt.Deprecated, extra...)
		w.p("export type %s = %s;", nt.Name, typeExpr(t))
	}
	w.p("")
}

// constraintsDoc describes constraints for a doc comment (TypeScript cannot
// express them).
func constraintsDoc(c *schema.Constraints) string {
	if c == nil {
		return ""
	}
	var parts []string
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	if c.MinLength != nil {
		parts = append(parts, fmt.Sprintf("minLength %d", *c.MinLength))
	}
	if c.MaxLength != nil {
		parts = append(parts, fmt.Sprintf("maxLength %d", *c.MaxLength))
	}
	if c.Pattern != "" {
		parts = append(parts, "pattern "+c.Pattern)
	}
	if c.Minimum != nil {
		parts = append(parts, "minimum "+num(*c.Minimum))
	}
	if c.Maximum != nil {
		parts = append(parts, "maximum "+num(*c.Maximum))
	}
	if c.MaxItems != nil {
		parts = append(parts, fmt.Sprintf("maxItems %d", *c.MaxItems))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Constraints (checked by the server): " + strings.Join(parts, ", ") + "."
}

// int64Note warns about int64 (a number in TypeScript) in a doc comment.
func int64Note(t *schema.Type) string {
	if t.Kind == schema.KindPrimitive && t.Prim == schema.Int64 {
		return "int64: a JavaScript number is exact only up to 2^53 (Number.MAX_SAFE_INTEGER)."
	}
	return ""
}

// typeExpr is the TypeScript for a type at a use site (never optional:
// callers handle optional<T>).
func typeExpr(t *schema.Type) string {
	switch t.Kind {
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.String, schema.Time:
			return "string"
		case schema.Bool:
			return "boolean"
		case schema.Int32, schema.Int64, schema.Float64:
			return "number"
		case schema.Binary:
			return nameBinary
		case schema.Any:
			return "unknown"
		}
	case schema.KindNamed:
		return t.Name
	case schema.KindList:
		e := typeExpr(t.Elem)
		if strings.ContainsAny(e, " |") {
			e = "(" + e + ")"
		}
		return e + "[]"
	case schema.KindMap:
		return "Record<string, " + typeExpr(t.Elem) + ">"
	case schema.KindOptional:
		// An absent argument or ack data arrives as null from a Go peer, and
		// JSON turns JavaScript's undefined argument into null too.
		return typeExpr(t.Elem) + " | null | undefined"
	}
	// Objects and enums only appear as named types in a resolved schema.
	panic(fmt.Sprintf("tsgen: unexpected type %s at a use site", t))
}

func (w *writer) namespace(ns *schema.Namespace) {
	w.p("// ---- Namespace %s ----", ns.Name)
	w.p("")
	name := nsConst(ns)
	if ns.IsDynamic() {
		var params, ps []string
		for _, p := range ns.Params {
			pn := nsParamName(p)
			params = append(params, pn+": string")
			ps = append(ps, pn)
		}
		w.doc("", fmt.Sprintf("The name of the namespace %s for the given parameters: io(url + %s(…)).\nA value must be non-empty and contain no \"/\".", ns.Name, name), false)
		w.p("export function %s(%s): string {", name, strings.Join(params, ", "))
		w.p("  for (const v of [%s]) {", strings.Join(ps, ", "))
		w.p(`    if (v === "" || v.includes("/")) throw new Error("%s: invalid parameter " + JSON.stringify(v));`, name)
		w.p("  }")
		// Rebuild the path from its segments.
		path := ns.Name
		for _, p := range ns.Params {
			path = strings.Replace(path, "{"+p.Name+"}", "${"+nsParamName(p)+"}", 1)
		}
		w.p("  return `%s`;", strings.ReplaceAll(path, "`", "\\`"))
		w.p("}")
	} else {
		w.doc("", "The name of the namespace: io(url + "+name+").", false)
		w.p("export const %s = %s;", name, str(ns.Name))
	}
	w.p("")

	for _, ev := range ns.Events() {
		if ev.Ack == nil {
			continue
		}
		codes := []string{nameBuiltinCode}
		var docs []*schema.ErrorCode
		for _, e := range ev.Errors {
			if e.Builtin {
				continue
			}
			codes = append(codes, str(e.Code))
			docs = append(docs, e)
		}
		text := fmt.Sprintf("The error codes the ack of %s may carry.", describeEvent(ev))
		w.doc("", text, false, errorList(docs))
		w.p("export type %s = %s;", errorCodeType(ns, ev), strings.Join(codes, " | "))
		w.p("")
	}

	authDoc := ""
	if ns.Auth != nil {
		authDoc = "Connect with io(url, { auth }) where auth is a " + typeExpr(ns.Auth) + "."
	}
	w.doc("", ns.Doc, ns.Deprecated, fmt.Sprintf("A socket of the namespace %s, for socket.io-client.", ns.Name), authDoc)
	w.p("export type %sSocket = %s<%sServerToClientEvents, %sClientToServerEvents>;", ns.GoName, nameSocket, ns.GoName, ns.GoName)
	w.p("")
	w.doc("", fmt.Sprintf("The events a client emits on %s (socket.emit, socket.emitWithAck).", ns.Name), false)
	w.events(ns, ns.GoName+"ClientToServerEvents", ns.ClientToServer)
	w.doc("", fmt.Sprintf("The events a client receives on %s (socket.on). For an event with an ack,\nthe listener answers by calling ack with the envelope.", ns.Name), false)
	w.events(ns, ns.GoName+"ServerToClientEvents", ns.ServerToClient)
}

func describeEvent(ev *schema.Event) string {
	if ev.Direction == schema.ServerToClient {
		return "the server-to-client event " + str(ev.Name)
	}
	return "the event " + str(ev.Name)
}

func (w *writer) events(ns *schema.Namespace, iface string, evs []*schema.Event) {
	if len(evs) == 0 {
		w.p("export interface %s {}", iface)
		w.p("")
		return
	}
	w.p("export interface %s {", iface)
	for _, ev := range evs {
		var extra []string
		type param struct {
			name string
			t    *schema.Type
		}
		var params []param
		if ev.Payload != nil {
			params = append(params, param{"payload", ev.Payload})
			if ev.Payload.Doc != "" {
				extra = append(extra, "@param payload "+ev.Payload.Doc)
			}
		}
		for _, a := range ev.Args {
			params = append(params, param{paramName(a.Name, a.GoName), a.Type})
			if a.Type.Doc != "" {
				extra = append(extra, "@param "+paramName(a.Name, a.GoName)+" "+a.Type.Doc)
			}
		}
		if ev.Ack != nil && ev.Ack.Doc != "" {
			extra = append(extra, "Ack data: "+ev.Ack.Doc)
		}
		w.doc("  ", ev.Doc, ev.Deprecated, extra...)
		var list []string
		for _, p := range params {
			switch {
			case !p.t.IsOptional():
				list = append(list, p.name+": "+typeExpr(p.t))
			case ev.Ack != nil:
				// A required ack callback follows: TypeScript allows no
				// optional parameter before it, so pass undefined.
				list = append(list, p.name+": "+typeExpr(p.t))
			default:
				list = append(list, p.name+"?: "+typeExpr(p.t.Elem)+" | null")
			}
		}
		if ev.Ack != nil {
			data := typeExpr(ev.Ack)
			list = append(list, fmt.Sprintf("ack: (res: %s<%s, %s>) => void", nameAck, data, errorCodeType(ns, ev)))
		}
		w.p("  %s: (%s) => void;", propName(ev.Name), strings.Join(list, ", "))
	}
	w.p("}")
	w.p("")
}
