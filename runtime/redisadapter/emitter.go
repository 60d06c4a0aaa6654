package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// EmitterOptions configure an Emitter. The zero value is the Node defaults.
type EmitterOptions struct {
	// Key prefixes every channel. Default "socket.io".
	Key string
}

// An Emitter sends events and commands to a cluster of socket.io servers
// (Go or Node, classic Redis adapter) from a process that is not one of
// them, in @socket.io/redis-emitter's format. It only publishes. Each method
// returns a new Emitter, so one can be kept and reused:
//
//	e := redisadapter.NewEmitter(rdb, nil)
//	err := e.Of("/chat").To("room1").Except("muted").Emit(ctx, "news", item)
//
// Sharded adapters (Options.Sharded) do not listen to what an Emitter
// publishes, as with the Node emitter.
type Emitter struct {
	client redis.UniversalClient
	key    string
	nsp    string
	rooms  []string
	except []string
	flags  emitterFlags
}

// emitterFlags are the flags the Node emitter sends.
type emitterFlags struct {
	Volatile bool  `json:"volatile,omitempty"`
	Compress *bool `json:"compress,omitempty"`
}

// emitterOpts are broadcast options in the emitter's key order.
type emitterOpts struct {
	Rooms  []string     `json:"rooms"`
	Flags  emitterFlags `json:"flags"`
	Except []string     `json:"except"`
}

// NewEmitter returns an Emitter for namespace "/" publishing with client.
func NewEmitter(client redis.UniversalClient, opts *EmitterOptions) *Emitter {
	key := "socket.io"
	if opts != nil && opts.Key != "" {
		key = opts.Key
	}
	return &Emitter{client: client, key: key, nsp: "/"}
}

func (e *Emitter) with(f func(*Emitter)) *Emitter {
	c := *e
	c.rooms = slices.Clone(e.rooms)
	c.except = slices.Clone(e.except)
	f(&c)
	return &c
}

// Of returns an Emitter for namespace nsp ("/" is added in front when
// missing), with no rooms or flags.
func (e *Emitter) Of(nsp string) *Emitter {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	return &Emitter{client: e.client, key: e.key, nsp: nsp}
}

// To adds rooms to the selection (sockets in any of them).
func (e *Emitter) To(rooms ...string) *Emitter {
	return e.with(func(c *Emitter) {
		for _, r := range rooms {
			if !slices.Contains(c.rooms, r) {
				c.rooms = append(c.rooms, r)
			}
		}
	})
}

// In is To.
func (e *Emitter) In(rooms ...string) *Emitter { return e.To(rooms...) }

// Except leaves out the sockets in rooms.
func (e *Emitter) Except(rooms ...string) *Emitter {
	return e.with(func(c *Emitter) {
		for _, r := range rooms {
			if !slices.Contains(c.except, r) {
				c.except = append(c.except, r)
			}
		}
	})
}

// Volatile lets the event be lost for sockets that cannot take it now.
func (e *Emitter) Volatile() *Emitter {
	return e.with(func(c *Emitter) { c.flags.Volatile = true })
}

// Compress sets the compress flag.
func (e *Emitter) Compress(compress bool) *Emitter {
	return e.with(func(c *Emitter) { c.flags.Compress = &compress })
}

// ErrReserved is returned for an event name that Socket.IO reserves.
var ErrReserved = errors.New("redisadapter: reserved event name")

func checkEvent(event string) error {
	if parser.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReserved, event)
	}
	return nil
}

// Emit sends an event to the selected sockets of every node.
func (e *Emitter) Emit(ctx context.Context, event string, args ...any) error {
	if err := checkEvent(event); err != nil {
		return err
	}
	data := parser.NewEvent(e.nsp, event, args...).Data
	msg, err := encodeClassicBroadcast("emitter", e.nsp, data,
		&emitterOpts{Rooms: nonNil(e.rooms), Flags: e.flags, Except: nonNil(e.except)})
	if err != nil {
		return err
	}
	channel := broadcastChannel(e.key, e.nsp)
	if len(e.rooms) == 1 {
		channel += e.rooms[0] + "#"
	}
	return e.client.Publish(ctx, channel, msg).Err()
}

func (e *Emitter) request(ctx context.Context, r *classicReq) error {
	return publishJSONTo(ctx, e.client, e.key+"-request#"+e.nsp+"#", r)
}

func (e *Emitter) opts() *wireOpts {
	return &wireOpts{Rooms: nonNil(e.rooms), Except: nonNil(e.except)}
}

// SocketsJoin makes the selected sockets join rooms.
func (e *Emitter) SocketsJoin(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &classicReq{Type: reqRemoteJoin, Opts: e.opts(), Rooms: nonNil(rooms)})
}

// SocketsLeave makes the selected sockets leave rooms.
func (e *Emitter) SocketsLeave(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &classicReq{Type: reqRemoteLeave, Opts: e.opts(), Rooms: nonNil(rooms)})
}

// DisconnectSockets disconnects the selected sockets; with close, their
// whole connections.
func (e *Emitter) DisconnectSockets(ctx context.Context, close bool) error {
	return e.request(ctx, &classicReq{Type: reqRemoteDisconnect, Opts: e.opts(), Close: &close})
}

// ServerSideEmit sends an event to the namespace's handlers registered
// with OnServerSideEmit on every node (no acks: an emitter cannot receive).
func (e *Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if err := checkEvent(event); err != nil {
		return err
	}
	data := parser.NewEvent(e.nsp, event, args...).Data
	return e.request(ctx, &classicReq{UID: "emitter", Type: reqServerSideEmit, Data: data})
}

// BroadcastEvent makes the Emitter a socketio.Broadcaster, so that a typed
// emitter generated by siogen publishes through it from another process:
//
//	chat.NewChatEmitter(emitter).To("room").Message(ctx, msg)
//
// Flags.Local means nothing outside a node and is ignored.
func (e *Emitter) BroadcastEvent(ctx context.Context, nsp string, opts socketio.BroadcastOptions, event string, args ...any) error {
	x := e.Of(nsp).To(opts.Rooms...).Except(opts.Except...)
	if opts.Flags.Volatile {
		x = x.Volatile()
	}
	if opts.Flags.NoCompress {
		x = x.Compress(false)
	}
	return x.Emit(ctx, event, args...)
}

var _ socketio.Broadcaster = (*Emitter)(nil)
