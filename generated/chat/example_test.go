package chat_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/siogen/siogen/generated/chat"
	"github.com/siogen/siogen/runtime/socketio"
)

// server implements the events it needs; the embedded
// UnimplementedChatHandler answers the others (and events added to the
// schema later) with the code unimplemented.
type server struct {
	chat.UnimplementedChatHandler
}

func (server) Join(ctx context.Context, s *chat.ChatSocket, p *chat.ChatJoinPayload) (*chat.ChatJoinAck, error) {
	if err := s.Join(string(p.Room)); err != nil {
		return nil, err
	}
	return &chat.ChatJoinAck{}, nil
}

func (server) Send(ctx context.Context, s *chat.ChatSocket, p *chat.ChatSendPayload) (*chat.Message, error) {
	if p.Text == "spam" {
		return nil, socketio.NewAckError(chat.CodeRateLimited, "") // the schema's message
	}
	m := &chat.Message{ID: "m1", Room: p.Room, Author: chat.User{ID: s.ID(), Name: "ann"}, Text: p.Text, SentAt: time.Now()}
	// To the room, except the sender (who gets m as the ack).
	if err := s.Broadcast().To(string(p.Room)).Message(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// reader is a client's handler of the server's events.
type reader struct {
	chat.UnimplementedChatClientHandler
	got chan *chat.Message
}

func (r reader) Message(ctx context.Context, m *chat.Message) error {
	r.got <- m
	return nil
}

// The typed server and two typed clients: payloads, acks, the schema's
// error codes and its constraints, with no untyped value in sight.
func Example() {
	srv := socketio.NewServer(nil)
	chat.NewChatNamespace(srv, server{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer srv.Shutdown(ctx)

	var managers []*socketio.Manager
	defer func() {
		for _, m := range managers {
			m.Close()
		}
	}()
	dial := func(h chat.ChatClientHandler) chat.ChatClient {
		m := socketio.NewManager(hs.URL, nil)
		managers = append(managers, m)
		c := chat.NewChatClient(m, &chat.ChatAuth{Token: "t"}, h)
		if err := c.Connect(ctx); err != nil {
			panic(err)
		}
		if _, err := c.Join(ctx, &chat.ChatJoinPayload{Room: "go"}); err != nil {
			panic(err)
		}
		return c
	}
	ann := dial(nil)
	bob := reader{got: make(chan *chat.Message, 1)}
	dial(bob)

	sent, err := ann.Send(ctx, &chat.ChatSendPayload{Room: "go", Text: "hello"})
	if err != nil {
		panic(err)
	}
	fmt.Println("ann's ack:", sent.ID, sent.Text)
	m := <-bob.got
	fmt.Println("bob got:", m.Author.Name, "says", m.Text)

	_, err = ann.Send(ctx, &chat.ChatSendPayload{Room: "go", Text: "spam"})
	fmt.Println(err)

	// Checked before it leaves: RoomID has maxLength 64.
	_, err = ann.Join(ctx, &chat.ChatJoinPayload{Room: chat.RoomID(strings.Repeat("x", 65))})
	fmt.Println(err)
	// Output:
	// ann's ack: m1 hello
	// bob got: ann says hello
	// rate_limited: Too many messages; retry later.
	// invalid_argument: room has 65 characters, more than maxLength 64
}
