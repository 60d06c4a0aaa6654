package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestStrayFindsABlockedGoroutine(t *testing.T) {
	block := make(chan struct{})
	go func() { <-block }()
	time.Sleep(10 * time.Millisecond)
	found := false
	for _, s := range Stray() {
		if strings.Contains(s, "TestStrayFindsABlockedGoroutine") {
			found = true
		}
	}
	close(block)
	if !found {
		t.Fatal("a blocked goroutine was not reported")
	}
	if err := Check(time.Second); err != nil {
		t.Fatalf("after it ended: %v", err)
	}
}

func TestIdlePoolWorkers(t *testing.T) {
	parked := "goroutine 7 [select]:\nruntime.gopark(0x1)\n\t/go/src/runtime/proc.go:1\n" +
		"runtime.selectgo(0x2)\n\t/go/src/runtime/select.go:1\n" +
		"github.com/siogen/siogen/runtime/socketio.(*workerPool).work(0x3)\n\t/x/socket.go:1\n" +
		"created by github.com/siogen/siogen/runtime/socketio.(*workerPool).do in goroutine 1\n\t/x/socket.go:2"
	busy := "goroutine 8 [chan receive]:\nruntime.gopark(0x1)\n\t/go/src/runtime/proc.go:1\n" +
		"example.com/app.handler(0x4)\n\t/x/app.go:1\n" +
		"github.com/siogen/siogen/runtime/socketio.(*workerPool).work(0x3)\n\t/x/socket.go:1\n" +
		"created by github.com/siogen/siogen/runtime/socketio.(*workerPool).do in goroutine 1\n\t/x/socket.go:2"
	if !isIgnored(parked) {
		t.Error("an idle pool worker is reported as a leak")
	}
	if isIgnored(busy) {
		t.Error("a pool worker stuck in a handler is not reported")
	}
}

// CheckSince reports a goroutine started after the snapshot, not one
// that was running before it.
func TestCheckSince(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go func() { <-stop }()
	before := Snapshot()
	if err := CheckSince(before, 50*time.Millisecond); err != nil {
		t.Fatalf("a goroutine from before the snapshot is reported: %v", err)
	}
	block := make(chan struct{})
	go func() { <-block }()
	err := CheckSince(before, 50*time.Millisecond)
	close(block)
	if err == nil || !strings.Contains(err.Error(), "TestCheckSince") {
		t.Fatalf("a goroutine started after the snapshot is not reported: %v", err)
	}
	if err := CheckSince(before, time.Second); err != nil {
		t.Fatalf("after it ended: %v", err)
	}
}
