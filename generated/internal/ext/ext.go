// Package ext holds hand-written Go types that generated packages bind
// schema types to (go.bindings in siogen.yaml), for tests of bindings.
package ext

import (
	"errors"
	"regexp"
)

// Slug is bound to the schema type Slug of types.sio.yaml.
type Slug string

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks the slug as the schema does.
func (s Slug) Validate() error {
	if len(s) < 1 || len(s) > 40 || !slugRE.MatchString(string(s)) {
		return errors.New("not a slug")
	}
	return nil
}
