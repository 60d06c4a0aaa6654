//go:build unix && race

package engineio

import "syscall"

// rawSyscalls tells the tests that rawRead and rawWritev are regular calls.
const rawSyscalls = false

// Under the race detector the calls of rawsys.go are regular ones (sysio.go),
// through the syscall package, whose annotations it needs.

func rawRead(fd uintptr, p []byte) (int, error) { return regularRead(fd, p) }

func rawWritev(fd uintptr, iov []iovec) (int, syscall.Errno) { return regularWritev(fd, iov) }
