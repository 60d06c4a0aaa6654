package socketio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siogen/siogen/runtime/parser"
)

// A Broadcaster sends an event to the sockets of a namespace selected by
// opts. Generated typed emitters (NewChatEmitter) send through one: *Server
// is a Broadcaster for its own sockets, and redisadapter.Emitter is one for
// another process (it publishes to the cluster's channels), since only the
// namespace's name, the options and the arguments cross the boundary. ctx
// bounds the send where it blocks.
type Broadcaster interface {
	BroadcastEvent(ctx context.Context, nsp string, opts BroadcastOptions, event string, args ...any) error
}

// BroadcastEvent sends event to the sockets of namespace nsp that opts
// selects, on every node (unless opts.Flags.Local). It makes *Server a
// Broadcaster.
//
// A namespace that does not exist on this server (a dynamic one that no
// client has connected to here yet) has no sockets here; in a cluster the
// event still goes to the other nodes' sockets in it, through the main
// namespace's adapter when it is a [RemoteBroadcaster] (the Redis adapter
// is), as Node's io.of(name).emit reaches them — without creating the
// namespace here.
func (s *Server) BroadcastEvent(_ context.Context, nsp string, opts BroadcastOptions, event string, args ...any) error {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	s.mu.RLock()
	n := s.nsps[nsp]
	s.mu.RUnlock()
	if n != nil {
		b := &BroadcastOperator{nsp: n, rooms: opts.Rooms, except: opts.Except, flags: opts.Flags}
		return b.Emit(event, args...)
	}
	if err := checkEmit(event); err != nil || opts.Flags.Local {
		return err
	}
	if rb, ok := s.Of("/").Adapter().(RemoteBroadcaster); ok {
		return rb.BroadcastRemote(nsp, parser.NewEvent(nsp, event, args...), opts)
	}
	return nil
}

// A RemoteBroadcaster is an Adapter that also sends broadcasts of
// namespaces that do not exist on this node to the other nodes' sockets in
// them. [Server.BroadcastEvent] uses the main namespace's adapter so.
type RemoteBroadcaster interface {
	// BroadcastRemote sends p, an event of namespace nsp, to the sockets
	// of the other nodes that opts selects.
	BroadcastRemote(nsp string, p *parser.Packet, opts BroadcastOptions) error
}

var _ Broadcaster = (*Server)(nil)

// ErrBadNamespaceParam: a parameter of a dynamic namespace is empty or
// contains a slash.
var ErrBadNamespaceParam = errors.New("socketio: bad namespace parameter")

// FillNamespace replaces the {param} segments of a namespace path
// ("/workspace/{id}") with values, in order. A value that is empty or
// contains "/" is an error wrapping ErrBadNamespaceParam.
func FillNamespace(path string, values ...string) (string, error) {
	segs := strings.Split(path, "/")
	i := 0
	for j, seg := range segs {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			continue
		}
		if i >= len(values) {
			return "", fmt.Errorf("%w: no value for %s in %s", ErrBadNamespaceParam, seg, path)
		}
		v := values[i]
		i++
		if v == "" || strings.Contains(v, "/") {
			return "", fmt.Errorf("%w: %s of %s is %q (it must be non-empty, without /)", ErrBadNamespaceParam, seg, path, v)
		}
		segs[j] = v
	}
	return strings.Join(segs, "/"), nil
}

// SocketContext returns a context that is canceled when s disconnects; it
// has no deadline and no values. Generated handlers receive it.
func SocketContext(s *Socket) context.Context { return socketCtx{s} }

type socketCtx struct{ s *Socket }

func (socketCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c socketCtx) Done() <-chan struct{}     { return c.s.gone }
func (socketCtx) Value(any) any               { return nil }
func (c socketCtx) Err() error {
	select {
	case <-c.s.gone:
		return context.Canceled
	default:
		return nil
	}
}
func (c socketCtx) String() string { return "socketio.SocketContext(" + c.s.id + ")" }
