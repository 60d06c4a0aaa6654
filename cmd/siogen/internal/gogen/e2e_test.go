package gogen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/chat"
	"github.com/siogen/siogen/generated/events"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/internal/syncbuf"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for a value on ch.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
	}
	var zero T
	return zero
}

// ---- /chat ----

type chatServer struct {
	chat.UnimplementedChatHandler
	srv     *socketio.Server
	typing  chan chat.RoomID
	ctxDone chan error
}

func (h *chatServer) Connect(ctx context.Context, s *chat.ChatSocket, auth *chat.ChatAuth) error {
	if auth.Token != "secret" {
		return socketio.NewConnectError("unauthorized", nil)
	}
	s.SetData("user-" + s.ID())
	return nil
}

func (h *chatServer) Join(ctx context.Context, s *chat.ChatSocket, p *chat.ChatJoinPayload) (*chat.ChatJoinAck, error) {
	s.Join(string(p.Room))
	return &chat.ChatJoinAck{History: []chat.Message{{ID: "m0", Room: p.Room, Text: "welcome"}}}, nil
}

func (h *chatServer) Send(ctx context.Context, s *chat.ChatSocket, p *chat.ChatSendPayload) (*chat.Message, error) {
	switch p.Text {
	case "spam":
		return nil, socketio.NewAckError(chat.CodeRateLimited, "")
	case "boom":
		return nil, errors.New("database password is hunter2")
	// Handler mistakes (TestChatHandlerMistakes).
	case "bad-ack":
		return &chat.Message{ID: "m2", Room: chat.RoomID(strings.Repeat("r", 65)), Text: "x"}, nil
	case "nil-ack":
		return nil, nil
	case "made-up-code":
		return nil, socketio.NewAckError("made_up", "secret detail")
	case "builtin-code":
		return nil, socketio.NewAckError(socketio.CodeUnimplemented, "not yet")
	case "slow": // TestChatClientOptionsAndContext
		select {
		case <-ctx.Done():
			h.ctxDone <- ctx.Err()
		case <-time.After(10 * time.Second):
		}
		return nil, ctx.Err()
	}
	m := &chat.Message{ID: "m1", Room: p.Room, Author: chat.User{ID: s.ID(), Name: "ann"}, Text: p.Text,
		Files: [][]byte{{0, 1, 2, 255}}, SentAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	// Broadcast to the room, through the typed emitter.
	if err := chat.NewChatEmitter(h.srv).To(string(p.Room)).Except(s.ID()).Message(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

func (h *chatServer) Typing(ctx context.Context, s *chat.ChatSocket, p *chat.ChatTypingPayload) error {
	h.typing <- p.Room
	return nil
}

type chatClientHandler struct {
	chat.UnimplementedChatClientHandler
	messages chan *chat.Message
}

func (h *chatClientHandler) Message(ctx context.Context, p *chat.Message) error {
	h.messages <- p
	return nil
}

func TestChatEndToEnd(t *testing.T) {
	srv := siotest.NewServer(t, nil)
	h := &chatServer{srv: srv.Server, typing: make(chan chat.RoomID, 4)}
	chat.NewChatNamespace(srv.Server, h)
	ctx := ctxT(t)

	// Refused auth.
	bad := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "nope"}, nil)
	var ce *socketio.ConnectError
	if err := bad.Connect(ctx); !errors.As(err, &ce) || ce.Message != "unauthorized" {
		t.Fatalf("bad auth: got %v, want ConnectError unauthorized", err)
	}

	ha := &chatClientHandler{messages: make(chan *chat.Message, 4)}
	hb := &chatClientHandler{messages: make(chan *chat.Message, 4)}
	a := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, ha)
	b := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, hb)
	for _, c := range []chat.ChatClient{a, b} {
		if c.Connected() || c.ID() != "" {
			t.Fatalf("before Connect: connected %v, id %q", c.Connected(), c.ID())
		}
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		if !c.Connected() || c.ID() == "" || c.ID() != c.Socket().ID() {
			t.Fatalf("after Connect: connected %v, id %q (socket's %q)", c.Connected(), c.ID(), c.Socket().ID())
		}
		hist, err := c.Join(ctx, &chat.ChatJoinPayload{Room: "lobby"})
		if err != nil || len(hist.History) != 1 || hist.History[0].Text != "welcome" {
			t.Fatalf("join: %+v, %v", hist, err)
		}
	}

	// Payload + ack + binary field + time.
	m, err := a.Send(ctx, &chat.ChatSendPayload{Room: "lobby", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "hi" || len(m.Files) != 1 || !bytes.Equal(m.Files[0], []byte{0, 1, 2, 255}) || !m.SentAt.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("send: got %+v", m)
	}
	// Broadcast via the emitter reached b (binary included), not a.
	got := recv(t, hb.messages)
	if got.Text != "hi" || got.Author.Name != "ann" || !bytes.Equal(got.Files[0], []byte{0, 1, 2, 255}) {
		t.Fatalf("broadcast: got %+v", got)
	}
	select {
	case x := <-ha.messages:
		t.Fatalf("sender got its own broadcast %+v", x)
	default:
	}

	// A declared error code, with the schema's description as message.
	_, err = a.Send(ctx, &chat.ChatSendPayload{Room: "lobby", Text: "spam"})
	if socketio.ErrorCode(err) != chat.CodeRateLimited || !errors.Is(err, &socketio.AckError{Code: chat.CodeRateLimited}) {
		t.Fatalf("spam: got %v", err)
	}
	var ae *socketio.AckError
	if !errors.As(err, &ae) || ae.Message != "Too many messages; retry later." {
		t.Fatalf("spam message: %v", err)
	}
	// A plain error is internal, without its text.
	_, err = a.Send(ctx, &chat.ChatSendPayload{Room: "lobby", Text: "boom"})
	if socketio.ErrorCode(err) != socketio.CodeInternal || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("boom: got %v", err)
	}

	// The client refuses to send an invalid payload.
	long := chat.RoomID(strings.Repeat("r", 65))
	_, err = a.Send(ctx, &chat.ChatSendPayload{Room: long, Text: "x"})
	var ve *socketio.ValidationError
	if socketio.ErrorCode(err) != socketio.CodeInvalidArgument || !errors.As(err, &ve) || ve.Path != "room" {
		t.Fatalf("invalid send: got %v", err)
	}
	if err := a.Typing(&chat.ChatTypingPayload{Room: long}); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("invalid typing: got %v", err)
	}

	// The server rejects an invalid payload sent by an untyped client with
	// invalid_argument, before the handler runs.
	raw := a.Socket()
	args, err := raw.EmitWithAck(ctx, chat.ChatSendEvent, map[string]any{"room": string(long), "text": "x"})
	_, err = socketio.DecodeAck[chat.Message](args, err, nil, false)
	if !errors.As(err, &ae) || ae.Code != socketio.CodeInvalidArgument || !strings.Contains(ae.Message, "room has 65 characters") {
		t.Fatalf("server validation: got %v", err)
	}
	args, err = raw.EmitWithAck(ctx, chat.ChatSendEvent, "not an object")
	if _, err = socketio.DecodeAck[chat.Message](args, err, nil, false); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("server decoding: got %v", err)
	}
	// An invalid event without ack is dropped; a valid one arrives.
	if err := raw.Emit(chat.ChatTypingEvent, map[string]any{"room": string(long)}); err != nil {
		t.Fatal(err)
	}
	if err := a.Typing(&chat.ChatTypingPayload{Room: "lobby"}); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, h.typing); r != "lobby" {
		t.Fatalf("typing: got %q (the invalid one should have been dropped)", r)
	}
	if err := a.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if a.Connected() || a.ID() != "" {
		t.Fatalf("after Disconnect: connected %v, id %q", a.Connected(), a.ID())
	}
	_ = b.Disconnect()
}

// ---- /workspace/{id} and / ----

type workspaceServer struct {
	events.UnimplementedWorkspaceHandler // Ping is left unimplemented
	sockets                              chan *events.WorkspaceSocket
	left                                 chan string
	disconnected                         chan socketio.DisconnectReason
}

func (h *workspaceServer) Connect(ctx context.Context, s *events.WorkspaceSocket, auth *events.WorkspaceAuth) error {
	if auth.Token != "0123456789" {
		return socketio.NewAckError("unauthenticated", "bad token")
	}
	return nil
}

func (h *workspaceServer) Open(ctx context.Context, s *events.WorkspaceSocket, p events.DocID) (*events.Doc, error) {
	if p == "doc_00000005" { // slow
		time.Sleep(200 * time.Millisecond)
	}
	if p != "doc_0000000a" {
		return nil, socketio.NewAckError(events.CodeNotFound, "")
	}
	// The namespace parameter is available to the handler.
	return &events.Doc{ID: p, Title: "in workspace " + s.Params().ID, Version: 3}, nil
}

func (h *workspaceServer) Move(ctx context.Context, s *events.WorkspaceSocket, arg1 events.DocID, x, y float64, opts *events.WorkspaceMoveOpts, arg5 *string) (bool, error) {
	return arg1 == "doc_0000000a" && x == 1.5 && y == -2 && opts.Snap && arg5 != nil && *arg5 == "note", nil
}

// Note echoes its payload; nothing (null or absent) is answered with "none".
func (h *workspaceServer) Note(ctx context.Context, s *events.WorkspaceSocket, p json.RawMessage) (json.RawMessage, error) {
	if p == nil {
		return json.RawMessage(`"none"`), nil
	}
	return p, nil
}

// Recent has nothing to list: it answers a nil slice.
func (h *workspaceServer) Recent(ctx context.Context, s *events.WorkspaceSocket) ([]events.DocID, error) {
	return nil, nil
}

// Outline answers, per heading, the documents of its section: none (a nil
// list) for an empty section.
func (h *workspaceServer) Outline(ctx context.Context, s *events.WorkspaceSocket, p [][]string) (map[string][]events.DocID, error) {
	r := map[string][]events.DocID{}
	for i, sec := range p {
		var docs []events.DocID
		for range sec {
			docs = append(docs, events.DocID(fmt.Sprintf("doc_%08x", i)))
		}
		r[fmt.Sprint(i)] = docs
	}
	return r, nil
}

func (h *workspaceServer) Leave(ctx context.Context, s *events.WorkspaceSocket) error {
	h.left <- s.ID()
	h.sockets <- s
	return nil
}

func (h *workspaceServer) Disconnect(s *events.WorkspaceSocket, reason socketio.DisconnectReason) {
	h.disconnected <- reason
}

type workspaceClientHandler struct {
	events.UnimplementedWorkspaceClientHandler
	cursors chan [3]any
	grids   chan map[string][]int32
}

func (h *workspaceClientHandler) Grid(ctx context.Context, p map[string][]int32) error {
	h.grids <- p
	return nil
}

func (h *workspaceClientHandler) Confirm(ctx context.Context, p string) (events.WorkspaceConfirmAck, error) {
	if p == "delete?" {
		return events.WorkspaceConfirmAckYes, nil
	}
	return events.WorkspaceConfirmAckNo, nil
}

func (h *workspaceClientHandler) Cursor(ctx context.Context, arg1 events.DocID, arg2, arg3 int32) error {
	h.cursors <- [3]any{arg1, arg2, arg3}
	return nil
}

type mainClientHandler struct {
	events.UnimplementedMainClientHandler
	got chan string
}

func (h *mainClientHandler) Announcement(ctx context.Context, p string) error {
	h.got <- p
	return nil
}

// What a handler returns is held to the schema like what a client sends:
// an ack that fails validation, or an error code not declared for the event,
// is logged and answered internal (the peer's generated types allow neither).
func TestChatHandlerMistakes(t *testing.T) {
	var logs syncbuf.Buffer
	srv := siotest.NewServer(t, &socketio.ServerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	chat.NewChatNamespace(srv.Server, &chatServer{srv: srv.Server})
	ctx := ctxT(t)
	c := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, code, message, log string
	}{
		{"bad-ack", socketio.CodeInternal, "internal error", `the ack does not match the schema: room has 65 characters, more than maxLength 64`},
		{"nil-ack", socketio.CodeInternal, "internal error", `the ack does not match the schema: value is required`},
		{"made-up-code", socketio.CodeInternal, "internal error", `error code \"made_up\" is not declared for the event (declared: [\"rate_limited\"] and the built-in ones)`},
		{"builtin-code", socketio.CodeUnimplemented, "not yet", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			_, err := c.Send(ctx, &chat.ChatSendPayload{Room: "lobby", Text: tc.text})
			var ae *socketio.AckError
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.Message != tc.message {
				t.Fatalf("got %#v, want code %s message %q", err, tc.code, tc.message)
			}
			if tc.log != "" && !strings.Contains(logs.String(), tc.log) {
				t.Fatalf("the server's log lacks %s:\n%s", tc.log, logs.String())
			}
		})
	}
	// The undeclared code's own message is logged, not sent.
	if !strings.Contains(logs.String(), "secret detail") {
		t.Fatalf("the log lacks the handler's error: %s", logs.String())
	}
}

// WithClientSocketOptions reaches the generated client's socket (here its
// AckTimeout), and a handler's ctx ends when its socket disconnects.
func TestChatClientOptionsAndContext(t *testing.T) {
	srv := siotest.NewServer(t, nil)
	h := &chatServer{srv: srv.Server, ctxDone: make(chan error, 1)}
	chat.NewChatNamespace(srv.Server, h)
	c := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, nil,
		socketio.WithClientSocketOptions(socketio.ClientSocketOptions{AckTimeout: 100 * time.Millisecond}))
	if err := c.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Send(ctxT(t), &chat.ChatSendPayload{Room: "lobby", Text: "slow"})
	if socketio.ErrorCode(err) != socketio.CodeTimeout || !errors.Is(err, socketio.ErrAckTimeout) {
		t.Fatalf("Send = %v, want code timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timed out after %v: not the client's AckTimeout", d)
	}
	// The handler still waits on its ctx, which the disconnect ends.
	if err := c.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, h.ctxDone); !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx.Err() = %v, want context.Canceled", err)
	}
}

func TestWorkspaceEndToEnd(t *testing.T) {
	srv := siotest.NewServer(t, nil)
	h := &workspaceServer{sockets: make(chan *events.WorkspaceSocket, 1), left: make(chan string, 1), disconnected: make(chan socketio.DisconnectReason, 1)}
	events.NewWorkspaceNamespace(srv.Server, h)
	events.NewMainNamespace(srv.Server, events.UnimplementedMainHandler{})
	ctx := ctxT(t)
	m := srv.Manager(t, nil)

	// Bad namespace parameters are refused locally.
	if _, err := events.NewWorkspaceClient(m, events.WorkspaceParams{ID: "a/b"}, nil, nil); !errors.Is(err, socketio.ErrBadNamespaceParam) {
		t.Fatalf("bad param: %v", err)
	}
	// Auth: the client validates it (minLength 10) before connecting...
	short, err := events.NewWorkspaceClient(m, events.WorkspaceParams{ID: "42"}, &events.WorkspaceAuth{Token: "short"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := short.Connect(ctx); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("short token: %v", err)
	}
	// ...the server validates it too (an untyped client), and the handler refuses with a code.
	for _, tc := range []struct{ token, code string }{{"short", socketio.CodeInvalidArgument}, {"9999999999", "unauthenticated"}} {
		rawc := srv.Manager(t, nil).Socket("/workspace/42", &socketio.ClientSocketOptions{Auth: map[string]any{"token": tc.token}})
		var ce *socketio.ConnectError
		err := rawc.Connect(ctx)
		var data socketio.AckError
		if !errors.As(err, &ce) || ce.Data.Decode(&data) != nil || data.Code != tc.code {
			t.Fatalf("token %q: got %v (data %+v), want code %s", tc.token, err, data, tc.code)
		}
	}

	hc := &workspaceClientHandler{cursors: make(chan [3]any, 1), grids: make(chan map[string][]int32, 2)}
	m = srv.Manager(t, nil) // a manager keeps one socket per namespace
	c, err := events.NewWorkspaceClient(m, events.WorkspaceParams{ID: "42"}, &events.WorkspaceAuth{Token: "0123456789"}, hc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	mc := events.NewMainClient(m, &mainClientHandler{got: make(chan string, 1)})
	if err := mc.Connect(ctx); err != nil {
		t.Fatal(err)
	}

	// Payload (a named string type) + ack, with the namespace parameter.
	doc, err := c.Open(ctx, "doc_0000000a")
	if err != nil || doc.Title != "in workspace 42" || doc.Version != 3 {
		t.Fatalf("open: %+v, %v", doc, err)
	}
	if _, err := c.Open(ctx, "doc_0000000b"); socketio.ErrorCode(err) != events.CodeNotFound {
		t.Fatalf("open missing: %v", err)
	}
	// Pattern validation on the client.
	if _, err := c.Open(ctx, "nope"); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("open invalid: %v", err)
	}
	// Positional arguments, with an optional last one.
	note := "note"
	ok, err := c.Move(ctx, "doc_0000000a", 1.5, -2, &events.WorkspaceMoveOpts{Snap: true}, &note)
	if err != nil || !ok {
		t.Fatalf("move: %v, %v", ok, err)
	}
	var ve *socketio.ValidationError
	if _, err := c.Move(ctx, "doc_0000000a", -1, 0, &events.WorkspaceMoveOpts{}, nil); !errors.As(err, &ve) || ve.Path != "x" {
		t.Fatalf("move x<0: %v", err)
	}
	if _, err := c.Move(ctx, "doc_0000000a", 1, 0, nil, nil); !errors.As(err, &ve) || ve.Path != "opts" {
		t.Fatalf("move nil opts: %v", err)
	}
	// A payload of type any takes every value, null, and nothing (as an
	// untyped client sends them: emit("note", null), emit("note")).
	if got, err := c.Note(ctx, json.RawMessage(`{"a":1}`)); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("note: %s, %v", got, err)
	}
	for _, args := range [][]any{{nil}, nil} {
		res, err := c.Socket().EmitWithAck(ctx, events.WorkspaceNoteEvent, args...)
		if err != nil || len(res) != 1 || string(res[0].Raw()) != `{"ok":true,"data":"none"}` {
			t.Fatalf("note %v: %v, %v", args, res, err)
		}
	}
	// A required list a handler leaves nil is answered [], not null.
	if res, err := c.Socket().EmitWithAck(ctx, events.WorkspaceRecentEvent); err != nil || len(res) != 1 || string(res[0].Raw()) != `{"ok":true,"data":[]}` {
		t.Fatalf("recent: %v, %v", res, err)
	}
	if docs, err := c.Recent(ctx); err != nil || docs == nil || len(docs) != 0 {
		t.Fatalf("recent: %#v, %v", docs, err)
	}
	// Lists inside a list or map sent whole: a nil one goes as [], not as
	// the null the receiver would refuse (payload from the client, ack from
	// the server, both ways checked by the generated decoders).
	if res, err := c.Socket().EmitWithAck(ctx, events.WorkspaceOutlineEvent, [][]string{{"a"}, {}}); err != nil || len(res) != 1 || string(res[0].Raw()) != `{"ok":true,"data":{"0":["doc_00000000"],"1":[]}}` {
		t.Fatalf("outline (untyped): %v, %v", res, err)
	}
	if got, err := c.Outline(ctx, [][]string{nil, {"b", "c"}}); err != nil || len(got) != 2 || got["0"] == nil || len(got["0"]) != 0 || len(got["1"]) != 2 {
		t.Fatalf("outline: %#v, %v", got, err)
	}
	// An event the handler does not implement.
	if _, err := c.Ping(ctx); socketio.ErrorCode(err) != socketio.CodeUnimplemented {
		t.Fatalf("ping: %v", err)
	}
	// Client-side timeout is code timeout.
	short2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, err := c.Open(short2, "doc_00000005"); socketio.ErrorCode(err) != socketio.CodeTimeout || !errors.Is(err, socketio.ErrAckTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	cancel()

	// An event without args; the handler hands us its socket.
	if err := c.Leave(); err != nil {
		t.Fatal(err)
	}
	recv(t, h.left)
	ts := recv(t, h.sockets)
	if ts.Params().ID != "42" || ts.ID() != c.Socket().ID() {
		t.Fatalf("socket params %+v id %s", ts.Params(), ts.ID())
	}
	// A server-to-client event with an ack, answered by the typed client.
	ans, err := ts.Confirm(ctx, "delete?")
	if err != nil || ans != events.WorkspaceConfirmAckYes {
		t.Fatalf("confirm: %v, %v", ans, err)
	}
	// Broadcast through the emitter of the dynamic namespace.
	if err := events.NewWorkspaceEmitter(srv.Server, events.WorkspaceParams{ID: "42"}).Cursor(ctx, "doc_0000000a", 3, 4); err != nil {
		t.Fatal(err)
	}
	if cur := recv(t, hc.cursors); cur != [3]any{events.DocID("doc_0000000a"), int32(3), int32(4)} {
		t.Fatalf("cursor: %v", cur)
	}
	// The emitter validates too.
	if err := events.NewWorkspaceEmitter(srv.Server, events.WorkspaceParams{ID: "42"}).Cursor(ctx, "bad", 0, 0); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("cursor invalid: %v", err)
	}
	// A required map sent nil arrives as {}, from the socket and from the
	// emitter.
	labels := make(chan string, 2)
	c.Socket().On(events.WorkspaceLabelsEvent, func(e *socketio.Event) { labels <- string(e.Args[0].Raw()) })
	if err := ts.Labels(nil); err != nil {
		t.Fatal(err)
	}
	if err := events.NewWorkspaceEmitter(srv.Server, events.WorkspaceParams{ID: "42"}).Labels(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := recv(t, labels); got != "{}" {
			t.Fatalf("labels: %s", got)
		}
	}
	// The same for an optional map of lists: nil is null, a nil list
	// inside is [].
	c.Socket().On(events.WorkspaceGridEvent, func(e *socketio.Event) { labels <- string(e.Args[0].Raw()) })
	if err := ts.Grid(map[string][]int32{"a": nil, "b": {1}}); err != nil {
		t.Fatal(err)
	}
	if err := events.NewWorkspaceEmitter(srv.Server, events.WorkspaceParams{ID: "42"}).Grid(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"a":[],"b":[1]}`, "null"} {
		if got := recv(t, labels); got != want {
			t.Fatalf("grid: %s, want %s", got, want)
		}
	}
	if g := recv(t, hc.grids); g["a"] == nil || len(g["b"]) != 1 {
		t.Fatalf("grid (typed): %#v", g)
	}
	if g := recv(t, hc.grids); g != nil {
		t.Fatalf("grid nil (typed): %#v", g)
	}
	// Emitting to a workspace nobody joined goes nowhere.
	if err := events.NewWorkspaceEmitter(srv.Server, events.WorkspaceParams{ID: "7"}).Kicked(ctx); err != nil {
		t.Fatal(err)
	}
	// The main namespace's emitter.
	if err := events.NewMainEmitter(srv.Server).Announcement(ctx, "hello"); err != nil {
		t.Fatal(err)
	}

	// Disconnect reaches the handler.
	ts.Disconnect(false)
	if r := recv(t, h.disconnected); r != socketio.ReasonServerNamespaceDisconnect {
		t.Fatalf("disconnect reason %q", r)
	}
	_ = mc.Disconnect()
}

// TestUnimplementedClientAcks: a typed client without a handler answers
// server-to-client acked events with unimplemented.
func TestUnimplementedClientAcks(t *testing.T) {
	srv := siotest.NewServer(t, nil)
	var mu sync.Mutex
	var sock *socketio.Socket
	got := make(chan struct{})
	srv.Of("/workspace/1").OnConnection(func(s *socketio.Socket) {
		mu.Lock()
		sock = s
		mu.Unlock()
		close(got)
	})
	c, err := events.NewWorkspaceClient(srv.Manager(t, nil), events.WorkspaceParams{ID: "1"}, &events.WorkspaceAuth{Token: "0123456789"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	<-got
	mu.Lock()
	s := sock
	mu.Unlock()
	args, err := s.EmitWithAck(ctx, events.WorkspaceConfirmEvent, "ok?")
	if _, err := socketio.DecodeAck[events.WorkspaceConfirmAck](args, err, nil, false); socketio.ErrorCode(err) != socketio.CodeUnimplemented {
		t.Fatalf("got %v", err)
	}
	// Invalid payload from the server: invalid_argument.
	args, err = s.EmitWithAck(ctx, events.WorkspaceConfirmEvent, 42)
	if _, err := socketio.DecodeAck[events.WorkspaceConfirmAck](args, err, nil, false); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("got %v", err)
	}
	_ = c.Disconnect()
	_ = parser.JSON
}

// A required field that a peer leaves out (or sends as null, or, with the
// MessagePack parser, as JavaScript's undefined) is an invalid payload,
// not a zero value: on the server (events and auth) and on the client
// (events and acks).
func TestChatMissingFields(t *testing.T) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			srv := siotest.NewServer(t, &socketio.ServerOptions{Parser: codec})
			chat.NewChatNamespace(srv.Server, &chatServer{srv: srv.Server})
			ctx := ctxT(t)

			// No auth at all: no token.
			noAuth := chat.NewChatClient(srv.Manager(t, nil), nil, nil)
			var ce *socketio.ConnectError
			if err := noAuth.Connect(ctx); !errors.As(err, &ce) || ce.Message != "auth.token is required" {
				t.Fatalf("no auth: got %v", err)
			}

			c := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, nil)
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			raw := c.Socket()
			tests := []struct {
				payload map[string]any
				want    string
			}{
				{map[string]any{"text": "x"}, "room is required"},
				{map[string]any{"room": "lobby", "text": nil}, "text is required"},
				{map[string]any{"room": "lobby", "text": "spam"}, "Too many messages; retry later."}, // complete: the handler runs
			}
			if codec == parser.MessagePack {
				undefined := parser.RawMsgpack([]byte{0xd4, 0, 0})
				tests = append(tests, struct {
					payload map[string]any
					want    string
				}{map[string]any{"room": undefined, "text": "x"}, "room is required"})
			}
			for _, tc := range tests {
				args, err := raw.EmitWithAck(ctx, chat.ChatSendEvent, tc.payload)
				_, err = socketio.DecodeAck[chat.Message](args, err, nil, false)
				var ae *socketio.AckError
				if !errors.As(err, &ae) || ae.Message != tc.want {
					t.Errorf("%v: got %v, want %q", tc.payload, err, tc.want)
				}
			}
		})
	}

	// The client side, against a server that does not follow the schema.
	srv := siotest.NewServer(t, nil)
	srv.Server.Of("/chat").OnConnection(func(s *socketio.Socket) {
		s.On(chat.ChatSendEvent, func(e *socketio.Event) {
			_ = e.Ack(map[string]any{"ok": true, "data": map[string]any{"id": "m1", "room": "lobby", "text": "x", "sentAt": "2024-01-02T03:04:05Z"}})
		})
		_ = s.Emit(chat.ChatMessageEvent, map[string]any{"id": "m2", "room": "lobby", "text": "no author", "sentAt": "2024-01-02T03:04:05Z"})
		_ = s.Emit(chat.ChatMessageEvent, map[string]any{"id": "m3", "room": "lobby", "author": map[string]any{"id": "u", "name": "ann"},
			"text": "whole", "sentAt": "2024-01-02T03:04:05Z"})
	})
	ctx := ctxT(t)
	h := &chatClientHandler{messages: make(chan *chat.Message, 4)}
	c := chat.NewChatClient(srv.Manager(t, nil), &chat.ChatAuth{Token: "secret"}, h)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, h.messages); m.ID != "m3" {
		t.Fatalf("got message %s (%q), want m3: the one without author is dropped", m.ID, m.Text)
	}
	_, err := c.Send(ctx, &chat.ChatSendPayload{Room: "lobby", Text: "x"})
	if socketio.ErrorCode(err) != socketio.CodeInternal || err.Error() != "internal: invalid ack data: author is required" {
		t.Fatalf("ack without author: got %v", err)
	}
}

// TestAuthFunc: a generated client's With…AuthFunc callback gives the auth
// of every CONNECT in place of the constructor's (which the server would
// refuse here), runs again for the reconnection after the server drops
// the transport, and its auth is checked against the schema before it is
// sent; an error from it fails Connect.
func TestAuthFunc(t *testing.T) {
	srv := siotest.NewServer(t, nil)
	chat.NewChatNamespace(srv.Server, &chatServer{srv: srv.Server, typing: make(chan chat.RoomID, 4)})
	events.NewWorkspaceNamespace(srv.Server, events.UnimplementedWorkspaceHandler{}) // admits any auth the schema allows
	ctx := ctxT(t)

	m := srv.Manager(t, &siotest.ClientOptions{Manager: socketio.ManagerOptions{
		ReconnectionDelay: 10 * time.Millisecond, ReconnectionDelayMax: 20 * time.Millisecond}})
	var calls atomic.Int32
	c := chat.NewChatClient(m, &chat.ChatAuth{Token: "nope"}, nil, chat.WithChatAuthFunc(func(ctx context.Context) (*chat.ChatAuth, error) {
		calls.Add(1)
		return &chat.ChatAuth{Token: "secret"}, nil
	}))
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect with the callback's auth: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("callback called %d times for one CONNECT", n)
	}
	first := c.ID()
	srv.Server.Of("/chat").Socket(first).Conn().Close() // the client reconnects
	for deadline := time.Now().Add(5 * time.Second); !(c.Connected() && c.ID() != first); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not reconnected: connected %v, id %q", c.Connected(), c.ID())
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("callback called %d times for two CONNECTs", n)
	}

	for _, tc := range []struct {
		name string
		fn   func(context.Context) (*events.WorkspaceAuth, error)
		want func(error) bool
	}{
		{"fails the schema", func(context.Context) (*events.WorkspaceAuth, error) {
			return &events.WorkspaceAuth{Token: "short"}, nil
		},
			func(err error) bool { return socketio.ErrorCode(err) == socketio.CodeInvalidArgument }},
		{"error", func(context.Context) (*events.WorkspaceAuth, error) { return nil, errTokenService },
			func(err error) bool { return errors.Is(err, errTokenService) }},
		{"valid", func(context.Context) (*events.WorkspaceAuth, error) {
			return &events.WorkspaceAuth{Token: "0123456789"}, nil
		},
			func(err error) bool { return err == nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := events.NewWorkspaceClient(srv.Manager(t, nil), events.WorkspaceParams{ID: "7"}, nil, nil, events.WithWorkspaceAuthFunc(tc.fn))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Connect(ctx); !tc.want(err) {
				t.Fatalf("Connect: %v", err)
			}
		})
	}
}

var errTokenService = errors.New("token service down")
