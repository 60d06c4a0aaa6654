package socketio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"time"

	"github.com/siogen/siogen/runtime/socketio"
)

// serveExample serves srv on a loopback port for the examples below and
// returns its URL and a function that stops it.
func serveExample(srv *socketio.Server) (url string, stop func()) {
	hs := httptest.NewServer(srv)
	return hs.URL, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	}
}

// A namespace middleware refuses a connection with data, which the client
// receives as a *ConnectError (err.message and err.data in
// socket.io-client).
func ExampleNamespace_Use() {
	srv := socketio.NewServer(nil)
	srv.Of("/admin").Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if err := s.Handshake().Auth.Decode(&auth); err != nil || auth.Token != "s3cr3t" {
			return socketio.NewConnectError("not authorized", map[string]string{"hint": "log in again"})
		}
		return nil
	})
	url, stop := serveExample(srv)
	defer stop()

	m := socketio.NewManager(url, nil)
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin := m.Socket("/admin", &socketio.ClientSocketOptions{Auth: map[string]string{"token": "guess"}})
	err := admin.Connect(ctx)

	var refused *socketio.ConnectError
	if errors.As(err, &refused) {
		var data map[string]string
		_ = refused.Data.Decode(&data)
		fmt.Printf("%s (%s)\n", refused.Message, data["hint"])
	}
	// Output: not authorized (log in again)
}

// Sockets join rooms; a socket's To broadcasts to a room without the
// sender, the server's To to everyone in it.
func ExampleSocket_To() {
	srv := socketio.NewServer(nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("join", func(e *socketio.Event) {
			var room string
			if e.Decode(&room) == nil {
				_ = s.Join(room)
			}
			_ = e.Ack()
		})
		s.On("shout", func(e *socketio.Event) {
			var text string
			if e.Decode(&text) == nil {
				_ = s.To("lobby").Emit("news", text)
			}
		})
	})
	url, stop := serveExample(srv)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	got := make(chan string, 10)
	var managers []*socketio.Manager
	defer func() {
		for _, m := range managers {
			m.Close()
		}
	}()
	join := func(name, room string) *socketio.ClientSocket {
		m := socketio.NewManager(url, nil)
		managers = append(managers, m)
		c := m.Socket("/", nil)
		c.On("news", func(e *socketio.Event) {
			var text string
			_ = e.Decode(&text)
			got <- name + " got " + text
		})
		if err := c.Connect(ctx); err != nil {
			panic(err)
		}
		if _, err := c.EmitWithAck(ctx, "join", room); err != nil {
			panic(err)
		}
		return c
	}
	alice := join("alice", "lobby")
	join("bob", "lobby")
	join("carol", "kitchen")

	_ = alice.Emit("shout", "hello") // bob only: alice sent it, carol is elsewhere
	fmt.Println(<-got)
	_ = srv.To("kitchen").Emit("news", "tea") // carol only
	fmt.Println(<-got)
	_ = srv.To("lobby", "kitchen").Emit("news", "closing") // each of the three once
	last := []string{<-got, <-got, <-got}
	slices.Sort(last)
	fmt.Println(last)
	// Output:
	// bob got hello
	// carol got tea
	// [alice got closing bob got closing carol got closing]
}

// The server asks one client and waits for its acknowledgement (a handler
// may wait: the socket's next events wait for it, its acks do not).
func ExampleSocket_EmitWithAck() {
	srv := socketio.NewServer(nil)
	answer := make(chan string, 1)
	srv.OnConnection(func(s *socketio.Socket) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := s.EmitWithAck(ctx, "confirm", "delete everything?")
		if err != nil { // context.DeadlineExceeded without an answer in time
			answer <- err.Error()
			return
		}
		var yes bool
		_ = res[0].Decode(&yes)
		answer <- fmt.Sprint("confirmed: ", yes)
	})
	url, stop := serveExample(srv)
	defer stop()

	m := socketio.NewManager(url, nil)
	defer m.Close()
	c := m.Socket("/", nil)
	c.On("confirm", func(e *socketio.Event) {
		var question string
		_ = e.Decode(&question)
		fmt.Println("asked:", question)
		_ = e.Ack(false)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		panic(err)
	}
	fmt.Println(<-answer)
	// Output:
	// asked: delete everything?
	// confirmed: false
}

// A broadcast with acknowledgements collects one answer per client, until
// all have answered or the timeout.
func ExampleBroadcastOperator_EmitWithAck() {
	srv := socketio.NewServer(nil)
	url, stop := serveExample(srv)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for _, vote := range []string{"yes", "no", "yes"} {
		m := socketio.NewManager(url, nil)
		defer m.Close()
		c := m.Socket("/", nil)
		c.On("vote", func(e *socketio.Event) { _ = e.Ack(vote) })
		if err := c.Connect(ctx); err != nil {
			panic(err)
		}
	}

	results, err := srv.Timeout(2*time.Second).EmitWithAck(ctx, "vote", "ship it?")
	if err != nil {
		fmt.Println(err) // a client did not answer in time: results has the others
	}
	var votes []string
	for _, r := range results {
		var v string
		_ = r.Args[0].Decode(&v)
		votes = append(votes, v)
	}
	slices.Sort(votes)
	fmt.Println(votes)
	// Output: [no yes yes]
}

// Dynamic namespaces: every namespace whose name matches is created on its
// first connection, with the parent's middleware and handlers.
func ExampleServer_OfRegexp() {
	srv := socketio.NewServer(nil)
	names := make(chan string, 1)
	srv.OfRegexp(regexp.MustCompile(`^/board-\d+$`)).OnConnection(func(s *socketio.Socket) {
		names <- s.Namespace().Name()
	})
	url, stop := serveExample(srv)
	defer stop()

	m := socketio.NewManager(url, nil)
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Socket("/board-42", nil).Connect(ctx); err != nil {
		panic(err)
	}
	fmt.Println("connected to", <-names)
	err := m.Socket("/board-x", nil).Connect(ctx)
	fmt.Println(err)
	// Output:
	// connected to /board-42
	// socketio: connect refused: Invalid namespace
}
