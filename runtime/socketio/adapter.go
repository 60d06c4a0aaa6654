package socketio

import (
	"context"
	"time"

	"github.com/siogen/siogen/runtime/parser"
)

// Room is the name of a room. Every socket is in the room named by its id.
type Room = string

// BroadcastOptions selects the recipients of a broadcast and how it is sent.
type BroadcastOptions struct {
	// Rooms: sockets in any of these rooms; empty means every socket.
	Rooms []Room
	// Except: sockets in none of these rooms.
	Except []Room
	// Flags modify delivery.
	Flags BroadcastFlags
}

// BroadcastFlags modify how a broadcast is delivered.
type BroadcastFlags struct {
	// Volatile packets may be lost: they are dropped for a socket whose
	// outgoing queue is full, instead of disconnecting it.
	Volatile bool
	// Local restricts the broadcast to this node (no effect on the memory adapter).
	Local bool
	// NoCompress sends the packet uncompressed (Node's compress(false)).
	NoCompress bool
	// Timeout bounds how long a broadcast with acks waits for answers (the
	// context passed to EmitWithAck bounds it too).
	Timeout time.Duration
}

// SocketInfo describes a socket of the namespace, on this node or another.
type SocketInfo struct {
	ID        string
	Handshake Handshake
	Rooms     []Room
	Data      any
}

// AckResult is one client's answer to a broadcast with acknowledgement.
type AckResult struct {
	SocketID string
	Args     []parser.Value
}

// SessionState is what connection state recovery keeps of a disconnected
// socket: its id, private session id, rooms and data.
type SessionState struct {
	SID   string
	PID   string
	Rooms []Room
	Data  any
}

// An Adapter keeps the rooms of a namespace and carries its broadcasts. The
// default is the in-memory adapter (one node); a Redis adapter carries them
// between nodes. Methods are called concurrently.
//
// Broadcast receives the packet, not encoded frames, so that an adapter for
// several nodes can forward it; delivery to local sockets goes through
// LocalAdapter, which encodes the packet once for all of them.
type Adapter interface {
	// AddAll puts socket id in rooms. It does not check
	// ServerOptions.MaxRoomsPerSocket: Socket.Join does, before calling it.
	AddAll(id string, rooms ...Room)
	// Del takes socket id out of room.
	Del(id string, room Room)
	// DelAll takes socket id out of every room.
	DelAll(id string)
	// SocketRooms returns the rooms of a local socket.
	SocketRooms(id string) []Room
	// Rooms returns the rooms that have local sockets.
	Rooms() []Room
	// AllRooms returns the rooms that have sockets on any node.
	AllRooms(ctx context.Context) ([]Room, error)

	// Broadcast sends p to the sockets opts selects, on every node.
	Broadcast(p *parser.Packet, opts BroadcastOptions) error
	// BroadcastWithAck sends p (which carries an ack id) and calls onAck for
	// every answer, until every recipient answered or ctx ends. It returns
	// the number of recipients.
	BroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions, onAck func(AckResult)) (int, error)

	// FetchSockets returns the sockets opts selects, on every node.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error)
	// AddSockets makes the sockets opts selects join rooms.
	AddSockets(opts BroadcastOptions, rooms []Room) error
	// DelSockets makes the sockets opts selects leave rooms.
	DelSockets(opts BroadcastOptions, rooms []Room) error
	// DisconnectSockets disconnects the sockets opts selects.
	DisconnectSockets(opts BroadcastOptions, close bool) error

	// ServerSideEmit sends an event to the other nodes' namespaces. With
	// onAck non-nil it waits for their answers until ctx ends.
	ServerSideEmit(ctx context.Context, args []any, onAck func([]parser.Value)) error
	// ServerCount returns the number of nodes.
	ServerCount(ctx context.Context) (int, error)

	// PersistSession keeps a disconnected socket's state for recovery.
	PersistSession(s SessionState)
	// RestoreSession returns the state kept for pid and the packets the
	// socket missed since offset, or ok=false.
	RestoreSession(pid, offset string) (s SessionState, missed []*parser.Packet, ok bool)

	// Close releases the adapter's resources.
	Close() error
}

// A SessionResumer is an Adapter that restores a session in steps, so that
// a recovered socket gets each broadcast it missed exactly once, and before
// any live one, and so that a session whose socket is not admitted stays
// for the client to retry. When the adapter is one, the server uses these
// methods instead of RestoreSession. MemoryAdapter is one, and so is an
// adapter that embeds it (the Redis adapter), provided its local
// deliveries of kept packets go through MemoryAdapter.Broadcast.
//
// With RestoreSession alone, the missed packets are those stored before
// the CONNECT; a broadcast made between the CONNECT and the socket's
// admission (which its middleware may delay) reaches it neither way, and
// the session is used up even when a middleware refuses the socket.
type SessionResumer interface {
	// TakeSession returns the state kept for pid, or ok=false if there is
	// none, offset is no longer stored, or another CONNECT has taken it
	// and its admission is not decided: at most one socket recovers a
	// session. The server calls it at CONNECT, before the middleware,
	// then either ResumeSession or ReleaseSession.
	TakeSession(pid, offset string) (s SessionState, ok bool)
	// ResumeSession admits a socket whose session s TakeSession returned,
	// and consumes the session: it calls join with the packets stored
	// after offset that a socket in s.Rooms was a recipient of, in the
	// order they were stored, while no broadcast of the adapter is between
	// choosing its recipients and queuing its packet to them. join
	// connects the socket (joins its rooms, queues the packets, makes it a
	// recipient), so that every broadcast is either among the packets or
	// reaches it live, after them. join calls the adapter's AddAll: an
	// AddAll that broadcasts through the adapter would wait for itself.
	//
	// It returns false, without calling join, when what the socket missed
	// can no longer be told (a packet stored after offset has been pruned
	// meanwhile: the middleware outlasted the recovery window).
	ResumeSession(s SessionState, offset string, join func(missed []*parser.Packet)) bool
	// ReleaseSession gives back the session of pid, which TakeSession
	// returned, when its socket is not admitted (a middleware refused it,
	// or its connection closed first): it is kept as before, until the end
	// of its window, so that the client can retry and recover.
	ReleaseSession(pid string)
}

// AdapterFactory makes the adapter of a namespace. ServerOptions.Adapter is
// one; nil means NewMemoryAdapter.
type AdapterFactory func(nsp *Namespace) Adapter
