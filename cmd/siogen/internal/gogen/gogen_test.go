package gogen_test

import (
	"strings"
	"testing"

	"github.com/siogen/siogen/cmd/siogen/internal/gogen"
	"github.com/siogen/siogen/schema"
)

func TestMethodNameCollisions(t *testing.T) {
	s, err := schema.Parse("x.sio.yaml", []byte(`siogen: 1
namespaces:
  /a:
    server_to_client: { join: {}, to: {} }
    client_to_server: { socket: {} }
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = gogen.Generator{}.Generate(s, &schema.Config{Go: &schema.GoConfig{Package: "a", Out: t.TempDir(), EmitServer: true, EmitClient: true}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"join" becomes the Go method Join`, `"to" becomes the Go method To`, `"socket" becomes the Go method Socket`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestNoGoSection(t *testing.T) {
	s, err := schema.Parse("x.sio.yaml", []byte("siogen: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := gogen.Generator{}.Generate(s, &schema.Config{})
	if err != nil || len(files) != 0 {
		t.Fatalf("got %d files, %v", len(files), err)
	}
}

// TestDocDirectives: schema text in Go comments stays comment text. A
// doc line that starts with // or /* must not reach the file as is: the
// schema is shared with other teams, and "//go:generate …" in it would
// be run by the Go team's go generate.
func TestDocDirectives(t *testing.T) {
	s, err := schema.Parse("x.sio.yaml", []byte(`siogen: 1
info:
  title: T
  version: "1\n//go:generate echo version"
  doc: "a\n//go:generate echo doc\n/* block */ var x = 1\n//line evil.go:1"
errors:
  e_x: "//go:generate echo error"
types:
  T: { doc: "//go:generate echo type", fields: { f: { type: string, doc: "//go:generate echo field" } } }
namespaces:
  /a:
    doc: "//go:generate echo namespace"
    client_to_server: { e: { payload: T, doc: "//go:generate echo event", ack: string, errors: [e_x] } }
`))
	if err != nil {
		t.Fatal(err)
	}
	files, err := gogen.Generator{}.Generate(s, &schema.Config{Go: &schema.GoConfig{Package: "a", Out: t.TempDir(), EmitServer: true, EmitClient: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for i, l := range strings.Split(string(f.Content), "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "//go:") || strings.HasPrefix(l, "//line ") || strings.HasPrefix(l, "/*") || strings.HasPrefix(l, "var x") {
				t.Errorf("%s:%d: %s", f.Path, i+1, l)
			}
		}
	}
}
