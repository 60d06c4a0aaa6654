//go:build unix && !race

package engineio

import (
	"syscall"
	"unsafe"
)

// rawSyscalls tells the tests that rawRead and rawWritev are raw.
const rawSyscalls = true

// rawRead and rawWritev are read(2) and writev(2) without the runtime's
// system-call entry and exit: see sysio.go. (Under the race detector,
// rawsys_race.go makes them regular calls, which it knows.)

func rawRead(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func rawWritev(fd uintptr, iov []iovec) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	return int(n), e
}
