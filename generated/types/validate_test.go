package types

import (
	"errors"
	"strings"
	"testing"

	"github.com/siogen/siogen/generated/internal/ext"
	"github.com/siogen/siogen/runtime/socketio"
)

// The generated Validate methods enforce every constraint of
// types.sio.yaml, at and around its bounds, with the path of the failing
// value.
func TestGeneratedValidate(t *testing.T) {
	str := func(s string) *string { return &s }
	with := func(f func(*Everything)) *Everything {
		e := everything()
		e.Ratio = 0.25
		f(e)
		return e
	}
	labels := func(n int) Labels {
		m := Labels{}
		for i := range n {
			m[strings.Repeat("k", i+1)] = "v"
		}
		return m
	}
	tests := []struct {
		name string
		v    interface{ Validate() error }
		want string // the error's text; "" for valid
	}{
		{"percent min", Percent(0), ""},
		{"percent max", Percent(100), ""},
		{"percent below", Percent(-0.5), "value is -0.5, less than minimum 0"},
		{"percent above", Percent(100.25), "value is 100.25, more than maximum 100"},
		{"port", Port(443), ""},
		{"port zero", Port(0), "value is 0, less than minimum 1"},
		{"port above", Port(65536), "value is 65536, more than maximum 65535"},
		{"counter", Counter(0), ""},
		{"counter negative", Counter(-1), "value is -1, less than minimum 0"},
		{"avatar", Avatar(make([]byte, 1<<20)), ""},
		{"avatar too long", Avatar(make([]byte, 1<<20+1)), "value has 1048577 bytes, more than maxLength 1048576"},
		{"tags", Tags{"a", "b-c"}, ""},
		{"tags too many", make(Tags, 17), "value has 17 items, more than maxItems 16"},
		// Slug is bound to ext.Slug, whose own Validate returns a plain error.
		{"tags bad element", Tags{"a", "b", "Not A Slug"}, "[2] is invalid: not a slug"},
		{"labels", labels(64), ""},
		{"labels too many", labels(65), "value has 65 items, more than maxItems 64"},
		{"color", ColorDarkBlue, ""},
		{"color unknown", Color("blue"), `value is "blue", not one of "red", "green", "dark-blue"`},
		{"shape unknown", Shape(""), `value is "", not one of "circle", "square"`},
		{"everything", with(func(*Everything) {}), ""},
		{"everything bounds", with(func(e *Everything) { e.Count, e.Ratio = -5, 0.5 }), ""},
		{"count above", with(func(e *Everything) { e.Count = 6 }), "count is 6, more than maximum 5"},
		{"count below", with(func(e *Everything) { e.Count = -6 }), "count is -6, less than minimum -5"},
		{"ratio above", with(func(e *Everything) { e.Ratio = 0.75 }), "ratio is 0.75, more than maximum 0.5"},
		{"ratio below", with(func(e *Everything) { e.Ratio = -0.75 }), "ratio is -0.75, less than minimum -0.5"},
		{"optList absent", with(func(e *Everything) { e.OptList = nil }), ""},
		{"optList too long", with(func(e *Everything) { e.OptList = []string{"a", "b", "c", "d"} }), "optList has 4 items, more than maxItems 3"},
		{"optStr absent", with(func(e *Everything) { e.OptStr = nil }), ""},
		{"optStr", with(func(e *Everything) { e.OptStr = str("Ab") }), ""},
		{"optStr too short", with(func(e *Everything) { e.OptStr = str("A") }), "optStr has 1 character, fewer than minLength 2"},
		{"optStr too long", with(func(e *Everything) { e.OptStr = str("Abcdef") }), "optStr has 6 characters, more than maxLength 5"},
		{"optStr pattern", with(func(e *Everything) { e.OptStr = str("abc") }), "optStr does not match the pattern ^[A-Z]"},
		{"mood", with(func(e *Everything) { e.Mood = "meh" }), `mood is "meh", not one of "happy", "sad"`},
		{"named", with(func(e *Everything) { e.Named = "-" }), "named is invalid: not a slug"},
		{"nil", (*Everything)(nil), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *socketio.ValidationError
			if !errors.As(err, &ve) || err.Error() != tc.want {
				t.Fatalf("Validate() = %#v (%v), want a *socketio.ValidationError %q", err, err, tc.want)
			}
		})
	}
	// The bound type's own error is still there for errors.Is/As.
	err := Tags{"Bad"}.Validate()
	if want := (ext.Slug("Bad")).Validate(); err == nil || errors.Unwrap(err) == nil || errors.Unwrap(err).Error() != want.Error() {
		t.Fatalf("Tags{Bad}.Validate() = %#v, want it to wrap %v", err, want)
	}
}
