// Package asyncapigen writes an AsyncAPI 3.0 document (YAML) for a siogen
// schema: one channel per namespace, one operation per event (receive for
// client-to-server events, send for server-to-client ones, from the
// server's point of view) with a reply for acks, message payloads as JSON
// Schemas, and components.schemas for the named types. See docs/cli.md.
package asyncapigen

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/siogen/siogen/cmd/siogen/internal/gen"
	"github.com/siogen/siogen/schema"
)

// Generator is the AsyncAPI [gen.Generator]; it writes c.AsyncAPI.Out.
type Generator struct{}

// Name returns "asyncapi".
func (Generator) Name() string { return "asyncapi" }

// Generate returns the AsyncAPI document, or nothing when c.AsyncAPI is nil.
func (Generator) Generate(s *schema.Schema, c *schema.Config) ([]gen.File, error) {
	if c == nil || c.AsyncAPI == nil {
		return nil, nil
	}
	src, err := Document(s, gen.SourceRel(c.AsyncAPI.Out, s.File))
	if err != nil {
		return nil, err
	}
	return []gen.File{{Path: c.AsyncAPI.Out, Content: src}}, nil
}

// Version is the AsyncAPI version of the documents.
const Version = "3.0.0"

// Document returns the AsyncAPI document for s as YAML. source names the
// schema in the header ("" leaves it out).
func Document(s *schema.Schema, source string) ([]byte, error) {
	root := build(s)
	var b bytes.Buffer
	b.WriteString(gen.Header("#") + "\n")
	if source != "" {
		b.WriteString("# source: " + source + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root.node()); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	return b.Bytes(), nil
}

// obj is an ordered mapping: the document is built from these so that keys
// come out in a fixed, readable order.
type obj struct {
	keys []string
	vals []any
}

func newObj() *obj { return &obj{} }

// set appends key (or replaces its value); nil values and empty objects
// are skipped.
func (o *obj) set(key string, v any) *obj {
	switch x := v.(type) {
	case nil:
		return o
	case *obj:
		if x == nil || len(x.keys) == 0 {
			return o
		}
	case string:
		if x == "" {
			return o
		}
	}
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return o
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	return o
}

// setEmpty sets key even to an empty object ({}: the schema of any value).
func (o *obj) setEmpty(key string, v *obj) *obj {
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	return o
}

func (o *obj) node() *yaml.Node { return toNode(o) }

func scalar(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

// toNode converts a value (obj, []any, []string, string, bool, int,
// float64, or what yaml.v3 decodes extensions into) to a YAML node.
// Plain maps are emitted with their keys sorted.
func toNode(v any) *yaml.Node {
	switch x := v.(type) {
	case *obj:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if len(x.keys) == 0 {
			n.Style = yaml.FlowStyle
		}
		for i, k := range x.keys {
			n.Content = append(n.Content, scalar("!!str", k), toNode(x.vals[i]))
		}
		return n
	case map[string]any:
		o := newObj()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, x[k])
		}
		return toNode(o)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if len(x) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, e := range x {
			n.Content = append(n.Content, toNode(e))
		}
		return n
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, scalar("!!str", e))
		}
		return n
	case string:
		n := scalar("!!str", x)
		if strings.Contains(x, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	case bool:
		return scalar("!!bool", strconv.FormatBool(x))
	case int:
		return scalar("!!int", strconv.Itoa(x))
	case int64:
		return scalar("!!int", strconv.FormatInt(x, 10))
	case uint64:
		return scalar("!!int", strconv.FormatUint(x, 10))
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return scalar("!!int", strconv.FormatInt(int64(x), 10))
		}
		return scalar("!!float", strconv.FormatFloat(x, 'g', -1, 64))
	case nil:
		return scalar("!!null", "null")
	}
	return scalar("!!str", fmt.Sprint(v))
}

func lowerFirst(s string) string {
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

// extensions copies x-* keys (sorted) into o.
func extensions(o *obj, ext schema.Extensions) {
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o.set(k, ext[k])
	}
}

const schemasRef = "#/components/schemas/"

// Names used in the document.
//
//   - channel: lowerFirst(namespace Go name): chat, main, workspace.
//   - messages (in the channel): the sender, then the event's Go name:
//     clientJoin, serverMessage; the ack of an event adds "Ack":
//     clientJoinAck (sent by the server), serverConfirmAck (by the client).
//   - operations: receive/send + namespace + event: receiveChatJoin
//     (a client-to-server event the server receives), sendChatMessage.
//   - component schemas: the type's name (RoomID), or the Go name of an
//     inline type (ChatJoinPayload).
//
// AsyncAPI wants these keys in ^[a-zA-Z0-9.\-_]+$; Go names of events may
// have other letters (an event "grüßen"): see id.
func channelID(ns *schema.Namespace) string { return id(lowerFirst(ns.GoName)) }

func messageID(ev *schema.Event) string {
	if ev.Direction == schema.ClientToServer {
		return id("client" + ev.GoName)
	}
	return id("server" + ev.GoName)
}

func operationID(ns *schema.Namespace, ev *schema.Event) string {
	if ev.Direction == schema.ClientToServer {
		return id("receive" + ns.GoName + ev.GoName)
	}
	return id("send" + ns.GoName + ev.GoName)
}

// id writes each rune of a Go name that is not an ASCII letter or digit as
// _uXXXX (_UXXXXXXXX beyond the BMP): Go names have no "_", so two names
// stay two IDs (grüßen: gr_u00fc_u00dfen).
func id(name string) string {
	ascii := true
	for i := 0; i < len(name) && ascii; i++ {
		ascii = name[i] < utf8.RuneSelf
	}
	if ascii {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "_u%04x", r)
		default:
			fmt.Fprintf(&b, "_U%08x", r)
		}
	}
	return b.String()
}

func build(s *schema.Schema) *obj {
	doc := newObj()
	doc.set("asyncapi", Version)
	info := newObj()
	title := s.Info.Title
	if title == "" {
		title = "Socket.IO API"
	}
	version := s.Info.Version
	if version == "" {
		version = "0.0.0"
	}
	info.set("title", title).set("version", version).set("description", s.Info.Doc)
	extensions(info, s.Info.Extensions)
	doc.set("info", info)
	doc.set("defaultContentType", "application/json")

	channels, operations := newObj(), newObj()
	for _, ns := range s.Namespaces {
		ch, ops := namespace(s, ns)
		channels.set(channelID(ns), ch)
		for i, k := range ops.keys {
			operations.set(k, ops.vals[i])
		}
	}
	doc.set("channels", channels)
	doc.set("operations", operations)

	components := newObj()
	schemas := newObj()
	for _, nt := range s.AllTypes() {
		sc := typeSchema(nt.Type)
		sc = withDoc(sc, nt.Doc, nt.Deprecated)
		if nt.Inline {
			sc.set("x-siogen-origin", nt.Origin)
		}
		extensions(sc, nt.Extensions)
		schemas.setEmpty(id(nt.Name), sc)
	}
	components.set("schemas", schemas)
	doc.set("components", components)
	extensions(doc, s.Extensions)
	return doc
}

func errorObject(codes []*schema.ErrorCode, description string) *obj {
	var enum []any
	var lines []string
	for _, e := range codes {
		enum = append(enum, e.Code)
		d := strings.Join(strings.Fields(e.Doc), " ")
		if e.Deprecated {
			d += " (deprecated)"
		}
		lines = append(lines, "- "+e.Code+": "+d)
	}
	code := newObj().set("type", "string").set("enum", enum).set("description", strings.Join(lines, "\n"))
	return newObj().
		set("type", "object").
		set("description", description).
		set("properties", newObj().
			set("code", code).
			set("message", newObj().set("type", "string"))).
		set("required", []string{"code", "message"})
}

func namespace(s *schema.Schema, ns *schema.Namespace) (*obj, *obj) {
	ch := newObj()
	ch.set("address", ns.Name)
	ch.set("title", "Namespace "+ns.Name)
	ch.set("description", ns.Doc)
	msgs := newObj()
	ops := newObj()
	chRef := "#/channels/" + channelID(ns)
	for _, ev := range ns.Events() {
		id := messageID(ev)
		msgs.set(id, eventMessage(ev))
		op := newObj()
		if ev.Direction == schema.ClientToServer {
			op.set("action", "receive")
			op.set("title", "Client emits "+ev.Name)
		} else {
			op.set("action", "send")
			op.set("title", "Server emits "+ev.Name)
		}
		summaryAndDescription(op, ev.Doc)
		op.set("channel", newObj().set("$ref", chRef))
		op.set("messages", []any{newObj().set("$ref", chRef+"/messages/"+id)})
		if ev.Ack != nil {
			msgs.set(id+"Ack", ackMessage(ev))
			op.set("reply", newObj().
				set("channel", newObj().set("$ref", chRef)).
				set("messages", []any{newObj().set("$ref", chRef+"/messages/"+id+"Ack")}))
		}
		if ev.Deprecated {
			op.set("x-deprecated", true)
		}
		extensions(op, ev.Extensions)
		ops.set(operationID(ns, ev), op)
	}
	ch.set("messages", msgs)
	if ns.IsDynamic() {
		params := newObj()
		for _, p := range ns.Params {
			params.set(p.Name, newObj().set("description", fmt.Sprintf("The {%s} segment of the namespace name: any non-empty text without \"/\".", p.Name)))
		}
		ch.set("parameters", params)
		ch.set("x-siogen-namespace-regexp", ns.Regexp())
	}
	if ns.Auth != nil {
		ch.set("x-siogen-auth", describe(useSchema(ns.Auth), "The CONNECT payload: the client's auth option."))
	}
	if ns.Deprecated {
		ch.set("x-deprecated", true)
	}
	extensions(ch, ns.Extensions)
	return ch, ops
}

// summaryAndDescription sets summary to the first line of doc, and
// description to doc when it says more than that.
func summaryAndDescription(o *obj, doc string) {
	doc = strings.TrimSpace(doc)
	o.set("summary", firstLine(doc))
	if doc != firstLine(doc) {
		o.set("description", doc)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// eventMessage is the message of an event. Its payload is the event's
// single argument; positional args make it a tuple (an array with one item
// schema per argument), marked x-siogen-args; an event without arguments
// has no payload.
func eventMessage(ev *schema.Event) *obj {
	m := newObj()
	m.set("name", ev.Name)
	summaryAndDescription(m, ev.Doc)
	switch {
	case ev.Payload != nil:
		m.setEmpty("payload", useSchema(ev.Payload))
	case len(ev.Args) > 0:
		var items []any
		required := 0
		for i, a := range ev.Args {
			items = append(items, withTitle(useSchema(a.Type), a.Name))
			if !a.Type.IsOptional() {
				required = i + 1
			}
		}
		m.set("payload", newObj().
			set("type", "array").
			set("description", "The event's positional arguments, in order.").
			set("items", items).
			set("additionalItems", false).
			set("minItems", required).
			set("maxItems", len(ev.Args)).
			set("x-siogen-args", true))
	}
	if ev.Deprecated {
		m.set("x-deprecated", true)
	}
	return m
}

// ackMessage is the reply to an event: the ack envelope.
func ackMessage(ev *schema.Event) *obj {
	codes := append([]*schema.ErrorCode{}, schema.BuiltinErrors...)
	for _, e := range ev.Errors {
		if !e.Builtin {
			codes = append(codes, e)
		}
	}
	data := useSchema(ev.Ack)
	okEnv := newObj().
		set("type", "object").
		set("properties", newObj().
			set("ok", newObj().set("const", true)).
			setEmpty("data", data)).
		set("required", requiredData(ev.Ack))
	failEnv := newObj().
		set("type", "object").
		set("properties", newObj().
			set("ok", newObj().set("const", false)).
			set("error", errorObject(codes, "The error: one of the event's error codes and a message."))).
		set("required", []string{"ok", "error"})
	who := "server"
	if ev.Direction == schema.ServerToClient {
		who = "client"
	}
	return newObj().
		set("name", ev.Name+" ack").
		set("title", "Ack of "+ev.Name).
		set("summary", "The ack envelope the "+who+" answers "+ev.Name+" with.").
		set("description", ev.Ack.Doc).
		set("payload", newObj().set("oneOf", []any{okEnv, failEnv}))
}

func requiredData(t *schema.Type) []string {
	if t.MayBeAbsent() {
		return []string{"ok"}
	}
	return []string{"ok", "data"}
}

func withDoc(o *obj, doc string, deprecated bool) *obj {
	o.set("description", strings.TrimSpace(doc))
	if deprecated {
		o.set("deprecated", true)
	}
	return o
}

func withTitle(o *obj, title string) *obj {
	if _, isRef := o.get("$ref"); isRef {
		o = newObj().set("allOf", []any{o})
	}
	// Put the title first for readability.
	n := newObj().set("title", title)
	for i, k := range o.keys {
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, o.vals[i])
	}
	return n
}

// useSchema is the schema of a type at a use site (a field, payload, ack
// or argument): optional<T> also admits null (which counts as absent); a
// use-site doc becomes the description.
func useSchema(t *schema.Type) *obj {
	var o *obj
	if t.IsOptional() {
		o = newObj().set("oneOf", []any{typeSchema(t.Elem), newObj().set("type", "null")})
	} else {
		o = typeSchema(t)
	}
	return describe(o, t.Doc)
}

// describe adds a description to a schema; a $ref is wrapped in allOf
// first (JSON Schema draft 7 ignores the siblings of $ref).
func describe(o *obj, doc string) *obj {
	if doc == "" {
		return o
	}
	if _, isRef := o.get("$ref"); isRef {
		o = newObj().set("allOf", []any{o})
	}
	return o.set("description", doc)
}

func (o *obj) get(key string) (any, bool) {
	for i, k := range o.keys {
		if k == key {
			return o.vals[i], true
		}
	}
	return nil, false
}

// typeSchema is the JSON Schema of a type (not optional<…>, which
// useSchema and objects handle).
func typeSchema(t *schema.Type) *obj {
	o := newObj()
	switch t.Kind {
	case schema.KindPrimitive:
		switch t.Prim {
		case schema.String:
			o.set("type", "string")
		case schema.Bool:
			o.set("type", "boolean")
		case schema.Int32:
			o.set("type", "integer").set("format", "int32")
		case schema.Int64:
			o.set("type", "integer").set("format", "int64")
		case schema.Float64:
			o.set("type", "number").set("format", "double")
		case schema.Time:
			o.set("type", "string").set("format", "date-time")
		case schema.Binary:
			o.set("type", "string").set("format", "binary").
				set("description", "Bytes, sent as a Socket.IO binary attachment.").
				set("x-siogen-binary", true)
		case schema.Any:
			// {}: any JSON value.
		}
	case schema.KindNamed:
		o.set("$ref", schemasRef+id(t.Name))
	case schema.KindList:
		o.set("type", "array").setEmpty("items", useSchema(t.Elem))
	case schema.KindMap:
		o.set("type", "object").setEmpty("additionalProperties", useSchema(t.Elem))
	case schema.KindEnum:
		var vals []any
		var lines []string
		for _, v := range t.Values {
			vals = append(vals, v.Value)
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
		o.set("type", "string").set("enum", vals)
		if len(lines) > 0 {
			o.set("x-siogen-values", strings.Join(lines, "\n"))
		}
	case schema.KindObject:
		o.set("type", "object")
		props := newObj()
		var required []string
		for _, f := range t.Fields {
			ft := f.Type.NonOptional()
			if !f.Type.MayBeAbsent() {
				required = append(required, f.Name)
			}
			fs := typeSchema(ft)
			if f.Doc != "" || f.Deprecated {
				if _, isRef := fs.get("$ref"); isRef {
					fs = newObj().set("allOf", []any{fs})
				}
				withDoc(fs, f.Doc, f.Deprecated)
			}
			extensions(fs, f.Extensions)
			props.setEmpty(f.Name, fs)
		}
		if len(t.Fields) > 0 {
			o.set("properties", props)
		}
		if len(required) > 0 {
			o.set("required", required)
		}
	case schema.KindOptional:
		return useSchema(t)
	}
	constraints(o, t.Constraints)
	return o
}

func constraints(o *obj, c *schema.Constraints) {
	if c == nil {
		return
	}
	if c.MinLength != nil {
		o.set("minLength", *c.MinLength)
	}
	if c.MaxLength != nil {
		o.set("maxLength", *c.MaxLength)
	}
	if c.Pattern != "" {
		o.set("pattern", c.Pattern)
	}
	if c.Minimum != nil {
		o.set("minimum", *c.Minimum)
	}
	if c.Maximum != nil {
		o.set("maximum", *c.Maximum)
	}
	if c.MaxItems != nil {
		if v, _ := o.get("type"); v == "object" {
			o.set("maxProperties", *c.MaxItems)
		} else {
			o.set("maxItems", *c.MaxItems)
		}
	}
}
