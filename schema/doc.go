// Package schema loads, validates and resolves siogen schema files
// (*.sio.yaml) and the Go-only configuration file siogen.yaml.
//
// A schema is read by walking gopkg.in/yaml.v3 nodes, so every problem
// carries the file, line and column where it was found. All problems are
// collected (loading does not stop at the first one) and reported sorted by
// position, one per line, as
//
//	file:line:col: message
//	file:line:col: warning: message
//
// The result of a successful [Parse] or [Load] is a resolved [Schema]: named
// types, error codes and namespaces in the order they were written, every
// type reference resolved to its declaration, every inline object or enum
// given a deterministic generated name, and every Go identifier the
// generators need computed and checked for collisions. Code generators read
// only this model.
//
// The language itself is specified in docs/schema.md; siogen.schema.json (see
// [JSONSchema]) describes the file format for editors.
package schema
