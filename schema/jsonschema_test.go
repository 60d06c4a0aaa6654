package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// miniValidator checks a value against the subset of JSON Schema 2020-12
// that siogen.schema.json uses. It exists only to test that file (the
// module takes no JSON Schema dependency); an unsupported keyword fails.
type miniValidator struct {
	root map[string]any
}

var supportedKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "format": true,
	"type": true, "const": true, "enum": true, "properties": true, "patternProperties": true,
	"additionalProperties": true, "propertyNames": true, "required": true, "anyOf": true, "oneOf": true,
	"not": true, "$ref": true, "items": true, "minItems": true, "uniqueItems": true, "minProperties": true,
	"pattern": true, "minimum": true, "minLength": true, "dependentRequired": true,
}

func (v *miniValidator) validate(s any, x any, path string) []string {
	switch s := s.(type) {
	case bool:
		if !s {
			return []string{path + ": false schema"}
		}
		return nil
	case map[string]any:
		return v.validateObj(s, x, path)
	}
	return []string{path + ": bad schema"}
}

func jsonType(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func (v *miniValidator) validateObj(s map[string]any, x any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for k := range s {
		if !supportedKeywords[k] {
			fail("unsupported keyword %s", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, ok := v.root["$defs"].(map[string]any)[name]
		if !ok {
			fail("unknown $ref %s", ref)
		} else {
			errs = append(errs, v.validate(def, x, path)...)
		}
	}
	if t, ok := s["type"]; ok {
		types := []any{t}
		if ts, ok := t.([]any); ok {
			types = ts
		}
		jt, match := jsonType(x), false
		for _, t := range types {
			match = match || t == jt || (t == "number" && jt == "integer")
		}
		if !match {
			fail("is %s, want %v", jt, t)
			return errs
		}
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, x) {
		fail("is %v, want %v", x, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, c := range e {
			found = found || reflect.DeepEqual(c, x)
		}
		if !found {
			fail("%v is not one of %v", x, e)
		}
	}
	if str, ok := x.(string); ok {
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
		if m, ok := s["minLength"].(float64); ok && float64(len([]rune(str))) < m {
			fail("%q is shorter than %v", str, m)
		}
	}
	if n, ok := x.(float64); ok {
		if m, ok := s["minimum"].(float64); ok && n < m {
			fail("%v is less than %v", n, m)
		}
	}
	if arr, ok := x.([]any); ok {
		if m, ok := s["minItems"].(float64); ok && float64(len(arr)) < m {
			fail("fewer than %v items", m)
		}
		if u, _ := s["uniqueItems"].(bool); u {
			for i := range arr {
				for j := i + 1; j < len(arr); j++ {
					if reflect.DeepEqual(arr[i], arr[j]) {
						fail("items %d and %d are equal", i, j)
					}
				}
			}
		}
		if it, ok := s["items"]; ok {
			for i, e := range arr {
				errs = append(errs, v.validate(it, e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	if obj, ok := x.(map[string]any); ok {
		if m, ok := s["minProperties"].(float64); ok && float64(len(obj)) < m {
			fail("fewer than %v properties", m)
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					fail("missing %s", r)
				}
			}
		}
		if dr, ok := s["dependentRequired"].(map[string]any); ok {
			for k, req := range dr {
				if _, ok := obj[k]; ok {
					for _, r := range req.([]any) {
						if _, ok := obj[r.(string)]; !ok {
							fail("%s needs %s", k, r)
						}
					}
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		pats, _ := s["patternProperties"].(map[string]any)
		for _, k := range sortedKeys(obj) {
			val, p := obj[k], path+"."+k
			if pn, ok := s["propertyNames"]; ok {
				errs = append(errs, v.validate(pn, k, p+" (name)")...)
			}
			matched := false
			if ps, ok := props[k]; ok {
				matched = true
				errs = append(errs, v.validate(ps, val, p)...)
			}
			for pat, ps := range pats {
				if regexp.MustCompile(pat).MatchString(k) {
					matched = true
					errs = append(errs, v.validate(ps, val, p)...)
				}
			}
			if ap, ok := s["additionalProperties"]; ok && !matched {
				errs = append(errs, v.validate(ap, val, p)...)
			}
		}
	}
	count := func(list []any) int {
		n := 0
		for _, sub := range list {
			if len(v.validate(sub, x, path)) == 0 {
				n++
			}
		}
		return n
	}
	if l, ok := s["anyOf"].([]any); ok && count(l) == 0 {
		fail("matches none of anyOf")
		// Show why, for the first alternative that is an object.
		for _, sub := range l {
			if e := v.validate(sub, x, path); len(e) > 0 {
				errs = append(errs, e...)
			}
		}
	}
	if l, ok := s["oneOf"].([]any); ok && count(l) != 1 {
		fail("matches %d of oneOf", count(l))
	}
	if n, ok := s["not"]; ok && len(v.validate(n, x, path)) == 0 {
		fail("matches not")
	}
	return errs
}

// toJSON converts a YAML document into the values encoding/json produces.
func toJSON(t *testing.T, data []byte) any {
	t.Helper()
	var y any
	if err := yaml.Unmarshal(data, &y); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(stringKeys(y))
	if err != nil {
		t.Fatal(err)
	}
	var j any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// stringKeys turns the mappings yaml.v3 decodes with non-string keys
// (x-status: { 200: ok }) into JSON objects, as a YAML editor does.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = stringKeys(e)
		}
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = stringKeys(e)
		}
	}
	return v
}

func loadJSONSchema(t *testing.T) *miniValidator {
	var root map[string]any
	if err := json.Unmarshal(JSONSchema, &root); err != nil {
		t.Fatalf("siogen.schema.json is not valid JSON: %v", err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", root["$schema"])
	}
	return &miniValidator{root: root}
}

// TestJSONSchemaKeys checks that the JSON Schema and the loader accept the
// same keys in every fixed-key mapping.
func TestJSONSchemaKeys(t *testing.T) {
	v := loadJSONSchema(t)
	defs := v.root["$defs"].(map[string]any)
	keysOf := func(s any) []string {
		props := s.(map[string]any)["properties"].(map[string]any)
		return sortedKeys(props)
	}
	mapping := func(def string) any { // the object alternative of a spec
		return defs[def].(map[string]any)["anyOf"].([]any)[1]
	}
	withConstraints := func(ks ...string) []string { return append(ks, constraintKeys...) }
	for _, c := range []struct {
		name   string
		schema any
		loader []string
	}{
		{"top", v.root, topKeys},
		{"info", defs["info"], []string{"title", "version", "doc"}},
		{"namespace", defs["namespace"], []string{"doc", "deprecated", "auth", "client_to_server", "server_to_client"}},
		{"event", defs["event"], []string{"doc", "deprecated", "payload", "args", "ack", "errors"}},
		{"declSpec", mapping("declSpec"), withConstraints("type", "fields", "enum", "doc", "deprecated")},
		{"fieldSpec", mapping("fieldSpec"), withConstraints("type", "fields", "enum", "doc", "deprecated")},
		{"useSpec", mapping("useSpec"), withConstraints("type", "fields", "enum", "doc")},
		{"argSpec", mapping("argSpec"), withConstraints("type", "fields", "enum", "doc", "name")},
	} {
		got := keysOf(c.schema)
		want := append([]string(nil), c.loader...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: JSON Schema keys %v, loader keys %v", c.name, got, want)
		}
	}
}

// TestJSONSchemaValid checks that the JSON Schema accepts every valid
// testdata schema and rejects the structurally invalid ones.
func TestJSONSchemaValid(t *testing.T) {
	v := loadJSONSchema(t)
	for _, file := range globTestdata(t, "valid/*.sio.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if errs := v.validate(map[string]any(v.root), toJSON(t, data), "$"); len(errs) > 0 {
			t.Errorf("%s: JSON Schema rejects a valid schema:\n%s", filepath.Base(file), strings.Join(errs, "\n"))
		}
	}
	for _, name := range []string{"unknown_keys", "reserved_events", "version", "missing_version", "errors", "not_a_mapping"} {
		data, err := os.ReadFile(filepath.Join(testdataDir, "invalid", name+".sio.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if errs := v.validate(map[string]any(v.root), toJSON(t, data), "$"); len(errs) == 0 {
			t.Errorf("%s: JSON Schema accepts an invalid schema", name)
		}
	}
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
