//go:build !linux

package engineio

import (
	"net"
	"time"
)

// deferAccept does nothing here: TCP_DEFER_ACCEPT is Linux's (see
// deferaccept_linux.go).
func deferAccept(net.Listener, time.Duration) {}
