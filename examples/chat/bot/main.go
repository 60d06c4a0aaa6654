// Command bot is a chat member written with the typed Go client that siogen
// generates (chatapp.ChatClient): it joins a room and answers the messages
// that mention "bot".
//
//	go run ./examples/chat                                  # the server
//	go run ./examples/chat/bot -url http://localhost:8080   # the bot
//
// Flags:
//
//	-url URL     the chat server (default http://localhost:8080)
//	-name NAME   the bot's display name, which is also its token (default bot)
//	-room ROOM   the room to join (default general)
//
// It reconnects when the server goes away, joins the room again after each
// connection, and stops on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/siogen/siogen/generated/chatapp"
	"github.com/siogen/siogen/runtime/socketio"
)

func main() {
	url := flag.String("url", "http://localhost:8080", "chat server URL")
	name := flag.String("name", "bot", "display name (the demo token)")
	room := flag.String("room", "general", "room to join")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := socketio.NewManager(*url, nil)
	defer m.Close()
	b := &bot{name: *name, room: chatapp.RoomID(*room), log: log, now: time.Now}
	if err := b.run(ctx, m); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("bot stopped", "err", err)
		os.Exit(1)
	}
	log.Info("bye")
}

// bot answers the messages of one room that mention it.
type bot struct {
	name string
	room chatapp.RoomID
	log  *slog.Logger
	now  func() time.Time

	chatapp.UnimplementedChatClientHandler // ignores presence, typing, room lists
	inbox                                  chan *chatapp.Message
}

// Message is called for every message of the room (not our own).
func (b *bot) Message(ctx context.Context, m *chatapp.Message) error {
	select {
	case b.inbox <- m:
	default:
		b.log.Warn("too many messages, skipping one", "id", m.ID)
	}
	return nil
}

// UserTyping, Presence and RoomList are of no interest to the bot.
func (b *bot) UserTyping(context.Context, *chatapp.ChatUserTypingPayload) error { return nil }

// Presence is ignored.
func (b *bot) Presence(context.Context, *chatapp.ChatPresencePayload) error { return nil }

// RoomList is ignored.
func (b *bot) RoomList(context.Context, *chatapp.ChatRoomListPayload) error { return nil }

// run connects through m, joins the room (again after each reconnection)
// and answers messages until ctx ends.
func (b *bot) run(ctx context.Context, m *socketio.Manager) error {
	b.inbox = make(chan *chatapp.Message, 64)
	c := chatapp.NewChatClient(m, &chatapp.ChatAuth{Token: b.name}, b)
	connected := make(chan struct{}, 1)
	c.Socket().OnConnect(func() {
		select {
		case connected <- struct{}{}:
		default:
		}
	})
	c.Socket().OnDisconnect(func(r socketio.DisconnectReason) { b.log.Info("disconnected", "reason", r) })
	c.Socket().OnConnectError(func(err error) { b.log.Info("cannot connect yet", "err", err) })
	m.OnClose(func(r socketio.DisconnectReason, err error) {
		b.log.Debug("connection closed", "reason", r, "err", err)
	})
	m.OnReconnect(func(attempts int) { b.log.Info("reconnected", "attempts", attempts) })

	if err := c.Connect(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Disconnect()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-connected:
			// The handlers run on the client's event loop: the (acked) join
			// and sends happen here, not in them.
			if err := b.join(ctx, c); err != nil {
				return err
			}
		case msg := <-b.inbox:
			b.answer(ctx, c, msg)
		}
	}
}

func (b *bot) join(ctx context.Context, c chatapp.ChatClient) error {
	jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := c.Join(jctx, &chatapp.ChatJoinPayload{Room: b.room})
	if socketio.ErrorCode(err) == chatapp.CodeNoSuchRoom {
		return fmt.Errorf("join %s: %w", b.room, err) // no point in retrying
	}
	if err != nil {
		b.log.Warn("join failed", "room", b.room, "err", err)
		return nil // the next reconnection tries again
	}
	b.log.Info("joined", "room", b.room, "history", len(res.History), "members", len(res.Members))
	return nil
}

func (b *bot) answer(ctx context.Context, c chatapp.ChatClient, m *chatapp.Message) {
	text, ok := reply(m, b.name, b.now())
	if !ok {
		return
	}
	for attempt := 0; attempt < 3; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := c.Send(sctx, &chatapp.ChatSendPayload{Room: m.Room, Text: chatapp.Text(text)})
		cancel()
		switch socketio.ErrorCode(err) {
		case "":
			b.log.Info("answered", "to", m.Author.Name, "id", m.ID)
			return
		case chatapp.CodeRateLimited:
			select { // wait for the rate limiter's bucket to refill
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		default:
			b.log.Warn("cannot answer", "id", m.ID, "err", err)
			return
		}
	}
}

var (
	mention = regexp.MustCompile(`\b[Bb][Oo][Tt]\b`)
	askTime = regexp.MustCompile(`\b[Tt][Ii][Mm][Ee]\b`)
)

// reply returns the bot's answer to m, if m mentions "bot" and was not
// written by a user named like the bot. Answers never say "bot", so that two
// bots do not talk to each other forever.
func reply(m *chatapp.Message, self string, now time.Time) (string, bool) {
	if strings.EqualFold(m.Author.Name, self) || !mention.MatchString(string(m.Text)) {
		return "", false
	}
	who := m.Author.Name
	switch {
	case m.Image != nil:
		return fmt.Sprintf("Nice picture, %s! (%s, %.1f KiB)", who, m.Image.Type, float64(len(m.Image.Data))/1024), true
	case askTime.MatchString(string(m.Text)):
		return fmt.Sprintf("%s, it is %s UTC.", who, now.UTC().Format("15:04:05")), true
	default:
		return fmt.Sprintf("Hello, %s! Ask me the time, or send me a picture.", who), true
	}
}
