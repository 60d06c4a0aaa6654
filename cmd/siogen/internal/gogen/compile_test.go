package gogen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siogen/siogen/cmd/siogen/internal/gogen"
	"github.com/siogen/siogen/schema"
)

// Schemas at the edges of what the generator handles produce Go that
// compiles: types that contain themselves through lists and maps (used as
// fields too), a type named like a list's shape variable, lists and maps
// as payloads, arguments and acks, arguments named like the
// package-level variables the generated functions use or like the
// packages they import (parser, maps, and netip for a type bound to
// net/netip.Addr), acks of a type bound to a Go type that is not a
// struct (time.Duration), an auth type bound to a Go type (image.Point),
// arguments named like the renamed ones (ctx and ctxArg),
// and types that name an object type (Admin: User).
func TestOddSchemaCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	s, err := schema.Parse("odd.sio.yaml", []byte(`siogen: 1
types:
  User: { fields: { id: { type: string, maxLength: 3 }, tags: list<string> } }
  Admin: User
  Root: Admin
  ListOfUser: { fields: { x: string } }
  A: list<A>
  M: map<M>
  Node: { fields: { a: A, m: M, kids: list<Node>, next: optional<Node> } }
  Pat: { type: string, pattern: "^x" }
  Addr: string
  Dur: { type: int64, minimum: 0, maximum: 1000 }
  Creds: { fields: { x: int32, y: int32 } }
namespaces:
  /bound:
    auth: Creds
  /:
    client_to_server:
      e1:
        args: [{ name: shapeUser, type: User }, { name: pattern1, type: Pat }, { name: errorMessages, type: string }, { name: listShapeOfUser, type: "list<User>" }]
        ack: list<list<User>>
      e2: { payload: "map<list<User>>", ack: optional<Node> }
      e3: { payload: ListOfUser, ack: map<User> }
      e4: { payload: A, ack: M }
      e5: { payload: Admin, ack: Root }
      e6: { payload: any, ack: any }
      e8: { ack: Dur }
      e9: { args: [{ name: ctx, type: string }, { name: ctxArg, type: string }, { name: v1, type: string }, { name: v1Arg, type: string }], ack: string }
      e7: { args: [{ name: parser, type: string }, { name: maps, type: "map<User>" }, { name: netip, type: Addr }, { name: x, type: optional<Addr> }], ack: Addr }
    server_to_client:
      s1: { args: [{ name: shapeUser, type: User }, { name: mapShapeOfUser, type: "map<User>" }], ack: list<User> }
      s3: { ack: Dur }
      s4: { args: [{ name: ctx, type: string }, { name: ctxArg, type: string }, { name: v1, type: string }, { name: v1Arg, type: string }], ack: string }
      s2: { args: [{ name: parser, type: User }, { name: maps, type: "map<User>" }, { name: netip, type: Addr }, { name: x, type: optional<Addr> }], ack: Addr }
`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := gogen.Generator{}.Generate(s, &schema.Config{Go: &schema.GoConfig{Package: "odd", Out: dir, EmitServer: true, EmitClient: true,
		Bindings: []*schema.Binding{{Type: "Addr", ImportPath: "net/netip", Name: "Addr"}, {Type: "Dur", ImportPath: "time", Name: "Duration"},
			{Type: "Creds", ImportPath: "image", Name: "Point"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(f.Path, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module odd\n\ngo 1.26\n\nrequire github.com/siogen/siogen v0.0.0\n\nreplace github.com/siogen/siogen => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	cmd = exec.Command("go", "vet", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of the generated package: %v\n%s", err, out)
	}
}

// A required list or map sent whole goes through socketio.ListOrEmpty or
// MapOrEmpty, unless its type is bound to a Go type, which need not be a
// slice or a map.
func TestWireValueOfBoundTypes(t *testing.T) {
	s, err := schema.Parse("bound.sio.yaml", []byte(`siogen: 1
types:
  Tags: list<string>
  Labels: map<string>
  Free: list<string>
namespaces:
  /:
    server_to_client:
      tags: { payload: Tags }
      labels: { payload: Labels }
      free: { payload: Free }
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &schema.Config{Go: &schema.GoConfig{Package: "bound", Out: t.TempDir(), EmitServer: true, Bindings: []*schema.Binding{
		{Type: "Tags", ImportPath: "example.com/ids", Name: "TagSet"},
		{Type: "Labels", ImportPath: "example.com/ids", Name: "LabelSet"},
	}}}
	files, err := gogen.Generator{}.Generate(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var all string
	for _, f := range files {
		all += string(f.Content)
	}
	if n := strings.Count(all, "socketio.ListOrEmpty(p)"); n != 2 { // the socket's and the emitter's Free
		t.Errorf("socketio.ListOrEmpty(p) appears %d times, want 2", n)
	}
	if strings.Contains(all, "MapOrEmpty") {
		t.Error("a bound map type goes through MapOrEmpty")
	}
}
