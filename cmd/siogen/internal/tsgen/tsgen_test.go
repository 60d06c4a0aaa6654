package tsgen

import (
	"strings"
	"testing"

	"github.com/siogen/siogen/schema"
)

// TestStringLiterals: enum values and event names become JavaScript
// string literals that mean the same string. Go's quoting
// does not: JavaScript reads Go's "\a" as "a" and "\U000f0000" as
// "U000f0000".
func TestStringLiterals(t *testing.T) {
	s, err := schema.Parse("q.sio.yaml", []byte(`siogen: 1
types:
  E: { enum: ["bel\ax", "pua\U000F0000x", "nul\0x", "q\"\\"] }
  O: { fields: { f: string } }
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
		`  "ev\u0007x": (payload: O) => void;`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the TypeScript lacks %s", want)
		}
	}
}

// TestHeaderCommentInjection: the title, version and doc of info are
// written as // comments; JavaScript ends a line at \r, U+2028 and U+2029
// too, so each of them must start a new comment line, or the rest of
// the text is code.
func TestHeaderCommentInjection(t *testing.T) {
	s, err := schema.Parse("inj.sio.yaml", []byte(`siogen: 1
info:
  title: "T\rexport const pwn1 = 1;"
  version: "1\u2028export const pwn2 = 1;"
  doc: "d\r\nok\rexport const pwn3 = 1;\u2029export const pwn4 = 1;"
`))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Source(s, "")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.FieldsFunc(string(src), func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
	})
	for _, l := range lines {
		if strings.Contains(l, "pwn") && !strings.HasPrefix(l, "// ") {
			t.Errorf("a line of code from the info: %q", l)
		}
	}
}

// TestNamespaceHelperParams: the parameters of a dynamic namespace's
// helper function do not hide what its body uses (the loop variable v,
// JSON.stringify, new Error) and are not eval or arguments (which a
// module, strict code, may not declare), which tsc --strict refused.
func TestNamespaceHelperParams(t *testing.T) {
	s, err := schema.Parse("d.sio.yaml", []byte("siogen: 1\nnamespaces:\n  /d/{v}/{JSON}/{Error}/{id}/{eval}/{arguments}: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Source(s, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export function dNamespace(v_: string, JSON_: string, Error_: string, id: string, eval_: string, arguments_: string): string {",
		"  for (const v of [v_, JSON_, Error_, id, eval_, arguments_]) {",
		"  return `/d/${v_}/${JSON_}/${Error_}/${id}/${eval_}/${arguments_}`;",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the TypeScript lacks %s:\n%s", want, src)
		}
	}
}
