//go:build unix

package engineio

import (
	"net"
	"syscall"
	"unsafe"
)

// plainSocket returns c's syscall.Conn when its reads and writes may be
// made as system calls of its descriptor (wsconn.go): on Unix, any
// syscall.Conn.
func plainSocket(c net.Conn) (syscall.Conn, bool) {
	sc, ok := c.(syscall.Conn)
	return sc, ok
}

// iovec is writev(2)'s element.
type iovec = syscall.Iovec

// newIovec is the iovec of b, which is not empty.
func newIovec(b []byte) iovec {
	v := syscall.Iovec{Base: &b[0]}
	v.SetLen(len(b))
	return v
}

// sysRead is read(2) of fd, a socket Go's poller serves.
func sysRead(fd uintptr, p []byte) (int, error) {
	if syscalls.quiet() {
		return regularRead(fd, p)
	}
	return rawRead(fd, p)
}

// sysWritev is writev(2) of fd, a socket Go's poller serves.
func sysWritev(fd uintptr, iov []iovec) (int, syscall.Errno) {
	if syscalls.quiet() {
		return regularWritev(fd, iov)
	}
	return rawWritev(fd, iov)
}

// regularRead and regularWritev are read(2) and writev(2) through the
// runtime's system-call entry and exit.

func regularRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

func regularWritev(fd uintptr, iov []iovec) (int, syscall.Errno) {
	n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	return int(n), e
}
