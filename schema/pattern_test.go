package schema

import "testing"

// TestJSIncompatible: RE2 syntax that JavaScript's RegExp reads
// differently is described; what both read alike is not.
func TestJSIncompatible(t *testing.T) {
	for re, want := range map[string]bool{
		`(?i)abc`:         true,
		`\Aabc\z`:         true,
		`\Q.\E`:           true,
		`(?P<n>x)`:        true,
		`[[:alpha:]]`:     true,
		`[a[:digit:]]`:    true,
		`\pL`:             true,
		`\PL`:             true,
		`\p{Greek}`:       true,
		`\x{41}`:          true,
		`[]a]`:            true,
		`[^]a]`:           true,
		`^[a-z0-9]+$`:     false,
		`(?<n>x)`:         false,
		`(?:x)`:           false,
		`\\p`:             false,
		`\x41`:            false,
		`[a[]`:            false,
		`[\]]`:            false,
		`[a\]]`:           false,
		`\[]`:             false,
		`[(?i)]`:          false,
		`[\\]\pL`:         true,
		`a{2}[x]\d\w\s\.`: false,
	} {
		if got := jsIncompatible(re) != ""; got != want {
			t.Errorf("jsIncompatible(%q) = %q, want a description: %v", re, jsIncompatible(re), want)
		}
	}
}
