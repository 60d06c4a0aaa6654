//go:build !race

package socketio

import (
	"context"
	"testing"
)

// Not under -race: there sync.Pool drops some of what is put back, at
// random, so pooled memory is allocated again. make test runs this file's
// tests without -race (target loadtest).

// Emit and Ack to one socket allocate no packet: with a payload whose
// boxing allocates nothing (a small integer), what is left is the event
// name's conversion to an interface (ValueOf) for Emit, and for Ack its
// argument slice (which an ack callback, Event's other way to answer, may
// keep). Before the pool: two and three.
func TestEmitAllocations(t *testing.T) {
	srv := NewServer(nil)
	defer srv.Shutdown(context.Background())
	inProcess(t, srv, 1)
	s := srv.Of("/").Socket(firstID(srv))
	event := "e"
	const runs = 200
	events := make([]*Event, runs+1) // AllocsPerRun runs fn once more
	for i := range events {
		events[i] = &Event{Name: event, ackSock: s, ackID: uint64(i)}
	}
	tests := []struct {
		name string
		fn   func()
		max  float64
	}{
		{"emit", func() { _ = s.Emit(event, 7) }, 1},
		{"ack", func() {
			_ = events[0].Ack(7)
			events = events[1:]
		}, 1},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(runs, tt.fn); got > tt.max {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, got, tt.max)
		}
	}
}
