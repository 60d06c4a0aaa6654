package engineio

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestSysmonGuard(t *testing.T) {
	g := &sysmonGuard{period: time.Hour} // its timer never fires here: tick is called by hand
	t.Cleanup(func() { g.timer.Stop() })
	steps := []struct {
		op        string // "call" or "tick"
		wantQuiet bool   // for a call
	}{
		{"call", true}, // the first call wakes sysmon and arms the guard
		{"call", false},
		{"call", false},
		{"tick", false}, // calls in the period: the guard stays armed
		{"call", false},
		{"tick", false},
		{"tick", false}, // a period without a call: disarmed
		{"call", true},
		{"tick", false},
		{"tick", false},
		{"call", true},
		{"call", false},
	}
	for i, s := range steps {
		if s.op == "tick" {
			g.tick()
			continue
		}
		if got := g.quiet(); got != s.wantQuiet {
			t.Fatalf("step %d: quiet() = %v, want %v", i, got, s.wantQuiet)
		}
	}
}

// computeServerEnv makes the test binary runComputeServer (see TestMain).
const computeServerEnv = "SIOGEN_ENGINEIO_COMPUTE_SERVER"

// runComputeServer serves Engine.IO on a Listener (its WebSockets read and
// written by this package) on a port it prints; a message "compute" is
// answered "started", then, after a second of computing without system
// calls or allocations, "done"; any other message is echoed.
func runComputeServer() {
	srv := NewServer(func(ss *Session) Handler { return computeHandler{ss} }, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	l := NewListener(ln)
	l.Handle("/engine.io/", srv)
	fmt.Println(ln.Addr())
	log.Fatal(http.Serve(l, srv))
}

type computeHandler struct{ ss *Session }

func (h computeHandler) HandleMessage(data []byte, _ bool) {
	if string(data) != "compute" {
		_ = h.ss.Send(Frame{Data: append([]byte{'4'}, data...)})
		return
	}
	_ = h.ss.Send(Frame{Data: []byte("4started")})
	for start := time.Now(); time.Since(start) < time.Second; { // time.Now makes no system call
	}
	_ = h.ss.Send(Frame{Data: []byte("4done")})
}

func (computeHandler) HandleClose(CloseReason, error) {}

// With GOMAXPROCS=1, a session's handler computing for a second must not
// hold back another session's echo: the runtime's sysmon preempts it, even
// though the reads and writes that led to it skipped the system-call entry
// that wakes sysmon (sysio.go). Without the guard the echo comes after the
// computation. (Under the race detector the calls are regular ones, so
// this runs the stock path; `make test` runs it without -race too.)
func TestRawSyscallsKeepPreemption(t *testing.T) {
	t.Logf("raw system calls: %v", rawSyscalls)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), computeServerEnv+"=1", "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + strings.TrimSpace(addr) + "/engine.io/?EIO=4&transport=websocket"

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		if _, open, err := c.Read(ctx); err != nil || open[0] != '0' {
			t.Fatalf("open packet: %q, %v", open, err)
		}
		return c
	}
	// next reads c's next message, or its error, in the background.
	next := func(c *websocket.Conn) <-chan string {
		ch := make(chan string, 1)
		go func() {
			_, m, err := c.Read(ctx)
			if err != nil {
				m = []byte(err.Error())
			}
			ch <- string(m)
		}()
		return ch
	}
	a, b := dial(), dial()
	time.Sleep(100 * time.Millisecond) // the server goes idle: sysmon sleeps
	if err := a.Write(ctx, websocket.MessageText, []byte("4compute")); err != nil {
		t.Fatal(err)
	}
	if m := <-next(a); m != "4started" {
		t.Fatalf("a got %q, want 4started", m)
	}
	if err := b.Write(ctx, websocket.MessageText, []byte("4x")); err != nil {
		t.Fatal(err)
	}
	echo, done := next(b), next(a)
	select {
	case m := <-echo:
		if m != "4x" {
			t.Fatalf("b got %q, want its echo 4x", m)
		}
	case m := <-done:
		t.Fatalf("a's computation ended (%q) before b's echo came: it was not preempted", m)
	}
	if m := <-done; m != "4done" {
		t.Fatalf("a got %q, want 4done", m)
	}
}
