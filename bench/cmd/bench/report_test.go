package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A report says what its run was measured with (results.Env), not what the
// tree and the machine are when it is written again (-from); without Env it
// says that it was not recorded.
func TestReportEnv(t *testing.T) {
	env := &runEnv{"the machine", "the pinning", "abc1234 (this tree), Go 1.0", "the node", "the alternatives", "the floors"}
	for _, tc := range []struct {
		env  *runEnv
		want []string
	}{
		{env, []string{"| machine | the machine |", "| pinning | the pinning |", "| siogen | abc1234 (this tree), Go 1.0 |",
			"| Node | the node |", "| Go alternatives | the alternatives |", "| floors | the floors |"}},
		{nil, []string{"| siogen | not recorded in results.json |", "| machine | not recorded in results.json |"}},
	} {
		path := filepath.Join(t.TempDir(), "RESULTS.md")
		res := &results{Rounds: 1, Data: map[string]map[string][]metrics{}, Env: tc.env}
		if err := writeReport(res, nil, nil, nil, path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("env %v: no line %q in\n%s", tc.env, w, b)
			}
		}
	}
}
