package schema

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	file := filepath.Join(testdataDir, "config", "siogen.yaml")
	c, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(file)
	want := map[string]string{
		"schema":       filepath.Join(dir, "../valid/chat.sio.yaml"),
		"go.out":       filepath.Join(dir, "../../../generated/chat"),
		"ts.out":       filepath.Join(dir, "web/src/chat.sio.ts"),
		"asyncapi.out": filepath.Join(dir, "docs/chat.asyncapi.yaml"),
	}
	got := map[string]string{"schema": c.Schema, "go.out": c.Go.Out, "ts.out": c.TS.Out, "asyncapi.out": c.AsyncAPI.Out}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if c.Go.Package != "chatapi" || !c.Go.EmitServer || !c.Go.EmitClient {
		t.Errorf("go = %+v", c.Go)
	}
	b := c.Go.Binding("RoomID")
	if b == nil || b.ImportPath != "github.com/acme/chat/ids" || b.Name != "RoomID" || b.Pos.Line != 6 {
		t.Errorf("binding = %+v", b)
	}
	s, err := c.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	if s.Type("RoomID") == nil {
		t.Error("schema not loaded")
	}
}

func TestConfigProblems(t *testing.T) {
	for _, name := range []string{"bad.siogen.yaml", "bad_package.siogen.yaml", "unknown_binding.siogen.yaml"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(testdataDir, "config", name)
			c, err := LoadConfig(file)
			if err == nil {
				_, err = c.LoadSchema()
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got %v (%T), want Problems", err, err)
			}
			checkSorted(t, ps)
			// Positions are printed with the file name as given; make the
			// golden output independent of the directory.
			out := strings.ReplaceAll(err.Error(), filepath.Join(testdataDir, "config")+string(filepath.Separator), "")
			checkGolden(t, strings.TrimSuffix(file, ".siogen.yaml")+".errors.txt", []byte(out+"\n"))
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := ParseConfig("dir/siogen.yaml", []byte("schema: /abs/x.sio.yaml\ngo: { package: x, out: . }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != filepath.Clean("/abs/x.sio.yaml") || c.Go.Out != "dir" || !c.Go.EmitServer || !c.Go.EmitClient || c.TS != nil || c.AsyncAPI != nil {
		t.Errorf("config = %+v, go = %+v", c, c.Go)
	}
	_, err = ParseConfig("siogen.yaml", []byte("go: { package: type, out: x }\n"))
	want := "siogen.yaml:1:1: missing schema: the path of the schema file\n" +
		`siogen.yaml:1:16: go.package "type" is not a valid Go package name (lower-case letters, digits and _, not a keyword)`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	if _, err := LoadConfig(filepath.Join(testdataDir, "config", "missing.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
}
