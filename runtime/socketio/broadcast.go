package socketio

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/siogen/siogen/runtime/parser"
)

// A BroadcastOperator selects sockets of a namespace, on every node, and
// sends to them or acts on them. Each method returns a new operator, so one
// can be kept and reused:
//
//	srv.Of("/chat").To("room1", "room2").Except("muted").Emit("news", item)
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []Room
	except []Room
	flags  BroadcastFlags
}

func (b *BroadcastOperator) with(f func(*BroadcastOperator)) *BroadcastOperator {
	c := *b
	c.rooms = slices.Clone(b.rooms)
	c.except = slices.Clone(b.except)
	f(&c)
	return &c
}

// To adds rooms to the selection (sockets in any of them).
func (b *BroadcastOperator) To(rooms ...Room) *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.rooms = append(c.rooms, rooms...) })
}

// In is To.
func (b *BroadcastOperator) In(rooms ...Room) *BroadcastOperator { return b.To(rooms...) }

// Except leaves out the sockets in rooms.
func (b *BroadcastOperator) Except(rooms ...Room) *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.except = append(c.except, rooms...) })
}

// Volatile lets the event be lost for sockets that cannot take it now.
func (b *BroadcastOperator) Volatile() *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.flags.Volatile = true })
}

// Compress(false) sends the event uncompressed even when HTTP compression or
// permessage-deflate would compress it.
func (b *BroadcastOperator) Compress(compress bool) *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.flags.NoCompress = !compress })
}

// Local restricts the broadcast to this node.
func (b *BroadcastOperator) Local() *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.flags.Local = true })
}

// Timeout bounds EmitWithAck.
func (b *BroadcastOperator) Timeout(d time.Duration) *BroadcastOperator {
	return b.with(func(c *BroadcastOperator) { c.flags.Timeout = d })
}

// Options returns the selection as adapter options.
func (b *BroadcastOperator) Options() BroadcastOptions {
	return BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// targets returns the namespaces the operator acts on: the children of a
// parent namespace, or the namespace itself.
func (b *BroadcastOperator) targets() []*Namespace {
	if g := b.nsp.group; g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
		return slices.Clone(g.children)
	}
	return []*Namespace{b.nsp}
}

// Emit sends an event to the selected sockets. The packet is encoded once
// per node and the same bytes are queued to every recipient.
func (b *BroadcastOperator) Emit(event string, args ...any) error {
	if err := checkEmit(event); err != nil {
		return err
	}
	for _, n := range b.targets() {
		if err := n.adapter.Broadcast(parser.NewEvent(n.name, event, args...), b.Options()); err != nil {
			return err
		}
	}
	return nil
}

// EmitWithAck sends an event to the selected sockets and returns every
// answer. When ctx (or Timeout) ends first it returns the answers received
// and an error wrapping ErrAckTimeout. When the adapter cannot tell how many
// answers to wait for (Redis is away, a node of the cluster did not say how
// many clients it reached), it waits for those it could count (this node's
// sockets') until ctx ends, and returns them with the adapter's error.
func (b *BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]AckResult, error) {
	if err := checkEmit(event); err != nil {
		return nil, err
	}
	if b.flags.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.flags.Timeout)
		defer cancel()
	}
	var (
		mu      sync.Mutex
		results []AckResult
		want    int
		done    = make(chan struct{}, 1)
	)
	onAck := func(r AckResult) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
		select {
		case done <- struct{}{}:
		default:
		}
	}
	var adapterErr error
	for _, n := range b.targets() {
		p := parser.NewEvent(n.name, event, args...)
		p.ID, p.HasID = n.nextAckID(), true
		count, err := n.adapter.BroadcastWithAck(ctx, p, b.Options(), onAck)
		want += count
		if err != nil {
			adapterErr = err
			break
		}
	}
	for {
		mu.Lock()
		got := len(results)
		mu.Unlock()
		if got >= want {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(results), adapterErr
		}
		select {
		case <-done:
		case <-ctx.Done():
			mu.Lock()
			defer mu.Unlock()
			if adapterErr != nil {
				return slices.Clone(results), adapterErr
			}
			return slices.Clone(results), fmt.Errorf("%w: %d of %d clients answered: %w", ErrAckTimeout, len(results), want, ctx.Err())
		}
	}
}

// FetchSockets describes the selected sockets, on every node.
func (b *BroadcastOperator) FetchSockets(ctx context.Context) ([]SocketInfo, error) {
	var out []SocketInfo
	for _, n := range b.targets() {
		s, err := n.adapter.FetchSockets(ctx, b.Options())
		if err != nil {
			return out, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// SocketsJoin makes the selected sockets join rooms. A socket that would
// then be in more than ServerOptions.MaxRoomsPerSocket rooms is left out
// (it joins none of them; logged at debug level).
func (b *BroadcastOperator) SocketsJoin(rooms ...Room) error {
	for _, n := range b.targets() {
		if err := n.adapter.AddSockets(b.Options(), rooms); err != nil {
			return err
		}
	}
	return nil
}

// SocketsLeave makes the selected sockets leave rooms.
func (b *BroadcastOperator) SocketsLeave(rooms ...Room) error {
	for _, n := range b.targets() {
		if err := n.adapter.DelSockets(b.Options(), rooms); err != nil {
			return err
		}
	}
	return nil
}

// DisconnectSockets disconnects the selected sockets; with close, their
// whole connections.
func (b *BroadcastOperator) DisconnectSockets(close bool) error {
	for _, n := range b.targets() {
		if err := n.adapter.DisconnectSockets(b.Options(), close); err != nil {
			return err
		}
	}
	return nil
}
