package socketio

import (
	"sync"
	"testing"
	"time"
)

// Idle workers end one to two janitor periods after their last task, the
// janitor ends with the last of them, and a pool used again starts both anew.
func TestWorkerPoolEndsIdleWorkers(t *testing.T) {
	p := &workerPool{max: 2, idleTime: 20 * time.Millisecond}
	state := func() (live, idle int, sweeping bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.live, len(p.idle), p.sweeping
	}
	for round := range 2 {
		// Three tasks at once: three workers; the pool keeps two idle.
		var started, release sync.WaitGroup
		started.Add(3)
		release.Add(1)
		for range 3 {
			p.do(func() { started.Done(); release.Wait() })
		}
		started.Wait()
		if live, idle, _ := state(); live != 3 || idle != 0 {
			t.Fatalf("round %d: %d live, %d idle while busy; want 3, 0", round, live, idle)
		}
		release.Done()
		deadline := time.Now().Add(time.Second)
		for {
			live, idle, _ := state()
			if live == 2 && idle == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d live, %d idle after the tasks; want 2, 2", round, live, idle)
			}
			time.Sleep(time.Millisecond)
		}
		// An idle worker is reused: no new goroutine.
		ran := make(chan struct{})
		p.do(func() { close(ran) })
		<-ran
		if live, _, _ := state(); live != 2 {
			t.Fatalf("round %d: %d live after a reuse, want 2", round, live)
		}
		deadline = time.Now().Add(5 * time.Second)
		for {
			live, idle, sweeping := state()
			if live == 0 && idle == 0 && !sweeping {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d live, %d idle, janitor running %v; want all ended", round, live, idle, sweeping)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// A worker that was busy during a period is not ended at its end.
func TestWorkerPoolKeepsRecentWorkers(t *testing.T) {
	p := &workerPool{max: 1, idleTime: 50 * time.Millisecond}
	stop := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(stop) {
		ran := make(chan struct{})
		p.do(func() { close(ran) })
		<-ran
		time.Sleep(5 * time.Millisecond)
		for {
			p.mu.Lock()
			live, idle := p.live, len(p.idle)
			p.mu.Unlock()
			if live != 1 {
				t.Fatalf("%d workers between back-to-back tasks, want 1 (ended while in use)", live)
			}
			if idle == 1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}
