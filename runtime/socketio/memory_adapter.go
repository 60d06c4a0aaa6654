package socketio

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// MemoryAdapter is the default Adapter: rooms and broadcasts within one
// process. Its Local methods deliver to this node's sockets; an adapter for
// several nodes embeds it and adds the traffic between nodes.
//
// With connection state recovery on, it appends an offset to every event
// broadcast without ack and not volatile, keeps those packets for
// MaxDisconnectionDuration, and keeps the state of disconnected sockets.
type MemoryAdapter struct {
	nsp *Namespace

	// Every socket is in a room named by its id, alone as a rule: that
	// membership is kept in sids only (a map per socket in rooms would be
	// most of an idle socket's adapter memory); rooms holds every other
	// membership. members combines them.
	mu    sync.RWMutex
	rooms map[Room]map[string]struct{}
	sids  map[string]map[Room]struct{}

	rec      *RecoveryOptions
	recMu    sync.Mutex
	sessions map[string]persisted // by pid
	expiry   []expiring           // sessions in the order they were persisted
	visited  int                  // sessions looked at by pruning (for the tests)
	packets  []storedPacket
}

type persisted struct {
	state SessionState
	at    time.Time
}

// expiring is a session's place in the order of expiry: pruning looks at
// the oldest only, not at every session (a peer that drops connections
// leaves one each).
type expiring struct {
	pid string
	at  time.Time
}

type storedPacket struct {
	offset string
	at     time.Time
	opts   BroadcastOptions
	p      *parser.Packet
}

// NewMemoryAdapter returns the in-memory adapter of nsp.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		nsp:      nsp,
		rooms:    make(map[Room]map[string]struct{}),
		sids:     make(map[string]map[Room]struct{}),
		rec:      nsp.server.opts.ConnectionStateRecovery,
		sessions: make(map[string]persisted),
	}
}

// Namespace returns the adapter's namespace.
func (a *MemoryAdapter) Namespace() *Namespace { return a.nsp }

// AddAll implements Adapter.
func (a *MemoryAdapter) AddAll(id string, rooms ...Room) {
	a.mu.Lock()
	defer a.mu.Unlock()
	set := a.sids[id]
	if set == nil {
		set = make(map[Room]struct{}, len(rooms))
		a.sids[id] = set
	}
	for _, r := range rooms {
		set[r] = struct{}{}
		if r == Room(id) {
			continue // its own room: see the type
		}
		m := a.rooms[r]
		if m == nil {
			m = make(map[string]struct{})
			a.rooms[r] = m
		}
		m[id] = struct{}{}
	}
}

// Del implements Adapter.
func (a *MemoryAdapter) Del(id string, room Room) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sids[id], room)
	a.delFromRoom(id, room)
}

func (a *MemoryAdapter) delFromRoom(id string, room Room) {
	if room == Room(id) {
		return // kept in sids only
	}
	if m := a.rooms[room]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(a.rooms, room)
		}
	}
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for r := range a.sids[id] {
		a.delFromRoom(id, r)
	}
	delete(a.sids, id)
}

// SocketRooms implements Adapter.
func (a *MemoryAdapter) SocketRooms(id string) []Room {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Room, 0, len(a.sids[id]))
	for r := range a.sids[id] {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Rooms implements Adapter.
func (a *MemoryAdapter) Rooms() []Room {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Room, 0, len(a.rooms)+len(a.sids))
	for r := range a.rooms {
		out = append(out, r)
	}
	for id, set := range a.sids {
		if _, in := set[Room(id)]; in {
			if _, listed := a.rooms[Room(id)]; !listed {
				out = append(out, Room(id))
			}
		}
	}
	slices.Sort(out)
	return out
}

// members calls fn for every socket id in room r. a.mu is held.
func (a *MemoryAdapter) members(r Room, fn func(id string)) {
	if set, ok := a.sids[string(r)]; ok {
		if _, in := set[r]; in {
			fn(string(r)) // the socket whose own room it is
		}
	}
	for id := range a.rooms[r] {
		fn(id)
	}
}

// AllRooms implements Adapter: with one node, the local rooms.
func (a *MemoryAdapter) AllRooms(context.Context) ([]Room, error) { return a.Rooms(), nil }

// recipients returns this node's connected sockets that opts selects.
func (a *MemoryAdapter) recipients(opts BroadcastOptions) []*Socket {
	a.mu.RLock()
	var except map[string]struct{}
	if len(opts.Except) > 0 {
		except = make(map[string]struct{})
		for _, r := range opts.Except {
			a.members(r, func(id string) { except[id] = struct{}{} })
		}
	}
	var ids []string
	if len(opts.Rooms) > 0 {
		seen := make(map[string]struct{})
		for _, r := range opts.Rooms {
			a.members(r, func(id string) {
				if _, dup := seen[id]; dup {
					return
				}
				seen[id] = struct{}{}
				if _, no := except[id]; !no {
					ids = append(ids, id)
				}
			})
		}
	}
	a.mu.RUnlock()
	if len(opts.Rooms) > 0 {
		return a.nsp.socketsByID(ids)
	}
	return a.nsp.socketsExcept(except)
}

// Broadcast implements Adapter: the packet goes to this node's sockets.
func (a *MemoryAdapter) Broadcast(p *parser.Packet, opts BroadcastOptions) error {
	a.Store(p, opts)
	if h := a.nsp.server.hooks; h != nil && h.stored != nil && a.rec != nil && p.Type == parser.Event && !p.HasID && !opts.Flags.Volatile {
		h.stored()
	}
	return a.LocalBroadcast(p, opts)
}

// Store appends an offset to p and keeps it for recovery, when connection
// state recovery is on and p is an event without ack, not volatile.
func (a *MemoryAdapter) Store(p *parser.Packet, opts BroadcastOptions) {
	if a.rec == nil || p.Type != parser.Event || p.HasID || opts.Flags.Volatile {
		return
	}
	off := newOffset()
	p.Data = append(p.Data, parser.ValueOf(off))
	now := a.now()
	a.recMu.Lock()
	a.pruneLocked(now)
	a.packets = append(a.packets, storedPacket{offset: off, at: now, opts: opts, p: p})
	a.recMu.Unlock()
}

var offsetSeq atomic.Uint64

// newOffset returns a recovery offset: unique within the process and
// increasing, like Node's yeast ids.
func newOffset() string {
	return strconv.FormatInt(time.Now().UnixMilli(), 36) + "." + strconv.FormatUint(offsetSeq.Add(1), 36)
}

// LocalBroadcast encodes p once and queues it to this node's sockets that
// opts selects.
func (a *MemoryAdapter) LocalBroadcast(p *parser.Packet, opts BroadcastOptions) error {
	socks := a.recipients(opts)
	if len(socks) == 0 {
		return nil
	}
	frames, err := a.encode(p, opts)
	if err != nil {
		return err
	}
	for _, s := range socks {
		s.sendFrames(p, frames, opts.Flags.Volatile)
	}
	return nil
}

// encode encodes p once for all recipients, honoring the NoCompress flag.
func (a *MemoryAdapter) encode(p *parser.Packet, opts BroadcastOptions) ([]engineio.Frame, error) {
	frames, err := a.nsp.server.codec.Encode(p)
	if err == nil && opts.Flags.NoCompress {
		for i := range frames {
			frames[i].NoCompress = true
		}
	}
	return frames, err
}

// BroadcastWithAck implements Adapter.
func (a *MemoryAdapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions, onAck func(AckResult)) (int, error) {
	return a.LocalBroadcastWithAck(ctx, p, opts, onAck)
}

// LocalBroadcastWithAck sends p to this node's sockets that opts selects,
// registering onAck for each one's answer until ctx ends. It returns the
// number of recipients.
func (a *MemoryAdapter) LocalBroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions, onAck func(AckResult)) (int, error) {
	socks := a.recipients(opts)
	if len(socks) == 0 {
		return 0, nil
	}
	frames, err := a.encode(p, opts)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range socks {
		s := s
		if s.registerAck(ctx, p.ID, func(args []parser.Value) {
			onAck(AckResult{SocketID: s.id, Args: args})
		}) != nil {
			continue // disconnected, or too many acks pending: not a recipient
		}
		s.sendFrames(p, frames, opts.Flags.Volatile)
		n++
	}
	return n, nil
}

// FetchSockets implements Adapter.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]SocketInfo, error) {
	return a.LocalFetchSockets(opts), nil
}

// LocalFetchSockets describes this node's sockets that opts selects.
func (a *MemoryAdapter) LocalFetchSockets(opts BroadcastOptions) []SocketInfo {
	socks := a.recipients(opts)
	out := make([]SocketInfo, len(socks))
	for i, s := range socks {
		out[i] = SocketInfo{ID: s.id, Handshake: s.handshake, Rooms: a.SocketRooms(s.id), Data: s.Data()}
	}
	return out
}

// AddSockets implements Adapter.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []Room) error {
	a.LocalAddSockets(opts, rooms)
	return nil
}

// LocalAddSockets makes this node's sockets that opts selects join rooms.
// A socket that would be in more than MaxRoomsPerSocket rooms joins none
// of them (logged at debug level); the others join.
func (a *MemoryAdapter) LocalAddSockets(opts BroadcastOptions, rooms []Room) {
	for _, s := range a.recipients(opts) {
		if err := s.Join(rooms...); err != nil {
			a.nsp.server.opts.Logger.Debug("socketio: socket left out of SocketsJoin",
				"nsp", a.nsp.name, "socket", s.id, "rooms", len(rooms), "err", err)
		}
	}
}

// DelSockets implements Adapter.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []Room) error {
	a.LocalDelSockets(opts, rooms)
	return nil
}

// LocalDelSockets makes this node's sockets that opts selects leave rooms.
func (a *MemoryAdapter) LocalDelSockets(opts BroadcastOptions, rooms []Room) {
	for _, s := range a.recipients(opts) {
		s.Leave(rooms...)
	}
}

// DisconnectSockets implements Adapter.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	a.LocalDisconnectSockets(opts, close)
	return nil
}

// LocalDisconnectSockets disconnects this node's sockets that opts selects.
func (a *MemoryAdapter) LocalDisconnectSockets(opts BroadcastOptions, close bool) {
	for _, s := range a.recipients(opts) {
		s.Disconnect(close)
	}
}

// ServerSideEmit implements Adapter: with one node there is no one to tell.
func (a *MemoryAdapter) ServerSideEmit(context.Context, []any, func([]parser.Value)) error {
	return nil
}

// ServerCount implements Adapter.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// PersistSession implements Adapter.
func (a *MemoryAdapter) PersistSession(s SessionState) {
	if a.rec == nil {
		return
	}
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	a.sessions[s.PID] = persisted{state: s, at: now}
	a.expiry = append(a.expiry, expiring{s.PID, now})
}

// RestoreSession implements Adapter.
func (a *MemoryAdapter) RestoreSession(pid, offset string) (SessionState, []*parser.Packet, bool) {
	if a.rec == nil {
		return SessionState{}, nil, false
	}
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	ps, ok := a.sessions[pid]
	if !ok {
		return SessionState{}, nil, false
	}
	delete(a.sessions, pid) // a private id is good for one recovery
	idx := slices.IndexFunc(a.packets, func(sp storedPacket) bool { return sp.offset == offset })
	if idx < 0 {
		return SessionState{}, nil, false
	}
	var missed []*parser.Packet
	for _, sp := range a.packets[idx+1:] {
		if includes(ps.state.Rooms, sp.opts) {
			missed = append(missed, sp.p)
		}
	}
	return ps.state, missed, true
}

// includes reports whether a socket in rooms was a recipient of a broadcast.
func includes(rooms []Room, opts BroadcastOptions) bool {
	in := len(opts.Rooms) == 0
	for _, r := range rooms {
		if slices.Contains(opts.Except, r) {
			return false
		}
		if !in && slices.Contains(opts.Rooms, r) {
			in = true
		}
	}
	return in
}

// pruneLocked drops sessions and packets older than the recovery window.
func (a *MemoryAdapter) pruneLocked(now time.Time) {
	limit := now.Add(-a.rec.maxDuration())
	n := 0
	for n < len(a.expiry) && a.expiry[n].at.Before(limit) {
		a.visited++
		e := a.expiry[n]
		// Restored meanwhile (gone), or persisted again (kept from then).
		if ps, ok := a.sessions[e.pid]; ok && !ps.at.After(e.at) {
			delete(a.sessions, e.pid)
		}
		n++
	}
	a.expiry = dropFront(a.expiry, n)
	n = 0
	for n < len(a.packets) && a.packets[n].at.Before(limit) {
		n++
	}
	if n > 0 {
		a.packets = slices.Delete(a.packets, 0, n)
	}
}

// dropFront removes the first n elements of s without moving the others
// (slices.Delete would move all of them at every prune); append moves them
// when it grows s, which leaves the front behind.
func dropFront[T any](s []T, n int) []T {
	if n == 0 {
		return s
	}
	clear(s[:n])
	if n == len(s) {
		return s[:0]
	}
	return s[n:]
}

// Close implements Adapter.
func (a *MemoryAdapter) Close() error { return nil }
