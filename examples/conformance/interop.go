package main

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// The interop servers of interop/SERVER.md: four of them, JSON or msgpack,
// with connection state recovery or without.
var interopPaths = []struct {
	path     string
	codec    parser.Codec
	recovery bool
}{
	{"/sio-json/", parser.JSON, false},
	{"/sio-msgpack/", parser.MessagePack, false},
	{"/sio-json-recovery/", parser.JSON, true},
	{"/sio-msgpack-recovery/", parser.MessagePack, true},
}

// serverAckTimeout bounds the acknowledgements the interop server waits for.
const serverAckTimeout = 2 * time.Second

func newInteropServer(codec parser.Codec, recovery bool) *socketio.Server {
	opts := &socketio.ServerOptions{
		Engine: engineio.Options{
			PingInterval: time.Second,
			PingTimeout:  2 * time.Second,
			CORS:         &engineio.CORS{Origins: []string{"*"}},
		},
		ConnectTimeout: 5 * time.Second,
		Parser:         codec,
	}
	if recovery {
		opts.ConnectionStateRecovery = &socketio.RecoveryOptions{MaxDisconnectionDuration: 2 * time.Minute}
	}
	srv := socketio.NewServer(opts)
	greet := func(s *socketio.Socket) { _ = s.Emit("auth", s.Handshake().Auth) }

	srv.OnConnection(func(s *socketio.Socket) { greet(s); handle(s) })

	admin := srv.Of("/admin")
	admin.Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if s.Handshake().Auth.Decode(&auth) != nil || auth.Token != "secret" {
			return socketio.NewConnectError("not authorized", map[string]string{"reason": "bad token"})
		}
		return nil
	})
	admin.OnConnection(func(s *socketio.Socket) { greet(s); handle(s) })

	dyn := srv.OfRegexp(regexp.MustCompile(`^/dyn-\w+$`))
	dyn.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("hello", s.Namespace().Name())
		handle(s)
	})
	return srv
}

type ackOutcome struct {
	OK     bool   `json:"ok"`
	Answer any    `json:"answer,omitempty"`
	Error  string `json:"error,omitempty"`
}

type broadcastOutcome struct {
	OK      bool   `json:"ok"`
	Answers []any  `json:"answers,omitempty"`
	Error   string `json:"error,omitempty"`
}

type whoami struct {
	Nsp       string   `json:"nsp"`
	ID        string   `json:"id"`
	Rooms     []string `json:"rooms"`
	Recovered bool     `json:"recovered"`
}

// otherRooms returns the socket's rooms but its own id, sorted.
func otherRooms(s *socketio.Socket) []string {
	rooms := slices.DeleteFunc(s.Rooms(), func(r string) bool { return r == s.ID() })
	slices.Sort(rooms)
	return rooms
}

const timeoutMessage = "operation has timed out"

// handle registers the events of SERVER.md §4 on s.
func handle(s *socketio.Socket) {
	nsp := s.Namespace()
	s.On("message", func(e *socketio.Event) { _ = s.Emit("message-back", args(e)...) })
	s.On("message-with-ack", func(e *socketio.Event) { _ = e.Ack(args(e)...) })
	s.On("whoami", func(e *socketio.Event) {
		_ = e.Ack(whoami{Nsp: nsp.Name(), ID: s.ID(), Rooms: otherRooms(s), Recovered: s.Recovered()})
	})
	s.On("server-ack", func(e *socketio.Event) {
		var x any = nil
		if len(e.Args) > 0 {
			x = e.Args[0]
		}
		ctx, cancel := context.WithTimeout(context.Background(), serverAckTimeout)
		defer cancel()
		answer, err := s.EmitWithAck(ctx, "ping-client", x)
		out := ackOutcome{OK: err == nil}
		switch {
		case errors.Is(err, socketio.ErrAckTimeout):
			out.Error = timeoutMessage
		case err != nil:
			out.Error = err.Error()
		case len(answer) > 0:
			out.Answer = answer[0]
		}
		_ = s.Emit("server-ack-result", out)
	})
	s.On("join", func(e *socketio.Event) {
		var room string
		_ = e.Decode(&room)
		s.Join(room)
		_ = e.Ack(otherRooms(s))
	})
	s.On("leave", func(e *socketio.Event) {
		var room string
		_ = e.Decode(&room)
		s.Leave(room)
		_ = e.Ack(otherRooms(s))
	})
	s.On("to-room", func(e *socketio.Event) {
		var room string
		_ = e.Decode(&room)
		_ = nsp.To(room).Emit("room-message", room, arg(e, 1))
		_ = e.Ack()
	})
	s.On("except-room", func(e *socketio.Event) {
		var room string
		_ = e.Decode(&room)
		_ = nsp.Except(room).Emit("except-message", room, arg(e, 1))
		_ = e.Ack()
	})
	s.On("broadcast-ack", func(e *socketio.Event) {
		var room *string
		_ = e.Decode(&room)
		op := nsp.Except() // every socket of the namespace
		if room != nil {
			op = nsp.To(*room)
		}
		ctx, cancel := context.WithTimeout(context.Background(), serverAckTimeout)
		defer cancel()
		res, err := op.EmitWithAck(ctx, "ask", arg(e, 1))
		if err != nil {
			_ = e.Ack(broadcastOutcome{Error: timeoutMessage})
			return
		}
		answers := make([]any, 0, len(res))
		for _, r := range res {
			if len(r.Args) > 0 {
				answers = append(answers, r.Args[0])
			} else {
				answers = append(answers, nil)
			}
		}
		_ = e.Ack(struct {
			OK      bool  `json:"ok"`
			Answers []any `json:"answers"`
		}{true, answers})
	})
	s.On("volatile-burst", func(e *socketio.Event) {
		var n int
		_ = e.Decode(&n)
		for i := 0; i < n; i++ {
			_ = s.Volatile().Emit("volatile", i)
		}
		_ = e.Ack(n)
	})
	s.On("disconnect-me", func(*socketio.Event) { s.Disconnect(false) })
	s.On("disconnect-me-close", func(*socketio.Event) { s.Disconnect(true) })
	s.On("drop-me", func(*socketio.Event) { _ = s.Conn().Close() })
	s.On("emit-while-away", func(e *socketio.Event) {
		var n int
		_ = e.Decode(&n)
		s.OnDisconnect(func(reason socketio.DisconnectReason) {
			for i := 0; i < n; i++ {
				_ = nsp.To(s.ID()).Emit("away", i, string(reason))
			}
		})
		_ = s.Conn().Close()
	})
}

// arg returns argument i as it came (nil when absent).
func arg(e *socketio.Event, i int) any {
	if i < len(e.Args) {
		return e.Args[i]
	}
	return nil
}
