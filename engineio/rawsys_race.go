//go:build race

package engineio

import (
	"syscall"
	"unsafe"
)

// rawSyscalls tells the tests that rawRead and rawWritev are regular calls.
const rawSyscalls = false

// Under the race detector the calls of rawsys.go are the syscall package's,
// whose annotations it needs.

func rawRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

func rawWritev(fd uintptr, iov []syscall.Iovec) (int, syscall.Errno) {
	n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	return int(n), e
}
