package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/chatapp"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

var quiet = slog.New(slog.DiscardHandler)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting")
	}
	var zero T
	return zero
}

// none checks that nothing arrives on ch for a little while.
func none[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %+v", v)
	case <-time.After(100 * time.Millisecond):
	}
}

// events records what a typed client receives.
type events struct {
	messages chan *chatapp.Message
	presence chan *chatapp.ChatPresencePayload
	typing   chan *chatapp.ChatUserTypingPayload
	rooms    chan *chatapp.ChatRoomListPayload
}

func newEvents() *events {
	return &events{
		messages: make(chan *chatapp.Message, 16),
		presence: make(chan *chatapp.ChatPresencePayload, 16),
		typing:   make(chan *chatapp.ChatUserTypingPayload, 16),
		rooms:    make(chan *chatapp.ChatRoomListPayload, 16),
	}
}

func (e *events) Message(_ context.Context, p *chatapp.Message) error { e.messages <- p; return nil }
func (e *events) Presence(_ context.Context, p *chatapp.ChatPresencePayload) error {
	e.presence <- p
	return nil
}
func (e *events) UserTyping(_ context.Context, p *chatapp.ChatUserTypingPayload) error {
	e.typing <- p
	return nil
}
func (e *events) RoomList(_ context.Context, p *chatapp.ChatRoomListPayload) error {
	e.rooms <- p
	return nil
}

// fakeClock is a settable Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	srv *siotest.Server
}

func newHarness(t *testing.T, cfg Config) *harness {
	srv := siotest.NewServer(t, &socketio.ServerOptions{Logger: quiet})
	cfg.Logger = quiet
	newChatServer(srv.Server, cfg)
	return &harness{srv: srv}
}

// client connects a typed client with token name.
func (h *harness) client(t *testing.T, name string) (chatapp.ChatClient, *events) {
	t.Helper()
	ev := newEvents()
	c := chatapp.NewChatClient(h.srv.Manager(t, nil), &chatapp.ChatAuth{Token: name}, ev)
	if err := c.Connect(ctxT(t)); err != nil {
		t.Fatalf("connect %q: %v", name, err)
	}
	return c, ev
}

func join(t *testing.T, c chatapp.ChatClient, room chatapp.RoomID) *chatapp.ChatJoinAck {
	t.Helper()
	res, err := c.Join(ctxT(t), &chatapp.ChatJoinPayload{Room: room})
	if err != nil {
		t.Fatalf("join %s: %v", room, err)
	}
	return res
}

func names(users []chatapp.User) string {
	var s []string
	for _, u := range users {
		s = append(s, u.Name)
	}
	return strings.Join(s, ",")
}

func TestAuth(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := ctxT(t)
	for _, tc := range []struct {
		name string
		auth *chatapp.ChatAuth
		want string
		code string
	}{
		{"empty", &chatapp.ChatAuth{Token: "  "}, "invalid token: it is empty", "invalid_token"},
		// No auth has no token, which the schema requires: refused before
		// the handler runs.
		{"none", nil, "auth.token is required", socketio.CodeInvalidArgument},
		{"too long", &chatapp.ChatAuth{Token: strings.Repeat("x", 33)}, "at most 32 characters", "invalid_token"},
		{"control", &chatapp.ChatAuth{Token: "a\x00b"}, "unprintable", "invalid_token"},
	} {
		c := chatapp.NewChatClient(h.srv.Manager(t, nil), tc.auth, nil)
		err := c.Connect(ctx)
		var ce *socketio.ConnectError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, tc.want) {
			t.Errorf("%s: got %v, want a ConnectError containing %q", tc.name, err, tc.want)
			continue
		}
		var data struct{ Code string }
		if err := ce.Data.Decode(&data); err != nil || data.Code != tc.code {
			t.Errorf("%s: connect error data %#v, want code %s", tc.name, ce.Data, tc.code)
		}
	}

	c, _ := h.client(t, "  Ann  ")
	hello, err := c.Hello(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hello.User.Name != "Ann" || hello.User.ID != chatapp.UserID(c.Socket().ID()) {
		t.Errorf("hello user = %+v (socket %s)", hello.User, c.Socket().ID())
	}
	if len(hello.Rooms) != 3 || hello.Rooms[0].ID != "general" || hello.Rooms[0].Members != 0 {
		t.Errorf("hello rooms = %+v", hello.Rooms)
	}
}

func TestJoinHistoryAndPresence(t *testing.T) {
	h := newHarness(t, Config{History: 2})
	ctx := ctxT(t)
	ann, annEv := h.client(t, "ann")

	if _, err := ann.Join(ctx, &chatapp.ChatJoinPayload{Room: "nowhere"}); socketio.ErrorCode(err) != chatapp.CodeNoSuchRoom {
		t.Fatalf("join nowhere: got %v, want no_such_room", err)
	}
	if _, err := ann.Join(ctx, &chatapp.ChatJoinPayload{Room: "Not A Room!"}); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("join invalid id: got %v, want invalid_argument", err)
	}

	// An empty history is [] on the wire (the page iterates over it), not null.
	args, err := ann.Socket().EmitWithAck(ctx, chatapp.ChatJoinEvent, map[string]any{"room": "help"})
	if err != nil || len(args) != 1 || !strings.Contains(args[0].String(), `"history":[]`) {
		t.Fatalf("raw join ack: %v, %v", args, err)
	}
	if err := ann.Leave(&chatapp.ChatLeavePayload{Room: "help"}); err != nil {
		t.Fatal(err)
	}
	recv(t, annEv.rooms)
	recv(t, annEv.rooms)

	res := join(t, ann, "general")
	if len(res.History) != 0 || names(res.Members) != "ann" || res.Room.Members != 1 || res.Room.Title != "General" {
		t.Fatalf("first join: %+v", res)
	}
	if rl := recv(t, annEv.rooms); rl.Rooms[0].Members != 1 {
		t.Fatalf("room list after join: %+v", rl)
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: chatapp.Text(text)}); err != nil {
			t.Fatal(err)
		}
	}

	bob, bobEv := h.client(t, "bob")
	res = join(t, bob, "general")
	if len(res.History) != 2 || res.History[0].Text != "two" || res.History[1].Text != "three" || res.History[1].Author.Name != "ann" {
		t.Fatalf("history: %+v", res.History)
	}
	if names(res.Members) != "ann,bob" || res.Room.Members != 2 {
		t.Fatalf("members: %+v", res)
	}
	// ann sees bob arrive; bob does not see himself.
	if p := recv(t, annEv.presence); p.User.Name != "bob" || p.State != chatapp.PresenceOnline || p.Room != "general" {
		t.Fatalf("presence: %+v", p)
	}
	none(t, bobEv.presence)
	// Everyone gets the new member counts.
	if rl := recv(t, bobEv.rooms); rl.Rooms[0].Members != 2 {
		t.Fatalf("room list: %+v", rl)
	}
	// Joining twice is harmless and announces nothing.
	join(t, bob, "general")
	none(t, annEv.presence)

	// Leave, then disconnect: ann sees bob go offline each time.
	if err := bob.Leave(&chatapp.ChatLeavePayload{Room: "general"}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, annEv.presence); p.User.Name != "bob" || p.State != chatapp.PresenceOffline {
		t.Fatalf("presence after leave: %+v", p)
	}
	join(t, bob, "general")
	recv(t, annEv.presence)
	if err := bob.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, annEv.presence); p.User.Name != "bob" || p.State != chatapp.PresenceOffline {
		t.Fatalf("presence after disconnect: %+v", p)
	}
	hello, err := ann.Hello(ctx)
	if err != nil || hello.Rooms[0].Members != 1 {
		t.Fatalf("members after disconnect: %+v, %v", hello, err)
	}
}

func TestSendAndRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)}
	h := newHarness(t, Config{Burst: 2, Refill: time.Minute, Now: clock.Now})
	ctx := ctxT(t)
	ann, annEv := h.client(t, "ann")
	bob, bobEv := h.client(t, "bob")
	carol, carolEv := h.client(t, "carol")
	join(t, ann, "general")
	join(t, bob, "general")
	join(t, carol, "random")

	if _, err := bob.Send(ctx, &chatapp.ChatSendPayload{Room: "random", Text: "hi"}); socketio.ErrorCode(err) != chatapp.CodeNotInRoom {
		t.Fatalf("send to a room not joined: got %v, want not_in_room", err)
	}
	if _, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "  "}); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("empty message: got %v, want invalid_argument", err)
	}

	png := []byte("\x89PNG\r\n\x1a\n fake image bytes \x00\xff")
	img := &chatapp.Image{Name: "dot.png", Type: "image/png", Data: png}
	m, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "look", Image: img})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.Author.Name != "ann" || m.Text != "look" || m.Room != "general" || !m.SentAt.Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("ack: %+v", m)
	}
	got := recv(t, bobEv.messages)
	if got.ID != m.ID || got.Text != "look" || got.Image == nil || got.Image.Type != "image/png" || !bytes.Equal(got.Image.Data, png) {
		t.Fatalf("bob got %+v", got)
	}
	none(t, annEv.messages)   // not sent back to the author
	none(t, carolEv.messages) // another room

	// An invalid image never leaves the client, and the server checks it too.
	bad := &chatapp.Image{Name: "x.svg", Type: "image/svg+xml", Data: []byte("<svg/>")}
	if _, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Image: bad}); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("svg: got %v, want invalid_argument", err)
	}
	args, err := ann.Socket().EmitWithAck(ctx, chatapp.ChatSendEvent, map[string]any{"room": "general", "text": "x", "image": bad})
	if _, err := socketio.DecodeAck[chatapp.Message](args, err, nil, false); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("svg sent untyped: got %v, want invalid_argument", err)
	}

	// Burst 2: the second message passes, the third is rate limited.
	if _, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "two"}); err != nil {
		t.Fatal(err)
	}
	recv(t, bobEv.messages)
	_, err = ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "three"})
	var ae *socketio.AckError
	if !errors.As(err, &ae) || ae.Code != chatapp.CodeRateLimited || ae.Message != "Too many messages; wait a moment and retry." {
		t.Fatalf("third: got %v, want rate_limited", err)
	}
	none(t, bobEv.messages)
	// Others are not limited by ann's bucket; ann's refills with time.
	if _, err := bob.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "me too"}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if _, err := ann.Send(ctx, &chatapp.ChatSendPayload{Room: "general", Text: "three"}); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	// The rejected message is not in the history.
	var texts []string
	for _, m := range join(t, carol, "general").History {
		texts = append(texts, string(m.Text))
	}
	if strings.Join(texts, "|") != "look|two|me too|three" {
		t.Fatalf("history: %q", texts)
	}
}

func TestTyping(t *testing.T) {
	h := newHarness(t, Config{})
	ann, annEv := h.client(t, "ann")
	bob, bobEv := h.client(t, "bob")
	carol, carolEv := h.client(t, "carol")
	join(t, ann, "general")
	join(t, bob, "general")
	join(t, carol, "help")

	if err := ann.Typing(&chatapp.ChatTypingPayload{Room: "general", Typing: true}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, bobEv.typing); p.User.Name != "ann" || !p.Typing || p.Room != "general" {
		t.Fatalf("typing: %+v", p)
	}
	if err := ann.Typing(&chatapp.ChatTypingPayload{Room: "general", Typing: false}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, bobEv.typing); p.Typing {
		t.Fatalf("stopped typing: %+v", p)
	}
	// Typing in a room one has not joined goes nowhere.
	if err := carol.Typing(&chatapp.ChatTypingPayload{Room: "general", Typing: true}); err != nil {
		t.Fatal(err)
	}
	none(t, bobEv.typing)
	none(t, annEv.typing)
	none(t, carolEv.typing)
}

func TestHistoryImageBudget(t *testing.T) {
	r := &room{}
	img := func(n int) *chatapp.Image { return &chatapp.Image{Data: make([]byte, n)} }
	r.add(chatapp.Message{ID: "a", Image: img(600)}, 10, 1000)
	r.add(chatapp.Message{ID: "b"}, 10, 1000)
	r.add(chatapp.Message{ID: "c", Image: img(600)}, 10, 1000) // 1200 > 1000: a goes
	if len(r.history) != 2 || r.history[0].ID != "b" || r.imageBytes != 600 {
		t.Fatalf("after budget: %d messages from %s, %d bytes", len(r.history), r.history[0].ID, r.imageBytes)
	}
	r.add(chatapp.Message{ID: "d"}, 2, 1000) // limit 2: b goes
	if len(r.history) != 2 || r.history[0].ID != "c" {
		t.Fatalf("after limit: %+v", r.history)
	}
}

// TestRun serves the page and Socket.IO on one listener and shuts down
// gracefully when the context ends, disconnecting the clients.
func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, Config{Logger: quiet}) }()
	base := "http://" + ln.Addr().String()

	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	for path, want := range map[string]string{"/": "<title>siogen chat</title>", "/dist/app.js": "Code generated by esbuild", "/style.css": ":root"} {
		res, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body without %q", path, res.StatusCode, want)
		}
	}

	m := socketio.NewManager(base, &socketio.ManagerOptions{HTTPClient: hc})
	defer m.Close()
	c := chatapp.NewChatClient(m, &chatapp.ChatAuth{Token: "ann"}, nil)
	gone := make(chan socketio.DisconnectReason, 1)
	c.Socket().OnDisconnect(func(r socketio.DisconnectReason) { gone <- r })
	cctx := ctxT(t)
	if err := c.Connect(cctx); err != nil {
		t.Fatal(err)
	}
	join(t, c, "general")

	cancel()
	start := time.Now()
	if err := recv(t, done); err != nil {
		t.Fatalf("run: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	// As with Node's io.close(), the connection is closed (no DISCONNECT
	// packet): the client sees "transport close" and would reconnect.
	if r := recv(t, gone); r != socketio.ReasonTransportClose && r != socketio.ReasonTransportError {
		t.Fatalf("client disconnected with %q, want transport close or error", r)
	}
}
