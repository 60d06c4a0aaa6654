package socketio

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// A ValidationError says why a value does not satisfy its schema: Path
// locates the value ("author.name", "files[2]", "argument 2"), Reason says
// what is wrong ("has 81 characters, more than maxLength 80").
type ValidationError struct {
	Path   string
	Reason string
	// Err is the error a bound type's Validate returned, when it was not a
	// *ValidationError (see [At]); nil otherwise.
	Err error
}

// Error returns "Path Reason", or "value Reason" at the top.
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return "value " + e.Reason
	}
	return e.Path + " " + e.Reason
}

// Unwrap returns Err.
func (e *ValidationError) Unwrap() error { return e.Err }

// Invalidf returns a ValidationError at the top of a value.
func Invalidf(format string, args ...any) error {
	return &ValidationError{Reason: fmt.Sprintf(format, args...)}
}

// At puts err (from validating a part of a value) under the path elem: a
// field name ("author"), an index ("[2]", see [AtIndex]) or an argument
// name. Another error than a *ValidationError (from the Validate method of
// a type bound with go.bindings) becomes one at elem whose Reason is
// "is invalid: " and its text, and whose Err is err: the path is not lost,
// and errors.Is and errors.As still find err.
func At(elem string, err error) error {
	if err == nil || elem == "" {
		return err
	}
	ve, ok := err.(*ValidationError)
	if !ok {
		return &ValidationError{Path: elem, Reason: "is invalid: " + err.Error(), Err: err}
	}
	p := elem
	switch {
	case ve.Path == "":
	case ve.Path[0] == '[':
		p += ve.Path
	default:
		p += "." + ve.Path
	}
	return &ValidationError{Path: p, Reason: ve.Reason, Err: ve.Err}
}

// AtIndex is At for a list element.
func AtIndex(i int, err error) error { return At("["+strconv.Itoa(i)+"]", err) }

// AtKey is At for a map entry.
func AtKey(k string, err error) error { return At("["+strconv.Quote(k)+"]", err) }

// CheckLength checks the length of a string in Unicode code points (as
// the schema's minLength and maxLength count; JavaScript's length counts
// UTF-16 units, which differs only outside the Basic Multilingual Plane).
// A negative bound is absent.
func CheckLength[S ~string](s S, min, max int) error {
	n := utf8.RuneCountInString(string(s))
	return checkLen(n, min, max, "character")
}

// CheckBytes checks the length of binary data in bytes.
func CheckBytes[B ~[]byte](b B, min, max int) error {
	return checkLen(len(b), min, max, "byte")
}

func checkLen(n, min, max int, unit string) error {
	if min >= 0 && n < min {
		return Invalidf("has %s, fewer than minLength %d", count(n, unit), min)
	}
	if max >= 0 && n > max {
		return Invalidf("has %s, more than maxLength %d", count(n, unit), max)
	}
	return nil
}

// count returns "1 item", "2 items".
func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// CheckPattern checks that re matches somewhere in s (unanchored, as the
// schema's pattern).
func CheckPattern[S ~string](s S, re *regexp.Regexp) error {
	if !re.MatchString(string(s)) {
		return Invalidf("does not match the pattern %s", re)
	}
	return nil
}

// Number is the constraint of the schema's numeric types.
type Number interface{ ~int32 | ~int64 | ~float64 }

// CheckMin checks v >= min.
func CheckMin[N Number](v, min N) error {
	if v < min {
		return Invalidf("is %v, less than minimum %v", v, min)
	}
	return nil
}

// CheckMax checks v <= max.
func CheckMax[N Number](v, max N) error {
	if v > max {
		return Invalidf("is %v, more than maximum %v", v, max)
	}
	return nil
}

// CheckItems checks the number of elements of a list or entries of a map.
func CheckItems(n, max int) error {
	if n > max {
		return Invalidf("has %s, more than maxItems %d", count(n, "item"), max)
	}
	return nil
}

// InvalidAck is the error of an ack whose data failed validation on the
// receiving side: an internal AckError wrapping the ValidationError.
func InvalidAck(err error) error {
	return &AckError{Code: CodeInternal, Message: "invalid ack data: " + err.Error(), cause: err}
}

// ValidateValue calls v's Validate method when it has one (for Go types
// bound to schema types, which siogen does not generate); otherwise it
// returns nil.
func ValidateValue(v any) error {
	if x, ok := v.(interface{ Validate() error }); ok {
		return x.Validate()
	}
	return nil
}
