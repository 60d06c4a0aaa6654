// Package generated holds the Go packages siogen generates from the valid
// test schemas (testdata/schemas/valid), compiled and tested with the rest
// of the module. Regenerate them with:
//
//	go generate ./generated
package generated

//go:generate go run ../cmd/siogen generate -config chat/siogen.yaml
//go:generate go run ../cmd/siogen generate -config events/siogen.yaml
//go:generate go run ../cmd/siogen generate -config types/siogen.yaml
