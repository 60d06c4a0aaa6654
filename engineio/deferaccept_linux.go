package engineio

import (
	"net"
	"syscall"
	"time"
)

// deferAccept sets TCP_DEFER_ACCEPT on ln when it is a TCP socket: the
// kernel then completes an accept only once the peer's first bytes have
// come, so that the connection's first read finds its request instead of
// waiting for it (one wake-up and one read fewer per connection; a
// connection that never speaks costs no goroutine). The kernel holds a
// silent connection for about wait, then hands it over all the same. Any
// error leaves ln as it was: the listener works the same without it.
func deferAccept(ln net.Listener, wait time.Duration) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, int(wait/time.Second))
	})
}
