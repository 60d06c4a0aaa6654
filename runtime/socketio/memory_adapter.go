package socketio

import (
	"context"
	"slices"
	"strconv"
	"strings"
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
// It is a [SessionResumer]: a recovered socket gets each kept broadcast
// once, either among the packets it missed or live, after them.
type MemoryAdapter struct {
	nsp *Namespace

	// Every socket is in a room named by its id, alone as a rule: that
	// membership is kept in sids only (a map per socket in rooms would be
	// most of an idle socket's adapter memory); rooms holds every other
	// membership. members combines them.
	mu    sync.RWMutex
	rooms map[Room]map[string]struct{}
	sids  map[string]map[Room]struct{}

	rec *RecoveryOptions
	// admitMu orders the broadcasts kept for recovery against the
	// admission of recovered sockets (ResumeSession): a kept broadcast
	// holds it for reading from storing its packet to choosing its
	// recipients, an admission holds it for writing while it computes what
	// its socket missed, queues that and makes the socket a recipient.
	// Only kept broadcasts take it: none when recovery is off.
	admitMu  sync.RWMutex
	recMu    sync.Mutex
	sessions map[string]persisted // by pid
	expiry   []expiring           // sessions in the order they were persisted
	visited  int                  // sessions looked at by pruning (for the tests)
	packets  []storedPacket       // in the order of their seq
	pruned   uint64               // the seq of the newest packet pruned
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
	seq    uint64 // the counter of its offset: increasing within an adapter
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
//
// A packet kept for recovery is stored and its recipients chosen under
// admitMu, so that no recovered socket is admitted in between: one
// admitted before gets it live, one admitted after among the packets it
// missed. The queuing to the recipients comes after, unlocked (it may run
// OnAnyOutgoing handlers, which may broadcast): a socket is made a
// recipient only once its missed packets are queued, so none of them can
// follow a live one.
func (a *MemoryAdapter) Broadcast(p *parser.Packet, opts BroadcastOptions) error {
	if !a.keeps(p, opts) {
		return a.LocalBroadcast(p, opts)
	}
	a.rlockAdmissions()
	a.store(p, opts)
	if h := a.nsp.server.hooks; h != nil && h.stored != nil {
		h.stored()
	}
	socks := a.recipients(opts)
	a.admitMu.RUnlock()
	return a.deliver(p, opts, socks)
}

// keeps reports whether p is kept for recovery: connection state recovery
// is on and p is an event without ack, not volatile.
func (a *MemoryAdapter) keeps(p *parser.Packet, opts BroadcastOptions) bool {
	return a.rec != nil && p.Type == parser.Event && !p.HasID && !opts.Flags.Volatile
}

// rlockAdmissions takes admitMu for reading.
func (a *MemoryAdapter) rlockAdmissions() {
	if h := a.nsp.server.hooks; h != nil && h.broadcastWaits != nil {
		if a.admitMu.TryRLock() {
			return
		}
		h.broadcastWaits()
	}
	a.admitMu.RLock()
}

// Store appends an offset to p and keeps it for recovery, when connection
// state recovery is on and p is an event without ack, not volatile.
// Broadcast calls it; an adapter that calls Store and LocalBroadcast
// itself, rather than Broadcast, does so outside the lock that orders them
// against the admission of recovered sockets (see ResumeSession).
func (a *MemoryAdapter) Store(p *parser.Packet, opts BroadcastOptions) {
	if a.keeps(p, opts) {
		a.store(p, opts)
	}
}

func (a *MemoryAdapter) store(p *parser.Packet, opts BroadcastOptions) {
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	// The offset is made under recMu, so that packets are stored in the
	// order of their seq, which ResumeSession relies on.
	seq, off := newOffset()
	p.Data = append(p.Data, parser.ValueOf(off))
	a.packets = append(a.packets, storedPacket{seq: seq, offset: off, at: now, opts: opts, p: p})
}

var offsetSeq atomic.Uint64

// newOffset returns a recovery offset: unique within the process and
// increasing, like Node's yeast ids, and its counter.
func newOffset() (uint64, string) {
	seq := offsetSeq.Add(1)
	return seq, strconv.FormatInt(time.Now().UnixMilli(), 36) + "." + strconv.FormatUint(seq, 36)
}

// offsetSeqOf returns the counter of an offset newOffset made.
func offsetSeqOf(offset string) (uint64, bool) {
	i := strings.LastIndexByte(offset, '.')
	if i < 0 {
		return 0, false
	}
	seq, err := strconv.ParseUint(offset[i+1:], 36, 64)
	return seq, err == nil
}

// LocalBroadcast encodes p once and queues it to this node's sockets that
// opts selects.
func (a *MemoryAdapter) LocalBroadcast(p *parser.Packet, opts BroadcastOptions) error {
	return a.deliver(p, opts, a.recipients(opts))
}

// deliver encodes p once and queues it to socks.
func (a *MemoryAdapter) deliver(p *parser.Packet, opts BroadcastOptions, socks []*Socket) error {
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

// RestoreSession implements Adapter. The server calls TakeSession and
// ResumeSession instead.
func (a *MemoryAdapter) RestoreSession(pid, offset string) (SessionState, []*parser.Packet, bool) {
	if a.rec == nil {
		return SessionState{}, nil, false
	}
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	st, ok := a.takeLocked(pid, offset)
	if !ok {
		return SessionState{}, nil, false
	}
	missed, _ := a.missedLocked(offset, st.Rooms)
	return st, missed, true
}

// TakeSession implements SessionResumer.
func (a *MemoryAdapter) TakeSession(pid, offset string) (SessionState, bool) {
	if a.rec == nil {
		return SessionState{}, false
	}
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	return a.takeLocked(pid, offset)
}

// takeLocked removes and returns the session of pid, if offset is stored.
// a.recMu is held.
func (a *MemoryAdapter) takeLocked(pid, offset string) (SessionState, bool) {
	ps, ok := a.sessions[pid]
	if !ok {
		return SessionState{}, false
	}
	delete(a.sessions, pid) // a private id is good for one recovery
	if !slices.ContainsFunc(a.packets, func(sp storedPacket) bool { return sp.offset == offset }) {
		return SessionState{}, false
	}
	return ps.state, true
}

// ResumeSession implements SessionResumer: with admitMu held for writing,
// no kept broadcast is between storing its packet and choosing its
// recipients while it computes the missed packets and join runs.
func (a *MemoryAdapter) ResumeSession(offset string, rooms []Room, join func(missed []*parser.Packet)) bool {
	if a.rec == nil {
		return false
	}
	a.lockAdmissions()
	defer a.admitMu.Unlock()
	now := a.now()
	a.recMu.Lock()
	a.pruneLocked(now)
	missed, ok := a.missedLocked(offset, rooms)
	a.recMu.Unlock()
	if !ok {
		return false
	}
	join(missed)
	return true
}

// lockAdmissions takes admitMu for writing.
func (a *MemoryAdapter) lockAdmissions() {
	if h := a.nsp.server.hooks; h != nil && h.admissionWaits != nil {
		if a.admitMu.TryLock() {
			return
		}
		h.admissionWaits()
	}
	a.admitMu.Lock()
}

// missedLocked returns the packets stored after offset that a socket in
// rooms was a recipient of, or false when one stored after offset has
// been pruned (offset itself may have been). a.recMu is held.
func (a *MemoryAdapter) missedLocked(offset string, rooms []Room) ([]*parser.Packet, bool) {
	seq, ok := offsetSeqOf(offset)
	if !ok || a.pruned > seq {
		return nil, false
	}
	// Packets are in the order of their seq: those after offset are last.
	i := len(a.packets)
	for i > 0 && a.packets[i-1].seq > seq {
		i--
	}
	var missed []*parser.Packet
	for _, sp := range a.packets[i:] {
		if includes(rooms, sp.opts) {
			missed = append(missed, sp.p)
		}
	}
	return missed, true
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
		a.pruned = a.packets[n-1].seq
		a.packets = dropFront(a.packets, n)
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
