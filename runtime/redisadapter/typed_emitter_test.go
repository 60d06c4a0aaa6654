package redisadapter_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/generated/chat"
	"github.com/siogen/siogen/generated/events"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
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

// A generated emitter on a server where a dynamic namespace does not exist
// (no client has connected to it there) reaches the clients of the other
// nodes in it, as Node's io.of(name).emit does, in every mode, and does not
// create the namespace on the emitting node.
func TestServerEmitterReachesDynamicNamespaceOnOtherNodes(t *testing.T) {
	r := startRedis(t)
	for name, o := range map[string]*redisadapter.Options{
		"classic":        nil,
		"sharded":        {Sharded: true},
		"sharded-static": {Sharded: true, SubscriptionMode: redisadapter.Static},
	} {
		t.Run(name, func(t *testing.T) {
			nodes := cluster(t, r, 2, o)
			for _, n := range nodes {
				events.NewWorkspaceNamespace(n.Server, events.UnimplementedWorkspaceHandler{})
			}
			c := nodes[1].Connect(t, "/workspace/42", &siotest.ClientOptions{Auth: map[string]string{"token": "0123456789"}})
			got := make(chan map[string]string, 2)
			c.On(events.WorkspaceLabelsEvent, func(e *socketio.Event) {
				var m map[string]string
				_ = e.Decode(&m)
				got <- m
			})
			if err := nodes[1].Of("/workspace/42").Socket(c.ID()).Join("doc-1"); err != nil {
				t.Fatal(err)
			}
			if o != nil && o.SubscriptionMode == redisadapter.Dynamic {
				waitShardChannel(t, r, "socket.io#/workspace/42#doc-1#", 1)
			}

			em := events.NewWorkspaceEmitter(nodes[0].Server, events.WorkspaceParams{ID: "42"})
			if err := em.Labels(ctx5(t), map[string]string{"to": "all"}); err != nil {
				t.Fatal(err)
			}
			if m := recv(t, got); m["to"] != "all" {
				t.Fatalf("received %v", m)
			}
			if err := em.To("doc-1").Labels(ctx5(t), map[string]string{"to": "room"}); err != nil {
				t.Fatal(err)
			}
			if m := recv(t, got); m["to"] != "room" {
				t.Fatalf("received %v", m)
			}
			if err := em.To("doc-2").Labels(ctx5(t), map[string]string{"to": "elsewhere"}); err != nil {
				t.Fatal(err)
			}
			if err := em.Local().Labels(ctx5(t), map[string]string{"to": "local"}); err != nil {
				t.Fatal(err)
			}
			none(t, got, "an emit to another room or a local one")
			if slices.Contains(nodes[0].Namespaces(), "/workspace/42") {
				t.Fatal("the emitting node created the namespace")
			}
		})
	}
}
