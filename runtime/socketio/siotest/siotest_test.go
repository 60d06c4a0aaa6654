package siotest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

var modes = []struct {
	name       string
	transports []engineio.Transport
}{
	{"polling", []engineio.Transport{engineio.TransportPolling}},
	{"websocket", []engineio.Transport{engineio.TransportWebSocket}},
	{"upgrade", nil},
}

type note struct {
	Text string `json:"text"`
	Pic  []byte `json:"pic,omitempty"`
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received within 5s")
		var zero T
		return zero
	}
}

// TestGoClientAgainstGoServer: our client and our server, every codec and
// transport: auth, refusal with data, events and acks both ways, binary,
// rooms, server disconnect.
func TestGoClientAgainstGoServer(t *testing.T) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, mode := range modes {
			t.Run(codec.Name()+"/"+mode.name, func(t *testing.T) {
				srv := siotest.NewServer(t, &socketio.ServerOptions{Parser: codec})
				srv.Use(func(s *socketio.Socket) error {
					var a struct {
						Token string `json:"token"`
					}
					if s.Handshake().Auth.Decode(&a) != nil || a.Token != "ok" {
						return socketio.NewConnectError("not authorized", map[string]string{"reason": "bad token"})
					}
					return nil
				})
				answers := make(chan string, 1)
				srv.OnConnection(func(s *socketio.Socket) {
					s.On("note", func(e *socketio.Event) {
						var n note
						if err := e.Decode(&n); err != nil {
							t.Errorf("decode: %v", err)
						}
						_ = e.Ack(note{Text: n.Text + "!", Pic: append(n.Pic, 0xff)})
					})
					s.On("join", func(e *socketio.Event) {
						var room string
						_ = e.Decode(&room)
						s.Join(room)
						_ = e.Ack()
					})
					s.On("quiz", func(e *socketio.Event) {
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						defer cancel()
						res, err := s.EmitWithAck(ctx, "question", "2+2")
						if err != nil {
							answers <- err.Error()
							return
						}
						var a string
						_ = res[0].Decode(&a)
						answers <- a
					})
					s.On("bye", func(*socketio.Event) { s.Disconnect(false) })
				})
				opts := &siotest.ClientOptions{Transports: mode.transports, Auth: map[string]string{"token": "ok"}}

				// Refused with data.
				bad := srv.Manager(t, &siotest.ClientOptions{Transports: mode.transports}).
					Socket("/", &socketio.ClientSocketOptions{Auth: map[string]string{"token": "nope"}})
				err := bad.Connect(context.Background())
				var ce *socketio.ConnectError
				if !errors.As(err, &ce) || ce.Message != "not authorized" {
					t.Fatalf("bad token: %v", err)
				}
				var data map[string]string
				if ce.Data.Decode(&data) != nil || data["reason"] != "bad token" {
					t.Fatalf("connect error data %v", ce.Data)
				}

				c := srv.Connect(t, "/", opts)
				other := srv.Connect(t, "/", opts)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()

				// Client → server with ack, binary both ways.
				res, err := c.EmitWithAck(ctx, "note", note{Text: "hi", Pic: []byte{1, 2}})
				if err != nil {
					t.Fatal(err)
				}
				var back note
				if err := res[0].Decode(&back); err != nil || back.Text != "hi!" || string(back.Pic) != "\x01\x02\xff" {
					t.Fatalf("ack %+v %v", back, err)
				}
				// Server → client with ack, from inside a handler.
				c.On("question", func(e *socketio.Event) { _ = e.Ack("4") })
				_ = c.Emit("quiz")
				if got := recv(t, answers); got != "4" {
					t.Fatalf("server got %q", got)
				}
				// Rooms: only members get the room's broadcast.
				got := make(chan string, 4)
				c.On("news", func(e *socketio.Event) { got <- "c" })
				other.On("news", func(e *socketio.Event) { got <- "other" })
				if _, err := c.EmitWithAck(ctx, "join", "r1"); err != nil {
					t.Fatal(err)
				}
				_ = srv.To("r1").Emit("news")
				if who := recv(t, got); who != "c" {
					t.Fatalf("room broadcast reached %s", who)
				}
				_ = srv.Emit("news")
				seen := map[string]bool{recv(t, got): true, recv(t, got): true}
				if !seen["c"] || !seen["other"] {
					t.Fatalf("broadcast reached %v", seen)
				}
				// Server disconnect: "io server disconnect", no reconnection.
				reasons := make(chan socketio.DisconnectReason, 1)
				c.OnDisconnect(func(r socketio.DisconnectReason) { reasons <- r })
				_ = c.Emit("bye")
				if r := recv(t, reasons); r != socketio.ReasonIOServerDisconnect {
					t.Fatalf("reason %q", r)
				}
				time.Sleep(100 * time.Millisecond)
				if c.Connected() {
					t.Fatal("reconnected after a server disconnect")
				}
			})
		}
	}
}

// TestReconnectAndRecover: the server drops the transport; the client
// reconnects, recovers its id and rooms, and gets what it missed.
func TestReconnectAndRecover(t *testing.T) {
	for _, codec := range []parser.Codec{parser.JSON, parser.MessagePack} {
		for _, mode := range modes {
			t.Run(codec.Name()+"/"+mode.name, func(t *testing.T) {
				srv := siotest.NewServer(t, &socketio.ServerOptions{Parser: codec,
					ConnectionStateRecovery: &socketio.RecoveryOptions{}})
				dropped := make(chan struct{}, 1)
				srv.OnConnection(func(s *socketio.Socket) {
					if !s.Recovered() {
						s.Join("room")
					}
					s.On("ready", func(e *socketio.Event) { _ = e.Ack() })
					s.On("drop-me", func(*socketio.Event) {
						s.OnDisconnect(func(socketio.DisconnectReason) {
							_ = srv.To("room").Emit("missed", "while away")
							dropped <- struct{}{}
						})
						_ = s.Conn().Close()
					})
				})
				mopts := socketio.ManagerOptions{ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond}
				c := srv.Connect(t, "/", &siotest.ClientOptions{Transports: mode.transports, Manager: mopts})
				msgs := make(chan string, 10)
				c.On("missed", func(e *socketio.Event) {
					var s string
					_ = e.Decode(&s)
					msgs <- s
				})
				c.On("hello", func(e *socketio.Event) { msgs <- "hello" })
				// The client's events are handled after the connection
				// handlers: once "ready" is acked, the socket is in its room.
				if _, err := c.EmitWithAck(context.Background(), "ready"); err != nil {
					t.Fatal(err)
				}
				_ = srv.To("room").Emit("hello") // gives the client an offset
				if m := recv(t, msgs); m != "hello" {
					t.Fatalf("got %q", m)
				}
				id := c.ID()
				reconnected := make(chan struct{}, 1)
				c.OnConnect(func() { reconnected <- struct{}{} })
				_ = c.Emit("drop-me")
				recv(t, dropped)
				recv(t, reconnected)
				if !c.Recovered() || c.ID() != id {
					t.Fatalf("recovered=%v id %s, want %s", c.Recovered(), c.ID(), id)
				}
				if m := recv(t, msgs); m != "while away" {
					t.Fatalf("missed event %q", m)
				}
			})
		}
	}
}

func Example() {
	t := &testing.T{} // in a test, the *testing.T you are given
	srv := siotest.NewServer(t, nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("hello", func(e *socketio.Event) { _ = e.Ack("world") })
	})
	c := srv.Connect(t, "/", nil)
	res, err := c.EmitWithAck(context.Background(), "hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	var s string
	_ = res[0].Decode(&s)
	fmt.Println(s)
}

// The server mounted on a mux at a custom path, as the README shows, with
// the client's Path set to match.
func TestCustomPathOnMux(t *testing.T) {
	srv := socketio.NewServer(nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("hi", func(e *socketio.Event) { _ = e.Ack("there") })
	})
	mux := http.NewServeMux()
	mux.Handle("/ws/socket.io/", srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "app", http.StatusTeapot) })
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			m := socketio.NewManager(hs.URL, &socketio.ManagerOptions{Path: "/ws/socket.io/", Transports: mode.transports,
				HTTPClient: &http.Client{Transport: tr}})
			defer m.Close()
			c := m.Socket("/", nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := c.EmitWithAck(ctx, "hi")
			var s string
			if err != nil || res[0].Decode(&s) != nil || s != "there" {
				t.Fatalf("ack %v %v", res, err)
			}
		})
	}
	// The default path is not served: the app's handler answers it.
	res, err := http.Get(hs.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot {
		t.Fatalf("default path: %d", res.StatusCode)
	}
}
