// Package floor is the floor of the benchmark suite: servers that do no
// protocol work, to show what the kernel (raw TCP) and a plain WebSocket
// library (github.com/coder/websocket) cost by themselves on this machine.
// Both echo records and broadcast publish records; cmd/floor-server runs
// them and the load generator speaks their record format.
//
// A record is RecordSize bytes (the load generator's payload: '#', 19 digits
// of its send-time stamp, 'x' padding). A publish is a record whose last byte
// is 'P' instead of 'x'; every other record is an echo request.
//
//   - raw TCP: the records follow each other on the connection. Echo records
//     go back to the sender as they were read (one write(2) for what one
//     read(2) brought, as a plain echo server does); a publish record is
//     written to every connection of the server, the publisher's too, one
//     write(2) per connection, by the goroutine that read it.
//   - WebSocket: one message per record. An echo request is written back;
//     a publish is written with Conn.Write to every connection in turn, by
//     the goroutine that read it.
package floor

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// RecordSize is the size of a record.
const RecordSize = 64

const publishMark = 'P'

// MarkPublish makes rec (a record) a publish.
func MarkPublish(rec []byte) { rec[RecordSize-1] = publishMark }

// IsPublish tells a publish record from an echo request.
func IsPublish(rec []byte) bool { return len(rec) == RecordSize && rec[RecordSize-1] == publishMark }

// set is every connection of a server: the room a publish goes to.
type set[C comparable] struct {
	mu sync.Mutex
	m  map[C]struct{}
}

func (s *set[C]) add(c C) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[C]struct{}{}
	}
	s.m[c] = struct{}{}
	s.mu.Unlock()
}

func (s *set[C]) remove(c C) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

// snapshot appends the connections to buf: a publish is written outside
// the lock, so that connects and disconnects do not wait for it.
func (s *set[C]) snapshot(buf []C) []C {
	s.mu.Lock()
	for c := range s.m {
		buf = append(buf, c)
	}
	s.mu.Unlock()
	return buf
}

// ServeTCP accepts connections on ln and serves each: records echoed,
// publish records written to every connection.
func ServeTCP(ln net.Listener) error {
	var all set[net.Conn]
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go serveTCP(c, &all)
	}
}

func serveTCP(c net.Conn, all *set[net.Conn]) {
	all.add(c)
	defer func() { all.remove(c); c.Close() }()
	buf := make([]byte, 4096) // a multiple of RecordSize
	var to []net.Conn
	have := 0 // the start of a record kept from the last read
	for {
		n, err := c.Read(buf[have:])
		if err != nil {
			return
		}
		n += have
		whole := n - n%RecordSize
		echo := 0 // the records from echo on are echo requests not yet written back
		for i := 0; i < whole; i += RecordSize {
			if rec := buf[i : i+RecordSize]; IsPublish(rec) {
				if echo < i {
					if _, err := c.Write(buf[echo:i]); err != nil {
						return
					}
				}
				to = all.snapshot(to[:0])
				for _, t := range to {
					_, _ = t.Write(rec) // a connection going away misses it
				}
				echo = i + RecordSize
			}
		}
		if echo < whole {
			if _, err := c.Write(buf[echo:whole]); err != nil {
				return
			}
		}
		have = copy(buf, buf[whole:n])
	}
}

// WSHandler serves WebSocket connections: messages echoed, publish records
// written to every connection.
func WSHandler() http.Handler {
	all := &set[*websocket.Conn]{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		all.add(c)
		defer all.remove(c)
		ctx := context.Background()
		var to []*websocket.Conn
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if IsPublish(msg) {
				to = all.snapshot(to[:0])
				for _, t := range to {
					_ = t.Write(ctx, typ, msg) // a connection going away misses it
				}
				continue
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	})
}
