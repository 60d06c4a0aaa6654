// Package syncbuf provides a byte buffer that goroutines may share: a log
// or a child process's output written by one goroutine and read by another.
package syncbuf

import (
	"bytes"
	"sync"
)

// A Buffer is a bytes.Buffer whose Write and String may be called
// concurrently. The zero Buffer is empty and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
