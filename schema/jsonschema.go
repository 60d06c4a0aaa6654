package schema

import _ "embed"

// JSONSchema is a JSON Schema (draft 2020-12) describing the schema file
// format, for editors: point the YAML language server at it (for example
// with a `# yaml-language-server: $schema=…` comment) to get validation and
// completion. It checks structure and names; the loader remains the
// authority (types, references, cycles, Go names).
//
//go:embed siogen.schema.json
var JSONSchema []byte
