package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/internal/redistest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// freePorts returns n ports that were free a moment ago.
func freePorts(t *testing.T, n int) []string {
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// TestDemo runs the demo on a real redis-server: the client of every node
// hears the emitter's tick and what the client of another node said, and
// Ctrl-C (ctx) ends it with nothing left running.
func TestDemo(t *testing.T) {
	r := redistest.Start(t)
	ports := freePorts(t, 3)
	lines := make(chan string, 1000)
	logf := func(format string, args ...any) {
		select {
		case lines <- fmt.Sprintf(format, args...):
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- demo(ctx, r.Client(t), ports, 50*time.Millisecond, logf) }()

	// What each client must see: a tick, and a hello broadcast by another node.
	want := map[string]bool{}
	for _, own := range ports {
		for _, other := range ports {
			if other != own {
				want[fmt.Sprintf("client@node-%s: said|node-%s", own, other)] = true
			}
		}
		want[fmt.Sprintf("client@node-%s: tick", own)] = true
	}
	timeout := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case l := <-lines:
			for k := range want {
				prefix, by, _ := strings.Cut(k, "|")
				if strings.HasPrefix(l, prefix) && strings.HasSuffix(l, "(broadcast by "+by+")") ||
					by == "" && strings.HasPrefix(l, prefix) && strings.HasSuffix(l, "(from the emitter)") {
					delete(want, k)
				}
			}
		case err := <-done:
			t.Fatalf("demo ended early: %v", err)
		case <-timeout:
			t.Fatalf("not seen within 10s: %v", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not end within 10s of its context")
	}
	// The clients' polling requests went through http.DefaultClient, whose
	// pool may keep a connection dialled for a request cancelled by the
	// close; the nodes' listeners (TCP_DEFER_ACCEPT) never saw it, so no
	// server closes it. It is net/http's, not the demo's: let it go before
	// the leak check.
	http.DefaultClient.CloseIdleConnections()
}
