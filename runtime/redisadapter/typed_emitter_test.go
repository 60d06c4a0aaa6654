package redisadapter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/chat"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

// The typed emitter siogen generates works unchanged on the Redis Emitter:
// a process with no server publishes a validated, typed event that a client
// of a Go node receives.
func TestGeneratedEmitterOverRedis(t *testing.T) {
	r := startRedis(t)
	node := cluster(t, r, 1, nil)[0]
	node.Of("/chat") // a namespace without the generated handler: only the broadcast matters here
	c := node.Connect(t, "/chat", wsOnly)
	got := make(chan chat.Message, 1)
	c.On(chat.ChatMessageEvent, func(e *socketio.Event) {
		var m chat.Message
		_ = e.Decode(&m)
		got <- m
	})
	node.Of("/chat").Socket(c.ID()).Join("lobby")

	em := chat.NewChatEmitter(redisadapter.NewEmitter(r.Client(t), nil))
	msg := &chat.Message{ID: "m1", Room: "lobby", Author: chat.User{ID: "u1", Name: "ann"}, Text: "from a worker",
		SentAt: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	if err := em.To("lobby").Message(ctx5(t), msg); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, got); m.Text != "from a worker" || m.Author.Name != "ann" || !m.SentAt.Equal(msg.SentAt) {
		t.Fatalf("received %+v", m)
	}
	// Validation happens before anything is published.
	bad := *msg
	bad.Room = chat.RoomID(strings.Repeat("r", 65)) // RoomID has maxLength 64
	if err := em.Message(ctx5(t), &bad); socketio.ErrorCode(err) != socketio.CodeInvalidArgument {
		t.Fatalf("invalid message: %v", err)
	}
}
