package schema

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics or hangs, that it returns
// either a schema or sorted Problems, and that an accepted schema keeps
// the model's invariants.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"valid/*.sio.yaml", "invalid/*.sio.yaml"} {
		files, _ := filepath.Glob(filepath.Join(testdataDir, pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("siogen: 1\ntypes:\n  T: &x { fields: { a: *x } }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.sio.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("schema and error")
			}
			var ps Problems
			if !errors.As(err, &ps) || !ps.HasErrors() {
				t.Fatalf("error %v is not Problems with an error", err)
			}
			checkSorted(t, ps)
			return
		}
		checkInvariants(t, s)
	})
}

func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "config", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("siogen.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v, error %v", c, err)
		}
	})
}
