//go:build !linux

package engineio

import "net"

// inheritedKeepAlive returns net.Listen's ListenConfig: whether accepted
// connections inherit the listening socket's keep-alive settings is
// Linux's behaviour, not relied on elsewhere (see listen_linux.go).
func inheritedKeepAlive() net.ListenConfig { return net.ListenConfig{} }
