package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/chatapp"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestReply(t *testing.T) {
	now := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	msg := func(author, text string, img *chatapp.Image) *chatapp.Message {
		return &chatapp.Message{Author: chatapp.User{Name: author}, Text: chatapp.Text(text), Image: img}
	}
	for _, tc := range []struct {
		m    *chatapp.Message
		want string // "" = no answer
	}{
		{msg("ann", "hello everyone", nil), ""},
		{msg("ann", "robots are cool", nil), ""},
		{msg("ann", "hey Bot!", nil), "Hello, ann! Ask me the time, or send me a picture."},
		{msg("ann", "bot, what time is it?", nil), "ann, it is 15:04:05 UTC."},
		{msg("ann", "look bot", &chatapp.Image{Type: "image/png", Data: make([]byte, 2048)}), "Nice picture, ann! (image/png, 2.0 KiB)"},
		{msg("BOT", "I am the bot", nil), ""}, // itself
	} {
		got, ok := reply(tc.m, "bot", now)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("reply(%q) = %q, %v; want %q", tc.m.Text, got, ok, tc.want)
		}
		if mention.MatchString(got) {
			t.Errorf("reply %q mentions the bot", got)
		}
	}
}

// room is a one-room server, enough to see the bot join and answer.
type room struct {
	chatapp.UnimplementedChatHandler
	srv    *socketio.Server
	joined chan chatapp.RoomID
	said   chan *chatapp.ChatSendPayload
}

func (r *room) Join(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatJoinPayload) (*chatapp.ChatJoinAck, error) {
	s.Join(string(p.Room))
	r.joined <- p.Room
	return &chatapp.ChatJoinAck{Room: chatapp.Room{ID: p.Room}}, nil
}

func (r *room) Send(ctx context.Context, s *chatapp.ChatSocket, p *chatapp.ChatSendPayload) (*chatapp.Message, error) {
	r.said <- p
	return &chatapp.Message{Room: p.Room, Text: p.Text}, nil
}

func TestBotJoinsAndAnswers(t *testing.T) {
	srv := siotest.NewServer(t, &socketio.ServerOptions{Logger: slog.New(slog.DiscardHandler)})
	r := &room{srv: srv.Server, joined: make(chan chatapp.RoomID, 1), said: make(chan *chatapp.ChatSendPayload, 1)}
	chatapp.NewChatNamespace(srv.Server, r)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	b := &bot{name: "bot", room: "help", log: slog.New(slog.DiscardHandler), now: time.Now}
	go func() { done <- b.run(ctx, srv.Manager(t, nil)) }()

	select {
	case got := <-r.joined:
		if got != "help" {
			t.Fatalf("joined %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not join")
	}
	// A message through the typed emitter, as the chat server sends it.
	m := &chatapp.Message{ID: "m1", Room: "help", Author: chatapp.User{ID: "u1", Name: "ann"}, Text: "hi bot", SentAt: time.Now()}
	if err := chatapp.NewChatEmitter(srv.Server).To("help").Message(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-r.said:
		if p.Room != "help" || !strings.HasPrefix(string(p.Text), "Hello, ann!") {
			t.Fatalf("the bot said %+v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not answer")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("run: %v", err)
	}
}
