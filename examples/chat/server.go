package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/siogen/siogen/generated/chatapp"
	"github.com/siogen/siogen/runtime/socketio"
)

// Defaults of the chat server's limits.
const (
	// DefaultHistory is how many recent messages a room keeps (and a join acks).
	DefaultHistory = 50
	// DefaultHistoryImageBytes bounds the image bytes a room's history keeps:
	// a join acks the whole history in one packet, which must fit the
	// server's per-connection write queue (4 MiB by default).
	DefaultHistoryImageBytes = 2 << 20
	// DefaultBurst messages may be sent at once; then one per DefaultRefill.
	DefaultBurst  = 5
	DefaultRefill = time.Second
	// MaxNameLength is the longest display name (the demo token).
	MaxNameLength = 32
)

// DefaultRooms are the rooms of a new server.
var DefaultRooms = []chatapp.Room{
	{ID: "general", Title: "General"},
	{ID: "random", Title: "Random"},
	{ID: "help", Title: "Help"},
}

// Config configures a chat server; the zero value uses the defaults above.
type Config struct {
	Rooms             []chatapp.Room
	History           int
	HistoryImageBytes int
	Burst             int
	Refill            time.Duration
	Logger            *slog.Logger
	Now               func() time.Time // for tests
}

// chatServer implements chatapp.ChatHandler: rooms with recent history,
// presence, typing indicators, rate limiting. Everything is in memory.
type chatServer struct {
	chatapp.UnimplementedChatHandler // new events answer "unimplemented"

	cfg  Config
	emit *chatapp.ChatEmitter
	log  *slog.Logger

	mu     sync.Mutex
	rooms  map[chatapp.RoomID]*room
	order  []chatapp.RoomID
	nextID int64
}

type room struct {
	info       chatapp.Room
	history    []chatapp.Message // oldest first
	imageBytes int
	members    map[string]chatapp.User // by socket id
}

// user is what a connected socket's Data holds.
type user struct {
	chatapp.User

	mu     sync.Mutex
	tokens float64   // rate limiter: a token bucket
	last   time.Time // when tokens was computed
}

// newChatServer registers the /chat namespace on srv.
func newChatServer(srv *socketio.Server, cfg Config) *chatServer {
	if cfg.Rooms == nil {
		cfg.Rooms = DefaultRooms
	}
	cfg.History = cmp.Or(cfg.History, DefaultHistory)
	cfg.HistoryImageBytes = cmp.Or(cfg.HistoryImageBytes, DefaultHistoryImageBytes)
	cfg.Burst = cmp.Or(cfg.Burst, DefaultBurst)
	cfg.Refill = cmp.Or(cfg.Refill, DefaultRefill)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &chatServer{
		cfg:   cfg,
		emit:  chatapp.NewChatEmitter(srv),
		log:   cfg.Logger,
		rooms: map[chatapp.RoomID]*room{},
	}
	for _, r := range cfg.Rooms {
		r.Members = 0
		h.rooms[r.ID] = &room{info: r, members: map[string]chatapp.User{}}
		h.order = append(h.order, r.ID)
	}
	chatapp.NewChatNamespace(srv, h, socketio.WithLogger(cfg.Logger))
	return h
}

// checkName validates a display name (the demo token) and returns it trimmed.
func checkName(token string) (string, error) {
	name := strings.TrimSpace(token)
	switch {
	case name == "":
		return "", fmt.Errorf("invalid token: it is empty (the demo token is your display name)")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", fmt.Errorf("invalid token: a name has at most %d characters", MaxNameLength)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", fmt.Errorf("invalid token: it contains unprintable characters")
	}
	return name, nil
}

// Connect authenticates: the demo token is the user's display name.
func (h *chatServer) Connect(ctx context.Context, s *chatapp.ChatSocket, auth *chatapp.ChatAuth) error {
	name, err := checkName(auth.Token)
	if err != nil {
		h.log.Info("connection refused", "socket", s.ID(), "err", err)
		return socketio.NewConnectError(err.Error(), map[string]string{"code": "invalid_token"})
	}
	s.SetData(&user{User: chatapp.User{ID: chatapp.UserID(s.ID()), Name: name}, tokens: float64(h.cfg.Burst), last: h.cfg.Now()})
	h.log.Info("connected", "socket", s.ID(), "name", name, "transport", transportOf(s))
	return nil
}

func transportOf(s *chatapp.ChatSocket) string {
	return s.Handshake().Query.Get("transport")
}

func userOf(s *chatapp.ChatSocket) *user { return s.Data().(*user) }

// Hello returns the user and the rooms.
func (h *chatServer) Hello(ctx context.Context, s *chatapp.ChatSocket) (*chatapp.ChatHelloAck, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &chatapp.ChatHelloAck{User: userOf(s).User, Rooms: h.roomListLocked()}, nil
}

func (h *chatServer) roomListLocked() []chatapp.Room {
	rooms := make([]chatapp.Room, 0, len(h.order))
	for _, id := range h.order {
		rooms = append(rooms, h.rooms[id].infoLocked())
	}
	return rooms
}

func (r *room) infoLocked() chatapp.Room {
	info := r.info
	info.Members = int32(len(r.members))
	return info
}

func (r *room) membersLocked() []chatapp.User {
	users := make([]chatapp.User, 0, len(r.members))
	for _, u := range r.members {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b chatapp.User) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(string(a.ID), string(b.ID)))
	})
	return users
}

// Join puts the socket in a room and acks the room's recent history and members.
func (h *chatServer) Join(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatJoinPayload) (*chatapp.ChatJoinAck, error) {
	u := userOf(s)
	h.mu.Lock()
	r := h.rooms[p.Room]
	if r == nil {
		h.mu.Unlock()
		return nil, socketio.NewAckError(chatapp.CodeNoSuchRoom, fmt.Sprintf("there is no room %q", p.Room))
	}
	if err := s.Join(string(p.Room)); err != nil {
		h.mu.Unlock()
		return nil, err // socketio.ErrTooManyRooms: the client gets code "internal"
	}
	_, already := r.members[s.ID()]
	r.members[s.ID()] = u.User
	// Never a nil slice: it would be sent as null, not [] (see docs/chat.md).
	history := append(make([]chatapp.Message, 0, len(r.history)), r.history...)
	ack := &chatapp.ChatJoinAck{Room: r.infoLocked(), History: history, Members: r.membersLocked()}
	rooms := h.roomListLocked()
	h.mu.Unlock()

	if !already {
		h.log.Info("joined", "room", p.Room, "name", u.Name, "socket", s.ID())
		h.broadcast(h.emit.To(string(p.Room)).Except(s.ID()).Presence(ctx, &chatapp.ChatPresencePayload{Room: p.Room, User: u.User, State: chatapp.PresenceOnline}))
		h.broadcast(h.emit.RoomList(ctx, &chatapp.ChatRoomListPayload{Rooms: rooms}))
	}
	return ack, nil
}

// Leave takes the socket out of a room.
func (h *chatServer) Leave(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatLeavePayload) error {
	h.leave(ctx, s, p.Room)
	return nil
}

func (h *chatServer) leave(ctx context.Context, s *chatapp.ChatSocket, id chatapp.RoomID) {
	u := userOf(s)
	h.mu.Lock()
	r := h.rooms[id]
	if r == nil {
		h.mu.Unlock()
		return
	}
	if _, ok := r.members[s.ID()]; !ok {
		h.mu.Unlock()
		return
	}
	delete(r.members, s.ID())
	s.Leave(string(id))
	rooms := h.roomListLocked()
	h.mu.Unlock()

	h.log.Info("left", "room", id, "name", u.Name, "socket", s.ID())
	h.broadcast(h.emit.To(string(id)).Presence(ctx, &chatapp.ChatPresencePayload{Room: id, User: u.User, State: chatapp.PresenceOffline}))
	h.broadcast(h.emit.RoomList(ctx, &chatapp.ChatRoomListPayload{Rooms: rooms}))
}

// allow takes a token from the user's bucket.
func (u *user) allow(now time.Time, burst int, refill time.Duration) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.tokens = min(float64(burst), u.tokens+float64(now.Sub(u.last))/float64(refill))
	u.last = now
	if u.tokens < 1 {
		return false
	}
	u.tokens--
	return true
}

// Send stores a message in the room's history, sends it to the room's other
// members and acks it to the sender.
func (h *chatServer) Send(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatSendPayload) (*chatapp.Message, error) {
	u := userOf(s)
	if strings.TrimSpace(string(p.Text)) == "" && p.Image == nil {
		return nil, socketio.NewAckError(socketio.CodeInvalidArgument, "a message needs text or an image")
	}
	now := h.cfg.Now()
	h.mu.Lock()
	r := h.rooms[p.Room]
	if r == nil {
		h.mu.Unlock()
		return nil, socketio.NewAckError(chatapp.CodeNotInRoom, "")
	}
	if _, ok := r.members[s.ID()]; !ok {
		h.mu.Unlock()
		return nil, socketio.NewAckError(chatapp.CodeNotInRoom, "")
	}
	if !u.allow(now, h.cfg.Burst, h.cfg.Refill) {
		h.mu.Unlock()
		h.log.Info("rate limited", "name", u.Name, "socket", s.ID())
		return nil, socketio.NewAckError(chatapp.CodeRateLimited, "")
	}
	h.nextID++
	m := chatapp.Message{
		ID:     fmt.Sprintf("m%d", h.nextID),
		Room:   p.Room,
		Author: u.User,
		Text:   p.Text,
		Image:  p.Image,
		SentAt: now.UTC().Truncate(time.Millisecond),
	}
	r.add(m, h.cfg.History, h.cfg.HistoryImageBytes)
	h.mu.Unlock()

	attrs := []any{"room", p.Room, "name", u.Name, "id", m.ID, "chars", utf8.RuneCountInString(string(m.Text))}
	if m.Image != nil {
		attrs = append(attrs, "image", m.Image.Type, "bytes", len(m.Image.Data))
	}
	h.log.Info("message", attrs...)
	h.broadcast(h.emit.To(string(p.Room)).Except(s.ID()).Message(ctx, &m))
	return &m, nil
}

// add appends m to the history and drops the oldest messages beyond the limits.
func (r *room) add(m chatapp.Message, limit, imageBytes int) {
	r.history = append(r.history, m)
	if m.Image != nil {
		r.imageBytes += len(m.Image.Data)
	}
	drop := 0
	for len(r.history)-drop > limit || (r.imageBytes > imageBytes && drop < len(r.history)) {
		if img := r.history[drop].Image; img != nil {
			r.imageBytes -= len(img.Data)
		}
		drop++
	}
	if drop > 0 {
		r.history = slices.Delete(r.history, 0, drop)
	}
}

// Typing tells the room's other members that the user started or stopped typing.
func (h *chatServer) Typing(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatTypingPayload) error {
	u := userOf(s)
	h.mu.Lock()
	r := h.rooms[p.Room]
	member := r != nil && r.members[s.ID()] != (chatapp.User{})
	h.mu.Unlock()
	if !member {
		return nil // not an error worth a log line: the client may have just left
	}
	// Volatile: a typing indicator that cannot be delivered now is worthless later.
	return h.emit.To(string(p.Room)).Except(s.ID()).Volatile().UserTyping(ctx, &chatapp.ChatUserTypingPayload{Room: p.Room, User: u.User, Typing: p.Typing})
}

// Disconnect removes the user from its rooms.
func (h *chatServer) Disconnect(s *chatapp.ChatSocket, reason socketio.DisconnectReason) {
	u, ok := s.Data().(*user)
	if !ok {
		return
	}
	h.mu.Lock()
	var left []chatapp.RoomID
	for _, id := range h.order {
		if _, ok := h.rooms[id].members[s.ID()]; ok {
			delete(h.rooms[id].members, s.ID())
			left = append(left, id)
		}
	}
	rooms := h.roomListLocked()
	h.mu.Unlock()

	h.log.Info("disconnected", "name", u.Name, "socket", s.ID(), "reason", reason)
	// The socket's context has ended; a broadcast may block (a cluster adapter publishes).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range left {
		h.broadcast(h.emit.To(string(id)).Presence(ctx, &chatapp.ChatPresencePayload{Room: id, User: u.User, State: chatapp.PresenceOffline}))
	}
	if len(left) > 0 {
		h.broadcast(h.emit.RoomList(ctx, &chatapp.ChatRoomListPayload{Rooms: rooms}))
	}
}

// broadcast logs a failed broadcast (a bug: payloads are built here).
func (h *chatServer) broadcast(err error) {
	if err != nil {
		h.log.Error("broadcast failed", "err", err)
	}
}
