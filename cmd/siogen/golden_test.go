package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/siogen/siogen/cmd/siogen/internal/gen"
	"github.com/siogen/siogen/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testdata = "../../testdata"

// validSchemas returns the names of testdata/schemas/valid/*.sio.yaml
// without the extension: chat, events, types.
func validSchemas(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testdata, "schemas/valid/*.sio.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid schemas: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".sio.yaml"))
	}
	return names
}

// TestGolden generates the TypeScript, AsyncAPI and Go outputs of every valid
// schema through its testdata/golden/NAME/siogen.yaml and compares them
// with the files there (with -update: rewrites them through the command,
// header guard included).
func TestGolden(t *testing.T) {
	for _, name := range validSchemas(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(testdata, "golden", name)
			config := filepath.Join(dir, "siogen.yaml")
			if *update {
				var stdout, stderr bytes.Buffer
				if code := run([]string{"generate", "-v", "-config", config}, &stdout, &stderr); code != 0 {
					t.Fatalf("generate: exit %d\n%s", code, stderr.String())
				}
				t.Logf("%s", stdout.String())
			}
			files := generateFiles(t, config)
			want := map[string]bool{name + ".sio.ts": true, name + ".asyncapi.yaml": true}
			// The Go package in go/: every file there must be generated.
			// (chat and events have none: their Go output is generated/chat and
			// generated/events, checked by TestGeneratedUpToDate.)
			goFiles, _ := filepath.Glob(filepath.Join(dir, "go", "*.go"))
			makesGo := slices.ContainsFunc(files, func(f gen.File) bool { return filepath.Ext(f.Path) == ".go" })
			if len(goFiles) == 0 && makesGo && !*update {
				t.Errorf("no Go golden files in %s/go (run go test ./cmd/siogen -update)", dir)
			}
			for _, f := range goFiles {
				want["go/"+filepath.Base(f)] = true
			}
			for _, f := range files {
				base := filepath.Base(f.Path)
				if filepath.Ext(base) == ".go" {
					base = "go/" + base
				}
				if !want[base] && !(*update && strings.HasPrefix(base, "go/")) {
					t.Errorf("unexpected output %s", f.Path)
					continue
				}
				delete(want, base)
				golden, err := os.ReadFile(f.Path)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/siogen -update)", err)
				}
				if !bytes.Equal(golden, f.Content) {
					t.Errorf("%s differs from the generated output (run go test ./cmd/siogen -update and review the diff)\n%s", f.Path, firstDiff(golden, f.Content))
				}
			}
			for base := range want {
				t.Errorf("no output %s", base)
			}
			// -check agrees: the goldens are up to date.
			var stdout, stderr bytes.Buffer
			if code := run([]string{"generate", "-check", "-config", config}, &stdout, &stderr); code != 0 {
				t.Errorf("generate -check: exit %d\n%s", code, stderr.String())
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  golden:    " + x + "\n  generated: " + y
		}
	}
	return ""
}

// generateFiles runs the generators for a config without writing.
func generateFiles(t *testing.T, config string) []gen.File {
	t.Helper()
	c, err := schema.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	files, err := generateAll(s, c)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGeneratedUpToDate checks that the packages under generated/ (built
// and tested with the module) match the generator: regenerate them with
// go generate ./generated.
func TestGeneratedUpToDate(t *testing.T) {
	configs, _ := filepath.Glob("../../generated/*/siogen.yaml")
	if len(configs) == 0 {
		t.Fatal("no generated/*/siogen.yaml")
	}
	for _, config := range configs {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"generate", "-check", "-config", config}, &stdout, &stderr); code != 0 {
			t.Errorf("%s: generate -check: exit %d (run go generate ./generated)\n%s", config, code, stderr.String())
		}
	}
}
