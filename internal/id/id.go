// Package id makes the unguessable ids of sessions and sockets.
package id

import (
	"crypto/rand"
	"encoding/base64"
)

// New returns 15 random bytes from crypto/rand as 20 URL-safe base64
// characters: the length and alphabet of Node's base64id.
func New() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
