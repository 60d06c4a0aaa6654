// Package engineio implements the Engine.IO v4 protocol.
package engineio
