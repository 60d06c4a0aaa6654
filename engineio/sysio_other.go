//go:build !unix

package engineio

import (
	"net"
	"syscall"
)

// Elsewhere (Windows) no socket is plain: the Listener passes every
// connection on to net/http and WebSockets are read and written through
// github.com/coder/websocket, so none of the calls below is made.

// plainSocket is false: see above.
func plainSocket(net.Conn) (syscall.Conn, bool) { return nil, false }

// rawSyscalls tells the tests that there are no raw calls.
const rawSyscalls = false

// iovec stands for writev(2)'s element, which is not used here.
type iovec struct{}

func newIovec([]byte) iovec { return iovec{} }

func sysRead(uintptr, []byte) (int, error) { return 0, syscall.EINVAL }

func sysWritev(uintptr, []iovec) (int, syscall.Errno) { return 0, syscall.EINVAL }
