package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/cmd/siogen/internal/asyncapigen"
	"github.com/siogen/siogen/cmd/siogen/internal/gen"
	"github.com/siogen/siogen/cmd/siogen/internal/tsgen"
	"github.com/siogen/siogen/schema"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCheckInvalid runs check on every invalid schema (from its directory,
// so that positions name the file as the goldens do): the output is the
// golden NAME.errors.txt and the exit code 1.
func TestCheckInvalid(t *testing.T) {
	dir := abs(t, filepath.Join(testdata, "schemas/invalid"))
	files, _ := filepath.Glob(filepath.Join(dir, "*.sio.yaml"))
	if len(files) == 0 {
		t.Fatal("no invalid schemas")
	}
	t.Chdir(dir)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(name, ".sio.yaml") + ".errors.txt")
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCmd(t, "check", name)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stdout != string(want) {
				t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
		})
	}
}

// TestCheckValid: valid schemas exit 0; warnings (int64) are printed.
func TestCheckValid(t *testing.T) {
	t.Chdir(abs(t, filepath.Join(testdata, "schemas/valid")))
	code, stdout, _ := runCmd(t, "check", "chat.sio.yaml")
	if code != 0 || stdout != "" {
		t.Errorf("chat: exit %d, output %q; want 0 and nothing", code, stdout)
	}
	code, stdout, _ = runCmd(t, "check", "chat.sio.yaml", "events.sio.yaml", "types.sio.yaml")
	want := "events.sio.yaml:51:28: warning: int64 loses precision in JavaScript above 2^53\n" +
		"types.sio.yaml:19:20: warning: int64 loses precision in JavaScript above 2^53\n" +
		"types.sio.yaml:48:12: warning: int64 loses precision in JavaScript above 2^53\n"
	if code != 0 || stdout != want {
		t.Errorf("exit %d, output:\n%s\nwant 0 and:\n%s", code, stdout, want)
	}
}

// TestCheckMixed: one bad file among good ones fails the run, and every
// file is still reported.
func TestCheckMixed(t *testing.T) {
	t.Chdir(abs(t, filepath.Join(testdata, "schemas")))
	code, stdout, _ := runCmd(t, "check", "valid/events.sio.yaml", "invalid/unknown_types.sio.yaml", "missing.sio.yaml")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range []string{
		"valid/events.sio.yaml:51:28: warning: int64",
		`invalid/unknown_types.sio.yaml:17:24: unknown type "Mesage" (did you mean Message?)`,
		"missing.sio.yaml: open: no such file or directory",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
}

// TestCheckConfig: check with a config checks the bindings too.
func TestCheckConfig(t *testing.T) {
	t.Chdir(abs(t, filepath.Join(testdata, "schemas/config")))
	code, stdout, _ := runCmd(t, "check", "-config", "siogen.yaml")
	if code != 0 || stdout != "" {
		t.Errorf("siogen.yaml: exit %d, output %q", code, stdout)
	}
	want, _ := os.ReadFile("unknown_binding.errors.txt")
	code, stdout, _ = runCmd(t, "check", "-config", "unknown_binding.siogen.yaml")
	if code != 1 || stdout != string(want) {
		t.Errorf("unknown_binding: exit %d, output:\n%s\nwant 1 and:\n%s", code, stdout, want)
	}
	// Without arguments, check reads ./siogen.yaml.
	code, _, _ = runCmd(t, "check")
	if code != 0 {
		t.Errorf("check with ./siogen.yaml: exit %d", code)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, _, stderr := runCmd(t); code != 2 || !strings.Contains(stderr, "Usage:") {
		t.Errorf("no args: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(stdout, "siogen ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	if code, _, _ := runCmd(t, "generate", "-nope"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	if code, _, stderr := runCmd(t, "generate", filepath.Join(testdata, "schemas/valid/chat.sio.yaml")); code != 2 || !strings.Contains(stderr, "--ts") {
		t.Errorf("schema without outputs: exit %d, %q", code, stderr)
	}
}

// TestGenerateErrors: a schema with errors or a missing config writes
// nothing and exits 1 with the problems on stderr.
func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	ts := filepath.Join(dir, "x.ts")
	code, _, stderr := runCmd(t, "generate", "--ts", ts, filepath.Join(testdata, "schemas/invalid/unknown_types.sio.yaml"))
	if code != 1 || !strings.Contains(stderr, `unknown type "Mesage"`) {
		t.Errorf("invalid schema: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(ts); err == nil {
		t.Error("wrote output for an invalid schema")
	}
	t.Chdir(dir)
	code, _, stderr = runCmd(t, "generate")
	if code != 1 || !strings.Contains(stderr, "siogen.yaml: open: no such file or directory") {
		t.Errorf("missing config: exit %d, stderr %q", code, stderr)
	}
}

// TestGenerateConfig generates from a config in a temporary directory:
// paths are relative to the config, directories are created, warnings go
// to stderr, flags add outputs.
func TestGenerateConfig(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(testdata, "schemas/valid/events.sio.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "events.sio.yaml"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "siogen.yaml"), []byte("schema: events.sio.yaml\nts: { out: web/src/events.sio.ts }\nasyncapi: { out: docs/events.asyncapi.yaml }\n"), 0o644)
	extra := filepath.Join(dir, "extra.ts")
	t.Chdir(dir)
	code, stdout, stderr := runCmd(t, "generate", "-v", "--ts", extra)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// --ts replaces the config's ts.out.
	if want := extra + ": created\n" + filepath.Join("docs", "events.asyncapi.yaml") + ": created\n"; stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if !strings.Contains(stderr, "events.sio.yaml:51:28: warning: int64") {
		t.Errorf("stderr lacks the warning: %q", stderr)
	}
	code, stdout, _ = runCmd(t, "generate", "-v")
	if code != 0 {
		t.Fatal(code)
	}
	if want := filepath.Join("web", "src", "events.sio.ts") + ": created\n" + filepath.Join("docs", "events.asyncapi.yaml") + ": unchanged\n"; stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	a, _ := os.ReadFile(extra)
	b, _ := os.ReadFile(filepath.Join("web", "src", "events.sio.ts"))
	if !bytes.HasPrefix(a, []byte("// Code generated by siogen. DO NOT EDIT.\n")) {
		t.Errorf("no header:\n%.200s", a)
	}
	if !bytes.Contains(b, []byte("// source: ../../events.sio.yaml\n")) {
		t.Errorf("source line not relative to the output:\n%.200s", b)
	}
	c, _ := os.ReadFile(filepath.Join("docs", "events.asyncapi.yaml"))
	if !bytes.HasPrefix(c, []byte("# Code generated by siogen. DO NOT EDIT.\n# source: ../events.sio.yaml\nasyncapi: 3.0.0\n")) {
		t.Errorf("asyncapi header:\n%.200s", c)
	}
}

// TestHeaderGuard: generate refuses to overwrite a file without the
// header (and then writes nothing at all), overwrites a generated one, and
// leaves an unchanged one untouched (same modification time).
func TestHeaderGuard(t *testing.T) {
	dir := t.TempDir()
	schemaFile := abs(t, filepath.Join(testdata, "schemas/valid/chat.sio.yaml"))
	ts := filepath.Join(dir, "chat.sio.ts")
	api := filepath.Join(dir, "chat.asyncapi.yaml")
	handWritten := "// my own chat types\nexport type X = 1;\n"
	os.WriteFile(ts, []byte(handWritten), 0o644)

	code, _, stderr := runCmd(t, "generate", "--ts", ts, "--asyncapi", api, schemaFile)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "refusing to overwrite "+ts) || !strings.Contains(stderr, "Code generated by siogen. DO NOT EDIT.") {
		t.Errorf("stderr does not name the file and the header: %q", stderr)
	}
	if got, _ := os.ReadFile(ts); string(got) != handWritten {
		t.Error("hand-written file was changed")
	}
	if _, err := os.Stat(api); err == nil {
		t.Error("another output was written although one was refused")
	}
	// -check refuses too.
	if code, _, _ := runCmd(t, "generate", "-check", "--ts", ts, schemaFile); code != 1 {
		t.Errorf("-check over a hand-written file: exit %d", code)
	}

	// A stale generated file is replaced.
	os.WriteFile(ts, []byte("// Code generated by siogen. DO NOT EDIT.\nold\n"), 0o644)
	if code, _, stderr := runCmd(t, "generate", "-check", "--ts", ts, schemaFile); code != 1 || !strings.Contains(stderr, ts+": out of date") {
		t.Errorf("-check on a stale file: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "generate", "-v", "--ts", ts, "--asyncapi", api, schemaFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := ts + ": updated\n" + api + ": created\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	got, _ := os.ReadFile(ts)
	if !bytes.Contains(got, []byte("export interface ChatClientToServerEvents")) {
		t.Error("generated file not rewritten")
	}

	// Unchanged: not rewritten, mtime kept.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(ts, old, old)
	code, stdout, _ = runCmd(t, "generate", "-v", "--ts", ts, "--asyncapi", api, schemaFile)
	if code != 0 || stdout != ts+": unchanged\n"+api+": unchanged\n" {
		t.Errorf("second run: exit %d, %q", code, stdout)
	}
	if fi, _ := os.Stat(ts); !fi.ModTime().Equal(old) {
		t.Errorf("mtime changed: %v, want %v", fi.ModTime(), old)
	}
	if code, _, _ := runCmd(t, "generate", "-check", "--ts", ts, schemaFile); code != 0 {
		t.Errorf("-check on an up-to-date file: exit %d", code)
	}
}

// TestDeterminism: generating twice (in fresh parses) gives the same
// bytes, and the output does not depend on the working directory.
func TestDeterminism(t *testing.T) {
	for _, name := range validSchemas(t) {
		file := abs(t, filepath.Join(testdata, "schemas/valid", name+".sio.yaml"))
		var first []gen.File
		for i := 0; i < 5; i++ {
			s, err := schema.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			files, err := generateAll(s, &schema.Config{
				TS:       &schema.OutConfig{Out: "/x/out/a.ts"},
				AsyncAPI: &schema.OutConfig{Out: "/x/out/a.yaml"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = files
				continue
			}
			for j := range files {
				if !bytes.Equal(files[j].Content, first[j].Content) {
					t.Errorf("%s: run %d of %s differs", name, i, files[j].Path)
				}
			}
		}
	}
}

// TestNameClashes: TypeScript cannot declare some schema names; the
// generator says which and where, and nothing is written.
func TestNameClashes(t *testing.T) {
	src := `siogen: 1
types:
  Ack: string
  number: int32
  ChatClientToServerEvents: string
  await: { fields: { x: string } }
  as: { enum: [a, b] }
namespaces:
  /chat:
    server_to_client: { hi: { payload: Ack } }
`
	s, err := schema.Parse("clash.sio.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tsgen.Source(s, "")
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		"clash.sio.yaml:3:3: the TypeScript name Ack of type Ack collides with the ack envelope type",
		"clash.sio.yaml:4:3: type number is named number",
		// await is reserved at the top level of a module; export type as = …
		// does not parse.
		"clash.sio.yaml:6:3: type await is named await",
		"clash.sio.yaml:7:3: type as is named as",
		"clash.sio.yaml:9:3: the TypeScript name ChatClientToServerEvents of the client-to-server event map of namespace /chat collides with type ChatClientToServerEvents",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	// AsyncAPI has no such limits.
	if _, err := asyncapigen.Document(s, ""); err != nil {
		t.Error(err)
	}
}

// TestGenerateNameClash: a generator's problems are printed like schema
// problems, one per line, and nothing is written.
func TestGenerateNameClash(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("clash.sio.yaml", []byte("siogen: 1\ntypes:\n  Ack: string\n  Binary: string\n"), 0o644)
	code, _, stderr := runCmd(t, "generate", "--ts", "out.ts", "--asyncapi", "out.yaml", "clash.sio.yaml")
	want := "clash.sio.yaml:3:3: the TypeScript name Ack of type Ack collides with the ack envelope type\n" +
		"clash.sio.yaml:4:3: the TypeScript name Binary of type Binary collides with the binary type\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and:\n%s", code, stderr, want)
	}
	if _, err := os.Stat("out.yaml"); err == nil {
		t.Error("wrote the AsyncAPI file although TypeScript failed")
	}
}

// TestCheckRunsGenerators: what the generators refuse, check reports too
// (every generator's problems together), so that a schema that passes
// check generates: with a config, the generators it names; with a schema
// file alone, TypeScript and AsyncAPI.
func TestCheckRunsGenerators(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("clash.sio.yaml", []byte(`siogen: 1
types:
  Ack: { fields: { n: int32 } }
namespaces:
  /p:
    server_to_client:
      join: { payload: Ack }
    client_to_server:
      hello: { payload: string }
`), 0o644)
	os.WriteFile("siogen.yaml", []byte("schema: clash.sio.yaml\ngo: { package: p, out: gen }\nts: { out: p.ts }\n"), 0o644)
	ts := "clash.sio.yaml:3:3: the TypeScript name Ack of type Ack collides with the ack envelope type\n"
	goJoin := `clash.sio.yaml:7:7: server_to_client event "join" becomes the Go method Join, which collides with the Join method of the generated socket or emitter; rename the event` + "\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"config", []string{"check"}, ts + goJoin},
		{"schema file", []string{"check", "clash.sio.yaml"}, ts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			if code != 1 || stdout != tc.want || stderr != "" {
				t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant 1 and:\n%s", code, stdout, stderr, tc.want)
			}
		})
	}
	// generate reports the same, every generator's problems at once.
	if code, _, stderr := runCmd(t, "generate"); code != 1 || stderr != ts+goJoin {
		t.Errorf("generate: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat("gen"); err == nil {
		t.Error("generate wrote the Go package")
	}
}
