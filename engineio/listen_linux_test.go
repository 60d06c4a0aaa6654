package engineio

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// A connection accepted through Listen's listener has the keep-alive
// settings of one accepted by net.Listen's (inherited from the listening
// socket instead of set after accept).
func TestListenKeepAlive(t *testing.T) {
	std, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer std.Close()
	ln, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ours := NewListener(ln)
	defer ours.Close()

	want := keepAliveOf(t, std)
	if want[0] == 0 {
		t.Fatalf("net.Listen's connection has no keep-alive: %v", want)
	}
	if got := keepAliveOf(t, ours); got != want {
		t.Fatalf("Listen's connection: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = %v, net.Listen's %v", got, want)
	}
}

// keepAliveOf dials ln, sends a request head that no Engine.IO server
// takes, accepts the connection and returns its SO_KEEPALIVE,
// TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT.
func keepAliveOf(t *testing.T, ln net.Listener) (v [4]int) {
	t.Helper()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p, ok := c.(*prefixConn); ok {
		c = p.Conn
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var gerr error
	err = rc.Control(func(fd uintptr) {
		for i, o := range [...][2]int{
			{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT},
		} {
			if gerr == nil {
				v[i], gerr = syscall.GetsockoptInt(int(fd), o[0], o[1])
			}
		}
	})
	if err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	return v
}
