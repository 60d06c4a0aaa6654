package engineio

import (
	"context"
	"net"
	"strings"
)

// Listen announces on a local network address, as net.Listen does ("tcp",
// ":3000"), for a Listener to accept from:
//
//	ln, err := engineio.Listen("tcp", ":3000")
//	...
//	err = http.Serve(srv.Listener(ln), mux)
//
// Its TCP connections have the keep-alive that net.Listen's have (Go's
// defaults: probes after 15 s idle, every 15 s, 9 of them), but on Linux
// they inherit it from the listening socket, where net.Listen's listener
// sets it on each connection it accepts: four setsockopt(2)s, a few per
// cent of what a WebSocket connect costs the server. Elsewhere, and for
// networks other than TCP, it is net.Listen.
func Listen(network, address string) (net.Listener, error) {
	lc := net.ListenConfig{}
	if strings.HasPrefix(network, "tcp") {
		lc = inheritedKeepAlive()
	}
	return lc.Listen(context.Background(), network, address)
}
