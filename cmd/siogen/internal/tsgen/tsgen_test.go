package tsgen

import (
	"strings"
	"testing"

	"github.com/siogen/siogen/schema"
)

// TestStringLiterals: enum values, field names and event names become
// JavaScript string literals that mean the same string. Go's quoting
// does not: JavaScript reads Go's "\a" as "a" and "\U000f0000" as
// "U000f0000".
func TestStringLiterals(t *testing.T) {
	s, err := schema.Parse("q.sio.yaml", []byte(`siogen: 1
types:
  E: { enum: ["bel\ax", "pua\U000F0000x", "nul\0x", "q\"\\"] }
  O: { fields: { "f\ag": string } }
namespaces:
  /c:
    client_to_server:
      "ev\ax": { payload: O }
`))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Source(s, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`export type E = "bel\u0007x" | "pua\udb80\udc00x" | "nul\u0000x" | "q\"\\";`,
		`  "f\u0007g": string;`,
		`  "ev\u0007x": (payload: O) => void;`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the TypeScript lacks %s", want)
		}
	}
}
