package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/schemas")

const testdataDir = "../testdata/schemas"

func globTestdata(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testdataDir, pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	return files
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./schema -update after checking the change):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

// TestInvalidSchemas parses every testdata/schemas/invalid/*.sio.yaml and
// compares the problems with the golden NAME.errors.txt.
func TestInvalidSchemas(t *testing.T) {
	for _, file := range globTestdata(t, "invalid/*.sio.yaml") {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(name, data)
			if err == nil {
				t.Fatalf("Parse accepted an invalid schema (warnings: %v)", s.Warnings)
			}
			if s != nil {
				t.Errorf("Parse returned a schema with an error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, not Problems", err)
			}
			checkSorted(t, ps)
			checkGolden(t, strings.TrimSuffix(file, ".sio.yaml")+".errors.txt", []byte(err.Error()+"\n"))
		})
	}
}

// TestValidSchemas parses every testdata/schemas/valid/*.sio.yaml, checks
// the invariants the generators rely on, and compares the resolved model
// (as JSON) and the warnings with the golden NAME.model.json.
func TestValidSchemas(t *testing.T) {
	for _, file := range globTestdata(t, "valid/*.sio.yaml") {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(name, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkSorted(t, s.Warnings)
			checkInvariants(t, s)
			var warnings []string
			for _, w := range s.Warnings {
				warnings = append(warnings, w.String())
			}
			out, err := json.MarshalIndent(struct {
				Warnings []string `json:"warnings"`
				Schema   *Schema  `json:"schema"`
			}{warnings, s}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".sio.yaml")+".model.json", append(out, '\n'))
		})
	}
}

func checkSorted(t *testing.T, ps Problems) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		if ps[i].Pos.before(ps[i-1].Pos) {
			t.Errorf("problems not sorted: %v before %v", ps[i-1], ps[i])
		}
	}
}

// checkInvariants checks what the resolved model promises generators.
func checkInvariants(t testing.TB, s *Schema) {
	t.Helper()
	var checkType func(where string, ty *Type, top, optionalOK bool)
	checkType = func(where string, ty *Type, top, optionalOK bool) {
		if ty == nil {
			t.Errorf("%s: nil type", where)
			return
		}
		switch ty.Kind {
		case KindPrimitive:
			if !isPrim(string(ty.Prim)) {
				t.Errorf("%s: bad primitive %q", where, ty.Prim)
			}
		case KindNamed:
			if ty.Decl == nil || s.Type(ty.Name) != ty.Decl {
				t.Errorf("%s: reference %s not resolved", where, ty.Name)
			}
		case KindObject, KindEnum:
			if !top {
				t.Errorf("%s: %s outside a named type", where, ty.Kind)
			}
			for _, f := range ty.Fields {
				if !IsGoIdent(f.GoName) {
					t.Errorf("%s.%s: Go name %q", where, f.Name, f.GoName)
				}
				checkType(where+"."+f.Name, f.Type, false, true)
			}
			for _, v := range ty.Values {
				if !IsGoIdent(v.GoName) {
					t.Errorf("%s: enum value Go name %q", where, v.GoName)
				}
			}
		case KindList, KindMap:
			checkType(where+" elem", ty.Elem, false, false)
		case KindOptional:
			if !optionalOK {
				t.Errorf("%s: optional not allowed here", where)
			}
			checkType(where+" elem", ty.Elem, false, false)
		default:
			t.Errorf("%s: bad kind %d", where, ty.Kind)
		}
		if c := ty.Constraints; c != nil && c.Pattern != "" && c.PatternRegexp == nil {
			t.Errorf("%s: pattern not compiled", where)
		}
	}
	for _, nt := range s.AllTypes() {
		if !IsGoIdent(nt.GoName) {
			t.Errorf("type %s: Go name %q", nt.Name, nt.GoName)
		}
		if nt.Type.Kind == KindOptional {
			t.Errorf("type %s is optional", nt.Name)
		}
		checkType("type "+nt.Name, nt.Type, true, false)
	}
	for _, ns := range s.Namespaces {
		if !IsGoIdent(ns.GoName) {
			t.Errorf("namespace %s: Go name %q", ns.Name, ns.GoName)
		}
		if ns.Auth != nil {
			checkType(ns.Name+" auth", ns.Auth, false, false)
			if ns.Auth.Kind != KindNamed || ns.Auth.Underlying().Kind != KindObject {
				t.Errorf("namespace %s: auth is %s", ns.Name, ns.Auth)
			}
		}
		for _, ev := range ns.Events() {
			where := ns.Name + " " + ev.Name
			if !IsGoIdent(ev.GoName) {
				t.Errorf("%s: Go name %q", where, ev.GoName)
			}
			if ev.Payload != nil && ev.Args != nil {
				t.Errorf("%s: both payload and args", where)
			}
			if ev.Payload != nil {
				checkType(where+" payload", ev.Payload, false, true)
			}
			for _, a := range ev.Args {
				checkType(where+" "+a.Name, a.Type, false, true)
			}
			if ev.Ack != nil {
				checkType(where+" ack", ev.Ack, false, true)
			} else if len(ev.Errors) > 0 {
				t.Errorf("%s: errors without ack", where)
			}
		}
	}
	seen := map[string]GoDecl{}
	for _, d := range s.GoDecls() {
		if prev, dup := seen[d.Name]; dup {
			t.Errorf("Go name %s declared twice: %s and %s", d.Name, prev.What, d.What)
		}
		if !IsGoIdent(d.Name) {
			t.Errorf("Go name %q (%s) is not an identifier", d.Name, d.What)
		}
		seen[d.Name] = d
	}
}
