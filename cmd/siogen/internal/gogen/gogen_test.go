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
