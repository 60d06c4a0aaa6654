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
// Every socket gets the kept packets in the order of their offsets (the
// client recovers from the last offset it got). It is a [SessionResumer]:
// a recovered socket gets each kept broadcast once, either among the
// packets it missed or live, after them.
type MemoryAdapter struct {
	nsp *Namespace

	// Every socket is in a room named by its id, alone as a rule: that
	// membership is kept in sids only (a map per socket in rooms would be
	// most of an idle socket's adapter memory); rooms holds every other
	// membership. members combines them.
	mu    sync.RWMutex
	rooms map[Room]map[string]struct{}
	sids  map[string]map[Room]struct{}

	rec   *RecoveryOptions
	recMu sync.Mutex
	// last is the turn taken last (see takeTurnLocked), under recMu: it
	// is closed when that turn is over. Only kept broadcasts and the
	// admissions of recovered sockets take turns: none when recovery is off.
	last     chan struct{}
	sessions map[string]persisted // by pid
	expiry   []expiring           // sessions in the order they were persisted
	visited  int                  // sessions looked at by pruning (for the tests)
	packets  []storedPacket       // in the order of their seq
	pruned   uint64               // the seq of the newest packet pruned
}

type persisted struct {
	state SessionState
	at    time.Time
	// taken: TakeSession returned it to a socket whose admission has not
	// been decided; it is not returned again unless ReleaseSession gives
	// it back.
	taken bool
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
		last:     over,
		sessions: make(map[string]persisted),
	}
}

// over is a turn that is over: the one before the first.
var over = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

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
// A packet kept for recovery takes a turn when it is stored, in the order
// of its offset, and is encoded; in its turn, its recipients are chosen
// and it is queued to them. So every socket gets the kept packets in the
// order of their offsets, and no recovered socket is admitted (which
// takes a turn too: see ResumeSession) between the choice of a packet's
// recipients and its queuing: one admitted before gets it live, one
// admitted after among the packets it missed, and a socket is made a
// recipient only once its missed packets are queued, so none of them can
// follow a live one. The recipients' OnAnyOutgoing handlers run after the
// turn (they may broadcast), so after the packet is queued, where an
// unkept packet runs them before.
func (a *MemoryAdapter) Broadcast(p *parser.Packet, opts BroadcastOptions) error {
	if !a.keeps(p, opts) {
		return a.LocalBroadcast(p, opts)
	}
	socks, err := a.storeAndQueue(p, opts)
	for _, s := range socks {
		if s.hasAnyOut.Load() {
			s.notifyOutgoing(p) // an event: kept
		}
	}
	return err
}

// storeAndQueue stores p, a packet kept for recovery, encodes it, and in
// its turn queues it to its recipients, which it returns.
func (a *MemoryAdapter) storeAndQueue(p *parser.Packet, opts BroadcastOptions) ([]*Socket, error) {
	now := a.now()
	a.recMu.Lock()
	a.storeLocked(p, opts, now)
	prev, mine := a.takeTurnLocked()
	a.recMu.Unlock()
	defer close(mine) // also when an encoder panics: the later turns go on
	h := a.nsp.server.hooks
	if h != nil && h.stored != nil {
		h.stored()
	}
	frames, err := a.encode(p, opts) // outside the turn: kept packets are encoded in parallel
	var waits func()
	if h != nil {
		waits = h.broadcastWaits
	}
	a.waitTurn(prev, waits)
	if err != nil {
		return nil, err
	}
	socks := a.recipients(opts)
	for _, s := range socks {
		_ = s.conn.eio.Send(frames...)
	}
	return socks, nil
}

// keeps reports whether p is kept for recovery: connection state recovery
// is on and p is an event without ack, not volatile.
func (a *MemoryAdapter) keeps(p *parser.Packet, opts BroadcastOptions) bool {
	return a.rec != nil && p.Type == parser.Event && !p.HasID && !opts.Flags.Volatile
}

// takeTurnLocked takes the next turn: it begins when prev is closed, and
// the caller closes mine when it is over. a.recMu is held, so turns are
// taken in the order of the offsets stored under it.
func (a *MemoryAdapter) takeTurnLocked() (prev, mine chan struct{}) {
	prev, mine = a.last, make(chan struct{})
	a.last = mine
	return prev, mine
}

// waitTurn waits for the turn before to be over; waits, if not nil, runs
// first when it is not.
func (a *MemoryAdapter) waitTurn(prev chan struct{}, waits func()) {
	if waits != nil {
		select {
		case <-prev:
			return
		default:
			waits()
		}
	}
	<-prev
}

// Store appends an offset to p and keeps it for recovery, when connection
// state recovery is on and p is an event without ack, not volatile. An
// adapter that calls Store and LocalBroadcast itself, rather than
// Broadcast, does so outside the turns that order the deliveries of kept
// packets and the admission of recovered sockets (see Broadcast).
func (a *MemoryAdapter) Store(p *parser.Packet, opts BroadcastOptions) {
	if a.keeps(p, opts) {
		now := a.now()
		a.recMu.Lock()
		a.storeLocked(p, opts, now)
		a.recMu.Unlock()
	}
}

// storeLocked appends an offset to p and keeps it. a.recMu is held.
func (a *MemoryAdapter) storeLocked(p *parser.Packet, opts BroadcastOptions, now time.Time) {
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
	delete(a.sessions, pid)
	missed, _ := a.missedLocked(offset, st.Rooms)
	return st, missed, true
}

// TakeSession implements SessionResumer: the session stays, reserved,
// until ResumeSession consumes it or ReleaseSession gives it back. One
// reserved and neither (its socket was admitted but disconnected before
// it was connected) is replaced by the session its disconnect keeps, or
// dropped at the end of its window.
func (a *MemoryAdapter) TakeSession(pid, offset string) (SessionState, bool) {
	if a.rec == nil {
		return SessionState{}, false
	}
	now := a.now()
	a.recMu.Lock()
	defer a.recMu.Unlock()
	a.pruneLocked(now)
	st, ok := a.takeLocked(pid, offset)
	if ok {
		ps := a.sessions[pid]
		ps.taken = true
		a.sessions[pid] = ps
	}
	return st, ok
}

// takeLocked returns the session of pid, if it is not reserved and offset
// is stored. A session asked for with an offset that is not stored is
// dropped: its client starts a new one. a.recMu is held.
func (a *MemoryAdapter) takeLocked(pid, offset string) (SessionState, bool) {
	ps, ok := a.sessions[pid]
	if !ok || ps.taken {
		return SessionState{}, false
	}
	if !slices.ContainsFunc(a.packets, func(sp storedPacket) bool { return sp.offset == offset }) {
		delete(a.sessions, pid)
		return SessionState{}, false
	}
	return ps.state, true
}

// ReleaseSession implements SessionResumer.
func (a *MemoryAdapter) ReleaseSession(pid string) {
	if a.rec == nil {
		return
	}
	a.recMu.Lock()
	defer a.recMu.Unlock()
	// Pruned meanwhile if its window has ended: then it stays gone.
	if ps, ok := a.sessions[pid]; ok && ps.taken {
		ps.taken = false
		a.sessions[pid] = ps
	}
}

// ResumeSession implements SessionResumer. The admission takes a turn,
// as kept broadcasts do (see Broadcast), and computes what the socket
// missed when it takes it: the packets of the turns before, which choose
// their recipients before join runs; those of the turns after choose them
// once join has run.
func (a *MemoryAdapter) ResumeSession(s SessionState, offset string, join func(missed []*parser.Packet)) bool {
	if a.rec == nil {
		return false
	}
	now := a.now()
	a.recMu.Lock()
	a.pruneLocked(now)
	if ps, ok := a.sessions[s.PID]; ok && ps.taken {
		delete(a.sessions, s.PID) // a private id is good for one recovery
	}
	missed, ok := a.missedLocked(offset, s.Rooms)
	if !ok {
		a.recMu.Unlock()
		return false
	}
	prev, mine := a.takeTurnLocked()
	a.recMu.Unlock()
	defer close(mine)
	var waits func()
	if h := a.nsp.server.hooks; h != nil {
		waits = h.admissionWaits
	}
	a.waitTurn(prev, waits)
	join(missed)
	return true
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
