package engineio

import (
	"net"
	"syscall"
)

// Go's keep-alive defaults for the connections a net.Listen listener
// accepts (net.KeepAliveConfig).
const (
	keepAliveIdle     = 15 // seconds
	keepAliveInterval = 15 // seconds
	keepAliveCount    = 9
)

// inheritedKeepAlive returns a ListenConfig whose listener leaves the
// accepted connections' keep-alive alone and sets Go's defaults on the
// listening socket instead, which Linux copies to every connection it
// accepts.
func inheritedKeepAlive() net.ListenConfig {
	return net.ListenConfig{
		KeepAlive: -1,
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				for _, o := range [...]struct{ level, opt, v int }{
					{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, keepAliveIdle},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, keepAliveInterval},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, keepAliveCount},
				} {
					if serr == nil {
						serr = syscall.SetsockoptInt(int(fd), o.level, o.opt, o.v)
					}
				}
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
}
