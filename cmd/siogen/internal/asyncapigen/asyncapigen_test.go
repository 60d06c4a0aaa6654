package asyncapigen

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/siogen/siogen/schema"
)

// idPattern is what AsyncAPI 3.0 allows as a component key.
var idPattern = regexp.MustCompile(`^[a-zA-Z0-9.\-_]+$`)

// checkIDs fails unless every key of the document's channels, their
// messages, operations and component schemas matches idPattern, and every
// local $ref points at something in the document.
func checkIDs(t *testing.T, doc []byte) {
	t.Helper()
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	keys := func(v any, where string) map[string]any {
		m, _ := v.(map[string]any)
		for k := range m {
			if !idPattern.MatchString(k) {
				t.Errorf("%s: key %q is not an AsyncAPI id", where, k)
			}
		}
		return m
	}
	for name, ch := range keys(root["channels"], "channels") {
		keys(ch.(map[string]any)["messages"], "channels."+name+".messages")
	}
	keys(root["operations"], "operations")
	keys(root["components"].(map[string]any)["schemas"], "components.schemas")
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
				var at any = root
				for _, seg := range strings.Split(ref[2:], "/") {
					m, _ := at.(map[string]any)
					if at = m[seg]; at == nil {
						t.Errorf("$ref %s points at nothing", ref)
						break
					}
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(root)
}

// Event names in other alphabets make Go names that AsyncAPI does not take
// as ids: they are escaped, in the keys and in the references to them.
func TestIDsOfNonASCIINames(t *testing.T) {
	s, err := schema.Parse("x.sio.yaml", []byte(`siogen: 1
types:
  Point: { fields: { x: int32 } }
namespaces:
  /cafe:
    client_to_server:
      grüßen: { payload: { fields: { wer: string } }, ack: { fields: { ok: bool } } }
      привет: { payload: Point }
    server_to_client:
      αντίο: { args: [string, { fields: { n: int32 } }] }
`))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Document(s, "x.sio.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkIDs(t, doc)
	for _, want := range []string{"clientGr_u00fc_u00dfen:", "CafeGr_u00fc_u00dfenPayload:", "name: grüßen"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("no %q in\n%s", want, doc)
		}
	}
}

// The golden documents' ids are AsyncAPI ids and their references resolve.
func TestGoldenIDs(t *testing.T) {
	files, _ := filepath.Glob("../../../../testdata/golden/*/*.asyncapi.yaml")
	if len(files) == 0 {
		t.Fatal("no golden AsyncAPI documents")
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, doc)
	}
}
