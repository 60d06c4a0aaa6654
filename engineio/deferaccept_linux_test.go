package engineio

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// On a TCP listener, NewListener sets TCP_DEFER_ACCEPT: a connection that
// has sent nothing is not handed over (so not held), one that speaks is
// served, and the silent one too once it speaks.
func TestListenerDefersAccept(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ls := startListenerOn(t, ln, map[string]*Server{"/a/": echoServer(calmOptions())})

	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var secs int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		secs, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if secs < int(headTimeout/time.Second) {
		t.Fatalf("TCP_DEFER_ACCEPT is %d s, want at least %v", secs, headTimeout)
	}

	silent, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// A connection that speaks after it is served: the silent one, dialled
	// first, would have been accepted before it.
	if res, body := send(t, ls.addr, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n"); res.StatusCode != 200 || body != "other" {
		t.Fatalf("a speaking connection: %d %q", res.StatusCode, body)
	}
	time.Sleep(50 * time.Millisecond)
	ls.l.mu.Lock()
	held := len(ls.l.held)
	ls.l.mu.Unlock()
	if held != 0 {
		t.Fatalf("%d connections held: the silent one was accepted", held)
	}

	_ = silent.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(silent, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, err := http.ReadResponse(bufio.NewReader(silent), nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("the silent connection, once it speaks: %v, %v", res, err)
	}
}
